"""The history file: format, validation, and many writers at once."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest

from llmchaos.history import HistoryError, HistoryWriter, iter_history, read_history


def test_events_round_trip_with_a_shared_origin(tmp_path):
    path = tmp_path / "history.jsonl"
    t0 = time.monotonic()
    with HistoryWriter(path, "mvp", t0) as history:
        history.record("client-0-0", "invoke", "submit", value={"request": "r", "prompt": "héllo"})
        history.record("nemesis", "info", "kill", "task-1", {"service": "backend"})
    events = read_history(path)
    assert [(e.process, e.type, e.f, e.task_id) for e in events] == [("client-0-0", "invoke", "submit", None), ("nemesis", "info", "kill", "task-1")]
    assert events[0].value["prompt"] == "héllo" and events[0].stack == "mvp"
    assert 0 <= events[0].t <= events[1].t < time.monotonic() - t0
    assert events[0].wall.endswith("+00:00")


def test_the_writer_refuses_unknown_types_and_functions(tmp_path):
    with HistoryWriter(tmp_path / "h.jsonl", "mvp") as history:
        with pytest.raises(ValueError, match="event type"):
            history.record("x", "maybe", "submit")
        with pytest.raises(ValueError, match="event f"):
            history.record("x", "ok", "teleport")


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", ":3: not JSON"),
        ('["a list"]', ":3: expected a JSON object"),
        ('{"t": 1, "wall": "w", "process": "p", "type": "ok", "f": "submit", "stack": "s"}', "field 'value'"),
        ('{"t": -1, "wall": "w", "process": "p", "type": "ok", "f": "submit", "stack": "s", "value": {}}', "t is negative"),
        ('{"t": 1, "wall": "w", "process": "p", "type": "done", "f": "submit", "stack": "s", "value": {}}', "type 'done'"),
        ('{"t": 1, "wall": "w", "process": "p", "type": "ok", "f": "fly", "stack": "s", "value": {}}', "f 'fly'"),
        ('{"t": true, "wall": "w", "process": "p", "type": "ok", "f": "submit", "stack": "s", "value": {}}', "field 't'"),
    ],
)
def test_the_reader_names_the_bad_line(tmp_path, line, message):
    path = tmp_path / "h.jsonl"
    good = json.dumps({"t": 0.5, "wall": "w", "process": "p", "type": "ok", "f": "submit", "stack": "s", "value": {}})
    path.write_text(f"{good}\n{good}\n{line}\n")
    with pytest.raises(HistoryError, match=message.replace("(", r"\(")):
        list(iter_history(path))


def _write_many(path: str, process: int, count: int) -> None:
    with HistoryWriter(Path(path), "mvp", 0.0) as history:
        for i in range(count):
            # long lines too: several pages each, where unsynchronised appends would interleave
            history.record(f"client-{process}", "ok", "chunks", f"task-{process}", {"i": i, "text": "x" * (i % 7) * 3000})


def test_many_processes_append_whole_lines(tmp_path):
    path = tmp_path / "history.jsonl"
    workers = [multiprocessing.get_context("fork").Process(target=_write_many, args=(str(path), p, 200)) for p in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    events = list(iter_history(path))
    assert len(events) == 800
    for p in range(4):
        assert sorted(e.value["i"] for e in events if e.process == f"client-{p}") == list(range(200))


def test_a_tail_returns_each_complete_line_once_and_waits_for_a_half_written_one(tmp_path):
    from llmchaos.history import HistoryTail

    path = tmp_path / "h.jsonl"
    tail = HistoryTail(path)
    assert tail.new_events() == []
    with HistoryWriter(path, "mvp", t0=0.0) as writer:
        writer.record("client-0", "invoke", "submit", None, {"request": "r"})
        assert [e.f for e in tail.new_events()] == ["submit"]
        writer.record("client-0", "ok", "status", "t", {"request": "r"})
    line = path.read_text().splitlines()[-1]
    with path.open("a") as f:
        f.write(line[:20])  # a writer caught mid-line
    assert [e.f for e in tail.new_events()] == ["status"]
    with path.open("a") as f:
        f.write(line[20:] + "\n")
    assert [e.f for e in tail.new_events()] == ["status"] and tail.new_events() == []
