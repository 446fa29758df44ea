"""The load generator and ``llmchaos run``: real Locust against real stacks.

A fault-free run must show zero loss on every stack: anything else is a bug in the stack
or in the harness.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import RUNTIMES, wait_until

from chaos.orchestrator import Orchestrator, Plan
from llmchaos.checker import expectation, request_results
from llmchaos.cli import main
from llmchaos.errors import BadInputError
from llmchaos.history import read_history
from llmchaos.metrics import recovery_log_records
from llmchaos.ports import free_port
from llmchaos.runtime.procfs import descendants, process_state
from loadtests.config import LoadConfig
from loadtests.runner import LoadProcess, run_load


def cell_files(out: Path, stack: str, scenario: str) -> Path:
    return out / stack / scenario / "0"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("stack", ["mvp", "redis", "temporal"])
def test_a_20_user_baseline_loses_nothing(traversable_tmp, stack, runtime):
    out = traversable_tmp / "run"
    [cell] = Orchestrator(Plan([stack], ["baseline"], out, runtime=runtime)).run()
    assert cell.status == "complete", cell.error
    s = cell.summary
    files = cell_files(out, stack, "baseline")
    if s["correct"] != 40:  # say which requests and how, so that a rare failure explains itself
        settings = json.loads((files / "cell.json").read_text())
        results = request_results(read_history(files / "history.jsonl"), expectation(settings["llm"]["output_tokens"], settings["llm"]["seed"]))
        wrong = [(r.request, r.outcome, r.tasks, "cached" if r.cached else "generated") for r in results if r.outcome != "correct"]
        pytest.fail(f"{s}\nnot correct: {wrong}\nleftovers removed before deploying: {settings.get('leftovers_removed')}")
    assert (s["requests"], s["accepted"], s["correct"], s["data_loss_pct"]) == (40, 40, 40, 0.0), s
    assert json.loads((files / "cell.json").read_text())["status"] == "complete"
    events = read_history(files / "history.jsonl")
    assert len({e.process for e in events if e.process.startswith("client-")}) == 20
    assert {e.process for e in events} - {e.process for e in events if e.process.startswith("client-")} == {"orchestrator", "auditor"}
    # a fresh deployment had nothing to recover, and its datastores' logs say so
    said = recovery_log_records(events)
    assert set(said) == {"redis": {"postgres", "redis"}}.get(stack, set()), said
    assert all(n == 0 for seen in said.values() for n in seen["said"].values()), said
    reads = [e for e in events if e.f == "final-read"]
    assert len(reads) == 40 and all(e.type == "ok" and e.value["status"] == "completed" for e in reads), "every task read back whole"
    assert Counter(r["outcome"] for r in jsonl(files / "ledger.jsonl")) == Counter({"completed": 40})
    with (files / "locust" / "locust_stats.csv").open() as f:
        kinds = {row["Type"] for row in csv.DictReader(f)}
    assert {"TTFT", "E2E", "POST", "GET"} <= kinds
    assert (files / "locust" / "report.html").stat().st_size > 0 and (files / "locust" / "locust_stats_history.csv").exists()
    assert {p.name for p in (files / "logs").iterdir()} >= {"llm.log", "backend.log"}
    assert json.loads((out / "run.json").read_text())["finished"]


def test_f5_shows_as_refresh_and_costs_the_mvp_a_second_generation(traversable_tmp):
    out = traversable_tmp / "run"
    cells = Orchestrator(Plan(["mvp", "temporal"], ["f5-refresh"], out, runtime="local")).run()
    assert [(c.status, c.summary["correct"], c.summary["refreshes"]) for c in cells] == [("complete", 20, 20)] * 2
    mvp, temporal = cell_files(out, "mvp", "f5-refresh"), cell_files(out, "temporal", "f5-refresh")
    mvp_events = Counter((e.type, e.f) for e in read_history(mvp / "history.jsonl"))
    assert mvp_events[("info", "refresh")] == 20 and mvp_events[("ok", "submit")] == 40, "each refresh asks again"
    assert len(jsonl(mvp / "ledger.jsonl")) == 40, "the seeds' claim: F5 doubles the MVP's LLM calls"
    temporal_events = Counter((e.type, e.f) for e in read_history(temporal / "history.jsonl"))
    assert temporal_events[("info", "refresh")] == 20 and temporal_events[("invoke", "resume")] == 20 and temporal_events[("ok", "submit")] == 20
    assert len(jsonl(temporal / "ledger.jsonl")) == 20, "re-attaching by workflow id costs nothing more"


def test_two_local_locust_workers_share_the_load(traversable_tmp):
    scenario = traversable_tmp / "small.yaml"
    scenario.write_text("name: small\ndescription: a small baseline\nload: {users: 6, spawn_rate: 6, tasks_per_user: 2, think_time_s: 0.1}\nprovider: {output_tokens: 40}\n")
    out = traversable_tmp / "run"
    [cell] = Orchestrator(Plan(["mvp"], [str(scenario)], out, runtime="local", workers=2)).run()
    assert cell.status == "complete" and cell.summary["correct"] == 12
    files = out / "mvp" / "small" / "0"
    workers = {e.process.split("-")[1] for e in read_history(files / "history.jsonl") if e.process.startswith("client-")}
    assert workers == {"0", "1"}, "users ran in both worker processes"
    assert {"master.log", "worker-0.log", "worker-1.log"} <= {p.name for p in (files / "locust").iterdir()}


def test_an_unreachable_target_is_reported_before_any_load(tmp_path):
    config = LoadConfig(stack="mvp", host=f"http://127.0.0.1:{free_port()}", history=str(tmp_path / "h.jsonl"), run_t0=0.0)
    with pytest.raises(BadInputError, match=r"nothing answers at http://127\.0\.0\.1:\d+/health .*llmchaos up mvp"):
        run_load(config, tmp_path)
    assert not (tmp_path / "locust").exists() and not (tmp_path / "h.jsonl").exists()


def test_locust_started_ahead_runs_no_user_before_go(tmp_path):
    """LoadProcess imports Locust during the warm-up: until ``go`` no user may send anything,
    and after it the users run and Locust ends the run by itself."""
    import http.server
    import threading
    import time

    class Stub(http.server.BaseHTTPRequestHandler):  # /health 200, the API 503: a user's submit fails at once
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 503)
            self.send_header("content-length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    history = tmp_path / "history.jsonl"
    config = LoadConfig(stack="mvp", host=f"http://127.0.0.1:{server.server_address[1]}", users=3, spawn_rate=3, tasks_per_user=1,
                        history=str(history), run_t0=time.monotonic())  # fmt: skip
    try:
        with LoadProcess(config, tmp_path) as locust:
            wait_until(history.exists, timeout=60, what="Locust to open the history (its init listeners run)")
            time.sleep(1.0)
            assert locust.children[0].poll() is None, "Locust waits for go instead of ending"
            assert history.read_text() == "", "no user ran before go"
            locust.go()
            run = locust.wait()
        submits = [e for e in read_history(history) if e.f == "submit" and e.type == "invoke"]
        assert run.returncode == 0 and len(submits) == 3, (run, submits)
    finally:
        server.shutdown()


@pytest.mark.parametrize("args,message", [(["--stack", "nosuch"], "unknown stack 'nosuch'"), (["--scenario", "nosuch"], "unknown scenario 'nosuch'")])
def test_run_refuses_unknown_names_before_anything_starts(tmp_path, args, message):
    result = CliRunner().invoke(main, ["run", "--runtime", "local", "--out", str(tmp_path / "run"), *args])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "run").exists()


SMALL = "name: small\ndescription: a small baseline\nload: {users: 4, spawn_rate: 4, tasks_per_user: 1}\nprovider: {output_tokens: 40}\n"
SLOW_PAUSE = """name: slow-pause
description: the API frozen halfway through, for long enough to be interrupted
load: {users: 6, spawn_rate: 6, tasks_per_user: 2, task_timeout_s: 60}
provider: {ttft_ms: 200, itl_ms: 20, output_tokens: 100}
faults:
  - {action: pause, target: backend, trigger: {progress: 0.5}, downtime_s: 8}
