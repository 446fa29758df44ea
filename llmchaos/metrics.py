"""The metrics of one cell, with DESIGN.md's definitions: pure functions of the history,
the ledger and the expected answers.

Like the checker (``llmchaos.checker``, which judges each request), nothing here reads a
file or a clock: the same history and ledger always give the same numbers, a stored run
can be measured again later, and every definition is tested on hand-made histories.

Definitions (one each, the same for every stack):

- **recovery times**, from the fault (the nemesis's fire) to: (a) ``health``: every
  service answers again (the probe's ``recovered`` line); (b) ``first_ok``: the first
  request submitted after the fault is shown complete and correct; (c)
  ``inflight_resume``: the first chunk shown after the fault for a request that was in
  flight at it (submitted before, not ended) and went on to complete; (d)
  ``inflight_complete``: the first such request shown complete and correct. None when it
  never happened.
- **cost**: every ledger row's ``cost_usd``. A generation is *useful* when it is the last
  completed call of the task a correct request finally showed; every other call is
  *wasted* (cut, failed, aborted, or superseded by a regeneration or a re-ask).
- **regenerations**: LLM calls beyond the first, summed over accepted requests (a re-ask
  after F5, a retry after a crash, an SDK retry: each is paid for).
- **cache savings**: for each answer served from a cache (``cached: true`` at submit),
  what the generation of the same answer cost elsewhere in the ledger; and how long a
  cache hit took end to end (median).
- **latency**: TTFT (submit to first non-empty chunk shown) and end-to-end (submit to
  the final status) of correct requests; percentiles by nearest rank, exact.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmchaos.checker import ExpectFn, RequestResult, request_results, summarize
from llmchaos.history import Event
from stacks.llm.text import text_sha256


@dataclass(frozen=True)
class FaultTimes:
    index: int
    action: str
    fired_t: float
    recovered_t: float | None  # the recovery action done (None: never, or left to the restart policy)
    healthy_t: float | None  # the probe saw every service healthy after the recovery


def faults_of(events: Iterable[Event]) -> list[FaultTimes]:
    """Each fault the nemesis fired, with its times, from the nemesis's and probe's lines."""
    fired: dict[int, tuple[str, float]] = {}
    recovered: dict[int, float] = {}
    healthy: dict[int, float] = {}
    for e in sorted(events, key=lambda e: e.t):
        index = e.value.get("fault")
        if index is None:
            continue
        if e.process == "nemesis" and e.type == "invoke" and e.value.get("phase") == "fire":
            fired.setdefault(index, (e.value.get("action", e.f), e.t))
        elif e.process == "nemesis" and e.type == "ok" and e.value.get("phase") == "recover":
            recovered.setdefault(index, e.t)
        elif e.process == "probe" and e.value.get("recovered") is True:
            healthy.setdefault(index, e.t)
    return [FaultTimes(i, action, t, recovered.get(i), healthy.get(i)) for i, (action, t) in sorted(fired.items())]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (``q`` in 0..100): always a value that was measured."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _since(t: float | None, origin: float) -> float | None:
    return None if t is None else round(t - origin, 6)


def recovery_times(fault: FaultTimes, results: list[RequestResult], events: Iterable[Event]) -> dict[str, float | None]:
    """The four recovery times of one fault (see the module's docstring)."""
    t0 = fault.fired_t
    first_ok = min((r.ended_t for r in results if r.outcome == "correct" and r.submitted_t is not None and r.submitted_t > t0 and r.ended_t is not None), default=None)
    inflight = {
        r.request: r for r in results
        if r.tasks and r.submitted_t is not None and r.submitted_t < t0 and (r.ended_t is None or r.ended_t > t0)
    }  # fmt: skip
    # only requests that went on to complete: a lost one may still show, after the restart,
    # chunks saved before the crash that its page had not polled yet; that is not a resume
    survivors = {request for request, r in inflight.items() if r.status == "completed"}
    resumed = min(
        (e.t for e in events
         if e.t > t0 and e.f == "chunks" and e.type == "ok" and e.value.get("request") in survivors and any(c.get("text") for c in e.value.get("chunks", []))),
        default=None,
    )  # fmt: skip
    completed = min((r.ended_t for r in inflight.values() if r.outcome == "correct" and r.ended_t is not None), default=None)
    return {
        "health": _since(fault.healthy_t, t0),
        "first_ok": _since(first_ok, t0),
        "inflight_resume": _since(resumed, t0),
        "inflight_complete": _since(completed, t0),
    }


def _cached_requests(events: Iterable[Event]) -> set[str]:
    return {e.value["request"] for e in events if e.f == "submit" and e.type == "ok" and e.value.get("cached") and "request" in e.value}


def cost(results: list[RequestResult], ledger: list[dict[str, Any]], events: Iterable[Event]) -> dict[str, float | int | None]:
    """LLM cost, wasted cost, regenerations, cost per correct request and cache savings."""
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in ledger:
        by_task[row.get("task_id")].append(row)
    useful: set[str] = set()
    for r in results:
        if r.outcome != "correct":
            continue
        done = [row for row in by_task.get(r.tasks[-1], []) if row["outcome"] == "completed"]
        if done:
            useful.add(max(done, key=lambda row: row.get("end") or 0)["call_id"])
    total = sum(row["cost_usd"] for row in ledger)
    wasted = sum(row["cost_usd"] for row in ledger if row["call_id"] not in useful)
    regenerations = 0
    for r in results:
        calls = sum(len(by_task.get(task, [])) for task in dict.fromkeys(r.tasks))
        regenerations += max(0, calls - 1)
    cached = _cached_requests(events)
    price_of = {}
    for row in ledger:
        if row["outcome"] == "completed":
            price_of.setdefault(row.get("text_sha256"), row["cost_usd"])
    savings = sum(price_of.get(text_sha256(r.expected), 0.0) for r in results if r.request in cached and r.outcome == "correct")
    correct = sum(r.outcome == "correct" for r in results)
    hits_e2e = [r.ended_t - r.submitted_t for r in results if r.request in cached and r.outcome == "correct" and r.ended_t is not None and r.submitted_t is not None]
    hit_p50 = percentile(hits_e2e, 50)
    return {
        "llm_calls": len(ledger),
        "llm_cost_usd": round(total, 8),
        "wasted_cost_usd": round(wasted, 8),
        "regenerations": regenerations,
        "cost_per_correct_usd": round(total / correct, 8) if correct else None,
        "cache_hits": sum(r.request in cached for r in results),
        "cache_savings_usd": round(savings, 8),
        "cache_hit_e2e_p50_s": None if hit_p50 is None else round(hit_p50, 6),
    }


def latency(results: list[RequestResult]) -> dict[str, float | None]:
    """Exact TTFT and end-to-end percentiles of the correct requests, in seconds."""
    correct = [r for r in results if r.outcome == "correct" and r.submitted_t is not None]
    ttft = [r.first_chunk_t - r.submitted_t for r in correct if r.first_chunk_t is not None]
    e2e = [r.ended_t - r.submitted_t for r in correct if r.ended_t is not None]
    out: dict[str, float | None] = {}
    for name, values in (("ttft", ttft), ("e2e", e2e)):
        for q in (50, 95, 99):
            value = percentile(values, q)
            out[f"{name}_p{q}_s"] = None if value is None else round(value, 6)
    return out


def cell_metrics(events: list[Event], ledger: list[dict[str, Any]], expect: ExpectFn) -> dict[str, Any]:
    """Everything the matrix says about one cell (one repetition)."""
    results = request_results(events, expect)
    summary = summarize(results)
    accepted = [r for r in results if r.outcome != "rejected"]
    faults = faults_of(events)
    metrics: dict[str, Any] = {
        "tasks_submitted": summary["requests"],
        "tasks_accepted": summary["accepted"],
        "tasks_correct": summary["correct"],
        "tasks_lost": summary["lost"],
        "outcomes": {k: summary[k] for k in ("correct", "failed", "lost", "duplicated", "truncated", "corrupt", "rejected")},
        "data_loss_pct": round(summary["data_loss_pct"], 6),
        "duplicate_chunks": sum(r.final.duplicates for r in accepted if r.final),
        "acknowledged_loss_chunks": sum(r.acknowledged_loss_chunks for r in accepted),
        "recovery_s": [recovery_times(f, results, events) | {"fault": f.index, "action": f.action} for f in faults],
        **cost(results, ledger, events),
        **latency(results),
    }
    return metrics
