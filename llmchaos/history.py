"""The history: one append-only record of every client operation and every fault, timed.

One JSONL file per cell (stack x scenario x repetition), written by many processes at once
(Locust users in one or several processes, the nemesis, the health probe), read by the
checker. A line::

    {"t": 12.345678, "wall": "2026-11-22T10:00:00.123456+00:00", "process": "client-0-3",
     "type": "ok", "f": "chunks", "stack": "mvp", "task_id": "...", "value": {...}}

- ``t``: seconds since the cell started (before its deployment), on the machine's
  monotonic clock, which every process of the machine shares: the origin is passed to
  each writer (``LLMCHAOS_RUN_T0``).
- ``process``: ``client-N`` (a simulated user), ``browser-N`` (a user in a real browser),
  ``canary`` (our availability probe),
  ``auditor`` (the final reads), ``nemesis``, ``probe`` (health), ``orchestrator`` (the
  cell's phases, and what the services' logs said about recovering their data).
- ``type``: invoke, ok, fail or info (Jepsen's operation types).
- ``f``: what was done (``FUNCTIONS``).

Why one ``write()`` per line under ``flock``: appends from several processes then never
interleave, whatever the line's length; the file is fsynced when the writer closes.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

TYPES = ("invoke", "ok", "fail", "info")
FUNCTIONS = (
    "submit", "chunks", "page", "status", "refresh", "resume", "final-read",
    "kill", "stop", "start", "pause", "resume-process", "kill-all", "power-cut", "llm-fault", "health", "phase",
    "recovery-log",
)  # fmt: skip


class HistoryError(ValueError):
    """A history line that does not follow the format; says which file and line."""


@dataclass(frozen=True)
class Event:
    t: float
    wall: str
    process: str
    type: str
    f: str
    stack: str
    task_id: str | None = None
    value: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"t": round(self.t, 6), "wall": self.wall, "process": self.process, "type": self.type, "f": self.f,
             "stack": self.stack, "task_id": self.task_id, "value": self.value},
            ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip


def run_origin() -> float:
    """This process's view of the run's start: ``LLMCHAOS_RUN_T0`` if set, else now."""
    return float(os.environ.get("LLMCHAOS_RUN_T0", time.monotonic()))


class HistoryWriter:
    """Appends events to a history file; safe to share the file with other processes."""

    def __init__(self, path: Path, stack: str, t0: float | None = None) -> None:
        self.path = path
        self.stack = stack
        self.t0 = run_origin() if t0 is None else t0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def now(self) -> float:
        """This history's ``t`` of the present instant (to record when a request was sent)."""
        return round(time.monotonic() - self.t0, 6)

    def record(self, process: str, type: str, f: str, task_id: str | None = None, value: dict[str, Any] | None = None) -> Event:
        if type not in TYPES:
            raise ValueError(f"event type {type!r}: expected one of {TYPES}")
        if f not in FUNCTIONS:
            raise ValueError(f"event f {f!r}: expected one of {FUNCTIONS}")
        event = Event(time.monotonic() - self.t0, datetime.now(timezone.utc).isoformat(), process, type, f, self.stack, task_id, value or {})
        line = (event.to_json() + "\n").encode("utf-8")
        if self._fd is None:
            raise ValueError(f"history {self.path} is closed")
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            os.write(self._fd, line)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return event

    def close(self) -> None:
        """Flush to disk and close: the cell's history survives a crash of the machine after this."""
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "HistoryWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check(raw: Any, where: str) -> Event:
    if not isinstance(raw, dict):
        raise HistoryError(f"{where}: expected a JSON object")
    for key, kind in (("t", (int, float)), ("wall", str), ("process", str), ("type", str), ("f", str), ("stack", str), ("value", dict)):
        if not isinstance(raw.get(key), kind) or isinstance(raw.get(key), bool):
            raise HistoryError(f"{where}: field {key!r} missing or not a {kind if isinstance(kind, type) else 'number'}")
    if raw["type"] not in TYPES:
        raise HistoryError(f"{where}: type {raw['type']!r} is not one of {TYPES}")
    if raw["f"] not in FUNCTIONS:
        raise HistoryError(f"{where}: f {raw['f']!r} is not one of {FUNCTIONS}")
    if raw.get("task_id") is not None and not isinstance(raw["task_id"], str):
        raise HistoryError(f"{where}: task_id must be a string or null")
    if raw["t"] < 0:
        raise HistoryError(f"{where}: t is negative")
    return Event(float(raw["t"]), raw["wall"], raw["process"], raw["type"], raw["f"], raw["stack"], raw.get("task_id"), raw["value"])


def iter_history(path: Path) -> Iterator[Event]:
    """Every event of a history file, each line validated (``HistoryError`` names the line)."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise HistoryError(f"{path}:{number}: not JSON ({exc})") from None
            yield _check(raw, f"{path}:{number}")


class HistoryTail:
    """The complete lines appended to a history since the last call (a live reader: the
    nemesis watches what users were shown while they are being shown it)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.lines = path, 0, 0

    def new_events(self) -> list[Event]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        events = []
        for line in complete.decode("utf-8").splitlines():
            self.lines += 1
            if line.strip():
                events.append(_check(json.loads(line), f"{self.path}:{self.lines}"))
        return events


def read_history(path: Path) -> list[Event]:
    """All events, ordered by time (writers from several processes append nearly in order)."""
    return sorted(iter_history(path), key=lambda e: e.t)
