"""What a service's log says about recovering its data: counted on hand-made logs, summed
per cell and over repetitions, and refused when a stack's patterns are malformed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.recovery_log import MAX_LINES, read_logs, said
from llmchaos.errors import ComposeFileError
from llmchaos.history import HistoryWriter, read_history
from llmchaos.metrics import recovery_log_records, recovery_logs
from stacks.compose import load_compose
from stacks.spec import load_stack

# PostgreSQL 15 started twice after a SIGKILL: once with WAL to replay, once with none
POSTGRES_LOG = """\
2026-12-02 10:00:00.000 UTC [10] LOG:  starting PostgreSQL 15.8 on x86_64-pc-linux-gnu
2026-12-02 10:00:00.100 UTC [10] LOG:  database system is ready to accept connections
2026-12-02 10:00:09.000 UTC [31] LOG:  database system was interrupted; last known up at 2026-12-02 10:00:00 UTC
2026-12-02 10:00:09.050 UTC [31] LOG:  database system was not properly shut down; automatic recovery in progress
2026-12-02 10:00:09.060 UTC [31] LOG:  redo starts at 0/1953B48
2026-12-02 10:00:09.200 UTC [31] LOG:  invalid record length at 0/19A4D30: wanted 24, got 0
2026-12-02 10:00:09.210 UTC [31] LOG:  redo done at 0/19A4CF8 system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.14 s
2026-12-02 10:00:20.000 UTC [52] LOG:  database system was not properly shut down; automatic recovery in progress
2026-12-02 10:00:20.010 UTC [52] LOG:  invalid record length at 0/19A4DA8: wanted 24, got 0
2026-12-02 10:00:20.020 UTC [52] LOG:  redo is not required
"""

# Redis 7 loading a multi-part AOF whose increment the cut ended mid-record
REDIS_LOG = """\
1:M 02 Dec 2026 10:00:09.000 * DB loaded from base file appendonly.aof.1.base.rdb: 0.000 seconds
1:M 02 Dec 2026 10:00:09.001 # !!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!
1:M 02 Dec 2026 10:00:09.001 # AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled
1:M 02 Dec 2026 10:00:09.002 * DB loaded from incr file appendonly.aof.1.incr.aof: 0.001 seconds
1:M 02 Dec 2026 10:00:09.002 * DB loaded from append only file: 0.002 seconds
"""


def _patterns(stack: str, service: str) -> tuple[tuple[str, str], ...]:
    return load_stack(stack).compose().services[service].recovery_log


def test_postgresql_says_when_it_replayed_its_wal_and_when_there_was_nothing_to_replay():
    found = said(POSTGRES_LOG, _patterns("dbos", "postgres"))
    assert found["said"] == {"crash recovery": 2, "WAL replayed": 1, "nothing to replay": 1}
    assert [line.split("LOG:  ")[1][:12] for line in found["lines"]] == ["database sys", "redo done at", "database sys", "redo is not "]


def test_redis_says_its_append_only_file_was_loaded_and_that_it_was_cut_short():
    found = said(REDIS_LOG, _patterns("redis", "redis"))
    # one load (its summary line, not its parts'); the warning and the "loaded anyway" line
    # both say the AOF was cut short
    assert found["said"] == {"AOF loaded": 1, "AOF cut short": 2, "AOF unreadable": 0}
    assert len(found["lines"]) == 3


def test_a_fresh_start_says_nothing_and_a_long_log_is_quoted_in_part():
    assert said(POSTGRES_LOG.splitlines()[0] + "\n", _patterns("redis", "postgres")) == {
        "said": {"crash recovery": 0, "WAL replayed": 0, "nothing to replay": 0}, "lines": []}  # fmt: skip
    found = said("redo done at 0/1\n" * 50, [("WAL replayed", "redo done at"), ("anything", "redo")])
    assert found["said"] == {"WAL replayed": 50, "anything": 50} and len(found["lines"]) == MAX_LINES


def test_the_stacks_with_postgresql_name_the_same_lines():
    assert _patterns("redis", "postgres") == _patterns("dbos", "postgres") == _patterns("temporal_streams", "postgres")


def test_logs_are_read_per_service_and_a_missing_log_is_left_out(tmp_path):
    (tmp_path / "postgres.log").write_text(POSTGRES_LOG)
    (tmp_path / "backend.log").write_text("redo done at 0/1\n")
    found = read_logs(tmp_path, {"postgres": _patterns("dbos", "postgres"), "redis": _patterns("redis", "redis"), "backend": ()})
    assert list(found) == ["postgres"] and found["postgres"]["said"]["WAL replayed"] == 1


def test_the_cells_lines_are_read_from_the_history_and_summed_over_repetitions(tmp_path):
    """What the orchestrator writes in a cell's history is what the metrics read back."""
    writer = HistoryWriter(tmp_path / "history.jsonl", stack="redis")
    for service, text in (("postgres", POSTGRES_LOG), ("redis", REDIS_LOG)):
        writer.record("orchestrator", "info", "recovery-log", None, {"service": service, **said(text, _patterns("redis", service))})
    writer.close()
    one = recovery_logs([recovery_log_records(read_history(tmp_path / "history.jsonl"))])
    assert one["postgres"]["said"] == {"crash recovery": 2, "WAL replayed": 1, "nothing to replay": 1}
    pooled = recovery_logs([one, None, {"postgres": {"said": {"crash recovery": 1, "WAL replayed": 1}, "lines": ["x"]}}])
    assert pooled["postgres"]["said"] == {"crash recovery": 3, "WAL replayed": 2, "nothing to replay": 1}
    assert pooled["postgres"]["lines"] == one["postgres"]["lines"] and pooled["redis"]["said"]["AOF loaded"] == 1
    assert recovery_logs([None, {}]) is None


@pytest.mark.parametrize("block,wanted", [
    ("recovery_log: [redo done at]", "expected a mapping of names to regular expressions"),
    ("recovery_log: {WAL replayed: ''}", "expected a mapping of names to regular expressions"),
    ("recovery_log: {WAL replayed: 'redo (done'}", "x-llmchaos.recovery_log.WAL replayed: not a regular expression"),
])  # fmt: skip
def test_a_malformed_recovery_log_is_refused_by_name(tmp_path, block, wanted):
    path = Path(tmp_path / "compose.yaml")
    path.write_text(f"services:\n  postgres:\n    image: x\n    x-llmchaos:\n      role: datastore\n      health: {{postgres: true}}\n      {block}\n")
    with pytest.raises(ComposeFileError, match=wanted.replace("(", r"\(")):
        load_compose(path)
