"""The ledger: one row per provider call, what it cost, and how it ended.

Why: the LLM money a stack wastes (re-generations after a crash, answers nobody
received) is only measurable at the provider. Each row says who called (stack and task,
from request headers), how many tokens were planned and how many actually left the
server, and how the call ended: ``completed``, ``client_aborted`` (billed for the tokens
sent, as real providers do), ``fault`` (injected by us) or ``rejected`` (400/404). A fault or a rejection before the
first token costs nothing (real providers do not bill errors); after it, the tokens sent
are billed.

Rows go to memory (for ``GET /admin/ledger``) and, when a path is given, to a JSONL file,
one flushed line per call, so a provider killed mid-run loses at most the calls in flight.
Calls in flight are listed with their progress for ``GET /admin/inflight``.

Whatever a request carries, the ledger must stay readable: a row that JSON or UTF-8
cannot encode would break every later ``GET /admin/ledger`` and the file. So the caller's
strings (model, stack, task) are stored as valid text whatever they were.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .prices import CURRENT_PRICE_TABLE, UnknownModelError, cost_usd
from .schedule import tokens_due

OUTCOMES = ("completed", "client_aborted", "fault", "rejected")
UNBILLED = ("fault", "rejected")  # when no token was sent


@dataclass
class Call:
    """A provider call while it runs; becomes a ledger row when it ends."""

    call_id: str
    flavour: str
    model: str
    stream: bool
    stack: str | None
    task_id: str | None
    prompt_tokens: int = 0
    planned_tokens: int = 0
    text_sha256: str | None = None
    seed: int | None = None
    max_tokens: int | None = None
    offsets: list[float] = field(default_factory=list, repr=False)
    tokens_sent: int = 0
    cut_requested: str | None = None  # "drop" or "error": the provider was told to cut this call now
    start: float = field(default_factory=time.time)
    start_mono: float = field(default_factory=time.monotonic)
    first_token: float | None = None

    def wall(self, mono: float) -> float:
        """Wall-clock time of a monotonic instant of this call."""
        return self.start + (mono - self.start_mono)

    def tokens_so_far(self, now_mono: float | None = None) -> int:
        """Tokens sent (streaming) or generated so far (non-streaming).

        A non-streaming call's count follows its schedule while it waits; once it has
        waited to a point (the end, or where a fault stops it) it sets ``tokens_sent``,
        so a timer that fires a hair early cannot under-bill it.
        """
        if self.stream:
            return self.tokens_sent
        elapsed = (time.monotonic() if now_mono is None else now_mono) - self.start_mono
        return max(self.tokens_sent, tokens_due(self.offsets, elapsed))

    def progress(self) -> dict[str, Any]:
        done = self.tokens_so_far()
        return {
            "call_id": self.call_id,
            "stack": self.stack,
            "task_id": self.task_id,
            "flavour": self.flavour,
            "model": self.model,
            "stream": self.stream,
            "tokens_sent": done,
            "planned_tokens": self.planned_tokens,
            "progress": done / self.planned_tokens if self.planned_tokens else 1.0,
            "start": self.start,
            "elapsed_s": time.monotonic() - self.start_mono,
        }


def _storable(text: str | None) -> str | None:
    """``text`` as valid UTF-8: an unpaired surrogate becomes its escape (``\\ud800``)."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Ledger:
    """Numbering, in-flight registry and the append-only record of provider calls."""

    def __init__(self, path: Path | None = None, price_table: str = CURRENT_PRICE_TABLE) -> None:
        self.path = path
        self.price_table = price_table
        self._rows: list[dict[str, Any]] = []
        self._inflight: dict[str, Call] = {}
        self._numbers = itertools.count()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def open_call(self, flavour: str, model: str, stream: bool, stack: str | None, task_id: str | None) -> Call:
        call = Call(f"call-{next(self._numbers):06d}", flavour, _storable(model), stream, _storable(stack), _storable(task_id))
        self._inflight[call.call_id] = call
        return call

    def close_call(
        self, call: Call, outcome: str, status: int, completion_tokens: int, fault: str | None = None
    ) -> dict[str, Any]:
        """Turn a finished call into its ledger row, persist it and return it."""
        assert outcome in OUTCOMES, outcome
        self._inflight.pop(call.call_id, None)
        try:
            cost = cost_usd(call.model, call.prompt_tokens, completion_tokens, self.price_table)
        except UnknownModelError:
            cost = 0.0
        if outcome in UNBILLED and completion_tokens == 0:
            cost = 0.0  # an error before the first token (429, 5xx, 529) is not billed, as real providers do
        row = {
            "call_id": call.call_id,
            "stack": call.stack,
            "task_id": call.task_id,
            "flavour": call.flavour,
            "model": call.model,
            "stream": call.stream,
            "status": status,
            "outcome": outcome,
            "fault": fault,
            "prompt_tokens": call.prompt_tokens,
            "planned_tokens": call.planned_tokens,
            "completion_tokens": completion_tokens,
            "cost_usd": cost,
            "price_table": self.price_table,
            "text_sha256": call.text_sha256,
            "seed": call.seed,
            "max_tokens": call.max_tokens,
            "start": call.start,
            "first_token": call.first_token,
            "end": time.time(),
        }
        self._rows.append(row)
        if self._file is not None:
            self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
            self._file.flush()
        return row

    def rows(self, since: int = 0, stack: str | None = None, task_id: str | None = None) -> list[dict[str, Any]]:
        """Rows from index ``since`` on, optionally only one stack's or one task's."""
        return [
            r
            for r in self._rows[since:]
            if (stack is None or r["stack"] == stack) and (task_id is None or r["task_id"] == task_id)
        ]

    def __len__(self) -> int:
        return len(self._rows)

    def inflight(self) -> list[dict[str, Any]]:
        return [c.progress() for c in list(self._inflight.values())]

    def cut_inflight(self, mode: str, stack: str | None = None) -> list[str]:
        """Ask every call in flight (of one stack, or all) to stop now; returns their ids."""
        hit = [c for c in list(self._inflight.values()) if stack is None or c.stack == stack]
        for call in hit:
            call.cut_requested = mode
        return [c.call_id for c in hit]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