"""


def _interrupt(command: list[str], runtime: str, ready: Callable[[], bool], what: str, before: Callable[[list[int]], None] | None = None) -> None:
    """Start ``llmchaos run``, wait until ``ready``, press Ctrl-C: it exits 130 and leaves no
    process and no container behind (``before`` looks at its processes just before).

    The run writes to a file, not a pipe nobody reads (a full pipe would block it), and a run
    that ends before ``ready`` fails the test at once with what it printed."""
    log_path = Path(command[command.index("--out") + 1]).with_suffix(".log")
    with log_path.open("w") as log:
        run = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)

    def printed() -> str:
        return log_path.read_text()[-4000:]

    def ready_or_ended() -> bool:
        if ready():
            return True
        if run.poll() is not None:
            pytest.fail(f"the run ended (exit {run.returncode}) before {what}:\n{printed()}")
        return False

    try:
        wait_until(ready_or_ended, timeout=240, what=what)
        below = descendants(run.pid)
        if before is not None:
            before(below)
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=150) == 130, printed()
    except BaseException:
        print(printed())  # shown by pytest beside the failure
        raise
    finally:
        if run.poll() is None:
            run.kill()
    for pid in below:
        wait_until(lambda: process_state(pid) in (None, "Z"), timeout=20, what=f"process {pid} to be gone")
    if runtime == "docker":
        import docker

        from chaos.orchestrator import run_tag

        left = docker.from_env().containers.list(all=True, filters={"label": "io.llmchaos.stack=mvp"})
        # the run's cells only (project llmchaos-mvp-<scenario>-<repetition>-<run tag>): an
        # MVP of another test session (another checkout) may be up meanwhile
        tag = run_tag(Path(command[command.index("--out") + 1]))
        assert [c.name for c in left if c.labels.get("com.docker.compose.project", "").endswith(f"-{tag}")] == []


@pytest.mark.timeout(600)  # three cells and an interruption, each with its own generous wait
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_sigint_mid_fault_leaves_nothing_and_a_rerun_finishes_only_the_missing_cell(traversable_tmp, runtime):
    (traversable_tmp / "small.yaml").write_text(SMALL)
    (traversable_tmp / "slow-pause.yaml").write_text(SLOW_PAUSE)
    scenarios = f"{traversable_tmp / 'small.yaml'},{traversable_tmp / 'slow-pause.yaml'}"
    out = traversable_tmp / "run"
    command = [sys.executable, "-m", "llmchaos", "run", "--stack", "mvp", "--scenario", scenarios, "--runtime", runtime, "--out", str(out)]
    history = cell_files(out, "mvp", "slow-pause") / "history.jsonl"

    def locust_runs(below: list[int]) -> None:
        assert any(b"locust" in Path(f"/proc/{p}/cmdline").read_bytes() for p in below if Path(f"/proc/{p}").exists())

    _interrupt(command, runtime, lambda: history.exists() and b'"process":"probe"' in history.read_bytes(), "the fault to be under way", locust_runs)
    first = (cell_files(out, "mvp", "small") / "cell.json").read_text()
    assert json.loads(first)["status"] == "complete"
    assert json.loads((cell_files(out, "mvp", "slow-pause") / "cell.json").read_text())["status"] == "interrupted"
    kept, resumed = Orchestrator(Plan(["mvp"], [str(traversable_tmp / "small.yaml"), str(traversable_tmp / "slow-pause.yaml")], out, runtime=runtime)).run()
    assert (cell_files(out, "mvp", "small") / "cell.json").read_text() == first, "the finished cell was not run again"
    assert kept.status == "complete" and resumed.status == "complete" and resumed.summary["correct"] == 12


def test_the_checker_agrees_with_the_ledger_on_what_was_asked(traversable_tmp):
    out = traversable_tmp / "run"
    Orchestrator(Plan(["mvp"], ["baseline"], out, runtime="local", seed=5)).run()
    files = cell_files(out, "mvp", "baseline")
    settings = json.loads((files / "cell.json").read_text())
    results = request_results(read_history(files / "history.jsonl"), expectation(settings["llm"]["output_tokens"], settings["llm"]["seed"]))
    from stacks.llm import text_sha256

    by_task = {r["task_id"]: r for r in jsonl(files / "ledger.jsonl")}
    for result in results:
        assert by_task[result.tasks[-1]]["text_sha256"] == text_sha256(result.expected), "the provider planned exactly the expected answer"


@pytest.mark.timeout(480)
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_sigint_stops_every_cell_of_a_parallel_run_and_leaves_nothing(traversable_tmp, runtime):
    """Cells run at once in threads; Ctrl-C reaches the main thread only, which must stop
    every cell (Locust, nemesis, stack) and record each as interrupted."""
    names = ("slow-pause-a", "slow-pause-b")
    for name in names:
        (traversable_tmp / f"{name}.yaml").write_text(SLOW_PAUSE.replace("name: slow-pause", f"name: {name}"))
    out = traversable_tmp / "run"
    scenarios = ",".join(str(traversable_tmp / f"{name}.yaml") for name in names)
    command = [sys.executable, "-m", "llmchaos", "run", "--stack", "mvp", "--scenario", scenarios, "--runtime", runtime, "--parallel", "2", "--out", str(out)]
    histories = [cell_files(out, "mvp", name) / "history.jsonl" for name in names]
    _interrupt(command, runtime, lambda: all(h.exists() and b'"process":"probe"' in h.read_bytes() for h in histories), "both faults to be under way at once")
    for name in names:
        settings = json.loads((cell_files(out, "mvp", name) / "cell.json").read_text())
        assert settings["status"] == "interrupted", (name, settings["status"])


class _Answer:
    """The three things ``read_answer`` looks at in a Locust response."""

    def __init__(self, status_code: int, text: str, error: str | None = None) -> None:
        self.status_code, self.text, self.error = status_code, text, error

    def json(self):
        return json.loads(self.text)


@pytest.mark.parametrize("answer,wanted", [
    (_Answer(200, ""), "HTTP 200 with an unreadable body (JSONDecodeError"),  # a backend killed mid-answer behind Docker's proxy
    (_Answer(200, '{"status": "running"}'), "HTTP 200 with an unreadable body (KeyError"),  # no chunks
    (_Answer(503, "down"), "HTTP 503: down"),
    (_Answer(0, "", "connection closed."), "connection closed."),
])  # fmt: skip
def test_an_answer_the_user_cannot_read_is_a_failed_poll_not_a_crashed_user(answer, wanted):
    from loadtests.adapters import adapter_for, read_answer

    page, error = read_answer(answer, adapter_for("mvp").page)
    assert page is None and error.startswith(wanted), error
    good = _Answer(200, '{"task_id": "t", "status": "running", "chunks": [{"chunk_id": 0, "text": "a"}]}')
    page, error = read_answer(good, adapter_for("mvp").page)
    assert error is None and page.status == "running" and page.chunks[0]["text"] == "a"
