"""The metrics of one cell, with DESIGN.md's definitions: pure functions of the history,
the ledger and the expected answers.

Like the checker (``llmchaos.checker``, which judges each request), nothing here reads a
file or a clock: the same history and ledger always give the same numbers, a stored run
can be measured again later, and every definition is tested on hand-made histories.

Definitions (one each, the same for every stack):

- **completeness**: a cell whose planned requests did not all run, whose load generator
  failed, whose history holds no request, or whose ledger has calls no request explains,
  measured nothing trustworthy: ``completeness`` gives the reasons, and the cell is an
  ``error``.
- **fault moment**: when the nemesis confirmed the target dead, stopped or frozen (the
  ``ok`` of its fire, which it writes only once confirmed), not when it sent the command.
- **recovery times**, from the fault moment to: (a) ``health``: every service answers
  again (the probe's ``recovered`` line); (b) ``first_ok``: the first canary (our own
  probe request, submitted every 0.5 s from the fault moment) shown complete and
  correct; (c) ``inflight_resume``: the first chunk, asked for after the fault moment, of
  a request that was in flight at it (accepted before, not ended) and went on to
  complete; (d) ``inflight_complete``: the first such request shown complete and
  correct. None when it never happened.
- **hit points**: per fault, the chunks each page in flight showed at the fault moment
  (min, median, max) and the first chunk each was shown after it: ``continued`` where it
  stopped and on to the end, ``stopped`` (the next chunk, then nothing), ``restarted``
  (the answer began over), ``skipped`` (a gap), or ``never``.
- **cost**: every ledger row is attributed to the user request (or canary) whose task it
  served; rows nobody explains are counted as unattributed. The users' cost is their
  rows' ``cost_usd``; a call refused before any token is billed nothing (as real
  providers bill) and is a *provider retry*, apart from *re-generations* (calls beyond the
  first that generated a request's text again). A generation is *useful* when it is the
  last completed call of the task a correct request finally showed; every other user call
  is *wasted*. Canary calls are counted apart.
- **cache**: a hit (``cached: true`` at submit) counts, and saves what the same answer's
  generation cost elsewhere in the ledger, only when its text is the right answer; a
  wrong one is a ``stale_cache_hit`` (and the request is corrupt).
- **what users lived through**: failed polls and submits; ``error_s``, the time from a
  failed operation to the request's next success or end; ``no_progress_s``, the waits
  between two pieces of news on a page (accepted, a new chunk, the end) longer than
  ``NOTICED_S``, each counted whole; the longest wait between two new chunks of each
  request (p50, p99, max over requests).
- **latency**: TTFT (submit to first non-empty chunk shown) and end-to-end (submit to the
  final status, or to giving up) over every accepted request, and separately over the
  completed ones (``*_completed_*``); percentiles by nearest rank, exact.
- **pages**: what the browser users' real pages showed (``page_metrics``): the same
  outcomes, data loss and latency, judged on the text the page rendered; the LLM calls
  their requests cost; the screenshots around each F5. Their outcomes count in the cell's
  verdict like the users'.
- **final state**: per task of the users, the status the final read found (``missing``
  when the stack no longer knows it, ``unreadable`` when it could not serve it);
  acknowledged loss summed over requests (None when nothing was read back).
- **power cut**: what each cut of the lazy filesystem dropped (bytes not synced, files
  they belonged to, namespace changes never committed) and what it left of the files the
  stack had written (``missing``, ``empty``, ``truncated``, ``reverted``, ``back``: see
  ``chaos.lazyfs.survey``), summed over the cuts, per volume too; None without a cut.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmchaos.checker import BROWSERS, CANARY, OUTCOMES, USERS, ExpectFn, RequestResult, on_a_page, request_results, summarize
from llmchaos.history import Event
from stacks.llm.text import text_sha256

NOTICED_S = 2.0  # a wait between two pieces of news on a page that a reader notices
REFUSED = ("fault", "rejected")  # ledger outcomes of a call the provider refused or failed


@dataclass(frozen=True)
class FaultTimes:
    index: int
    action: str
    fired_t: float  # the command was sent
    effective_t: float  # the target was confirmed dead, stopped or frozen: the fault moment
    recovered_t: float | None  # the recovery action done (None: never, or left to the restart policy)
    healthy_t: float | None  # the probe saw every service healthy after the recovery


def faults_of(events: Iterable[Event]) -> list[FaultTimes]:
    """Each fault the nemesis fired, with its times, from the nemesis's and probe's lines."""
    fired: dict[int, tuple[str, float]] = {}
    effective: dict[int, float] = {}
    recovered: dict[int, float] = {}
    healthy: dict[int, float] = {}
    for e in sorted(events, key=lambda e: e.t):
        index = e.value.get("fault")
        if index is None:
            continue
        phase = e.value.get("phase")
        if e.process == "nemesis" and e.type == "invoke" and phase == "fire":
            fired.setdefault(index, (e.value.get("action", e.f), e.t))
        elif e.process == "nemesis" and e.type == "ok" and phase == "fire":
            effective.setdefault(index, e.t)
        elif e.process == "nemesis" and e.type == "ok" and phase == "recover":
            recovered.setdefault(index, e.t)
        elif e.process == "probe" and e.value.get("recovered") is True:
            healthy.setdefault(index, e.t)
    return [
        FaultTimes(i, action, t, effective.get(i, t), recovered.get(i), healthy.get(i)) for i, (action, t) in sorted(fired.items())
    ]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (``q`` in 0..100): always a value that was measured."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _since(t: float | None, origin: float) -> float | None:
    return None if t is None else round(t - origin, 6)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def recovery_times(fault: FaultTimes, results: list[RequestResult], canaries: list[RequestResult]) -> dict[str, float | None]:
    """The four recovery times of one fault (see the module's docstring)."""
    t0 = fault.effective_t
    mine = f"canary-{fault.index}-"  # the canary of this fault (chaos.canary names its requests so)
    first_ok = min((c.ended_t for c in canaries if c.request.startswith(mine) and c.outcome == "correct" and c.ended_t is not None), default=None)
    inflight = _inflight(results, t0)
    # only requests that went on to complete: a lost one may still show, after the restart,
    # chunks saved before the crash that its page had not polled yet; that is not a resume
    resumed = min((shown for r in inflight if r.status == "completed" for shown, asked, _ in r.new_chunks if asked > t0), default=None)
    completed = min((r.ended_t for r in inflight if r.outcome == "correct" and r.ended_t is not None), default=None)
    return {
        "health": _since(fault.healthy_t, t0),
        "first_ok": _since(first_ok, t0),
        "inflight_resume": _since(resumed, t0),
        "inflight_complete": _since(completed, t0),
    }


HOWS = ("continued", "stopped", "restarted", "skipped", "never")  # how a page in flight went on after a fault


@dataclass(frozen=True)
class HitPoint:
    """Where a fault hit one request in flight, and where its page went on."""

    request: str
    chunks_shown: int  # chunks of its task the page showed at the fault moment
    resumed_at: int | None  # the id of the first chunk shown first after the fault (None: none was)
    how: str  # one of HOWS


def hit_points(fault: FaultTimes, results: list[RequestResult]) -> list[HitPoint]:
    """Each request in flight at the fault moment (accepted before it, not ended): how many
    chunks of its task the stack had served its page by then (polls sent before the fault
    moment), and the first chunk served to it afterwards (asked for after it):
    ``continued`` at the next chunk of the same task and on to a complete answer;
    ``stopped`` at the next chunk, but never complete (chunks saved before the fault,
    then nothing); ``restarted`` (another task, or chunk 0 again: the answer began over);
    ``skipped`` (chunks in between never shown); or ``never``."""
    t0 = fault.effective_t
    points = []
    for r in _inflight(results, t0):
        before = [(task, cid) for _, asked, task, cid in r.chunk_log if asked <= t0]
        task = before[-1][0] if before else r.tasks[0]
        shown = sum(1 for seen, _ in before if seen == task)
        after = min(((t, task_after, cid) for t, asked, task_after, cid in r.chunk_log if asked > t0), default=None)
        if after is None:
            points.append(HitPoint(r.request, shown, None, "never"))
            continue
        _, task_after, cid = after
        if task_after != task or (cid == 0 and shown):
            how = "restarted"
        elif cid > shown:
            how = "skipped"
        else:
            how = "continued" if r.status == "completed" else "stopped"
        points.append(HitPoint(r.request, shown, cid, how))
    return points


def hits_summary(points: list[HitPoint]) -> dict[str, Any] | None:
    """The hit points of a fault in a few numbers (None when no request was in flight)."""
    if not points:
        return None
    shown = [p.chunks_shown for p in points]
    resumed = [p.resumed_at for p in points if p.resumed_at is not None]
    return {
        "inflight": len(points),
        "chunks_shown": {"min": min(shown), "median": statistics.median(shown), "max": max(shown)},
        "resumed_at": {"min": min(resumed), "median": statistics.median(resumed), "max": max(resumed)} if resumed else None,
        **{how: sum(p.how == how for p in points) for how in HOWS},
    }


def _inflight(results: list[RequestResult], t0: float) -> list[RequestResult]:
    """The requests in flight at ``t0``: accepted before it, not ended."""
    return [r for r in results if r.tasks and r.accepted_t is not None and r.accepted_t < t0 and (r.ended_t is None or r.ended_t > t0)]


@dataclass(frozen=True)
class Attribution:
    """The ledger split by who caused each call."""

    per_request: list[list[dict[str, Any]]]  # the users' calls, per request (in the order of ``results``)
    canary: list[dict[str, Any]]
    unattributed: list[dict[str, Any]]
    per_page: list[list[dict[str, Any]]] = ()  # the browser users' calls, per request (in the order of ``pages``)

    @property
    def users(self) -> list[dict[str, Any]]:
        return [row for rows in self.per_request for row in rows]


def attribute(results: list[RequestResult], canaries: list[RequestResult], ledger: list[dict[str, Any]], pages: list[RequestResult] = ()) -> Attribution:
    """Each ledger row to the request that caused it: by its task id, else by the answer it
    generated (a submit the stack accepted but whose answer never reached the client, e.g.
    queued while the backend was frozen and the client had timed out); the rest is
    unattributed. A browser's page is known by its task ids only (it shows them)."""
    of_page = {task: i for i, r in enumerate(pages) for task in r.tasks}
    per_page: list[list[dict[str, Any]]] = [[] for _ in pages]
    rest = []
    for row in ledger:
        if row.get("task_id") in of_page:
            per_page[of_page[row["task_id"]]].append(row)
        else:
            rest.append(row)
    ledger = rest
    of_task = {task: i for i, r in enumerate(results) for task in r.tasks}
    of_text: dict[str, int] = {}
    for i, r in enumerate(results):
        of_text.setdefault(text_sha256(r.expected), i)
    canary_tasks = {task for c in canaries for task in c.tasks}
    canary_texts = {text_sha256(c.expected) for c in canaries}
    per_request: list[list[dict[str, Any]]] = [[] for _ in results]
    canary, unattributed = [], []
    for row in ledger:
        task, text = row.get("task_id"), row.get("text_sha256")
        if task in of_task:
            per_request[of_task[task]].append(row)
        elif task in canary_tasks or text in canary_texts:
            canary.append(row)
        elif text in of_text:
            per_request[of_text[text]].append(row)
        else:
            unattributed.append(row)
    return Attribution(per_request, canary, unattributed, per_page)


def _generated(row: dict[str, Any]) -> bool:
    return (row.get("completion_tokens") or 0) > 0


def _usd(rows: Iterable[dict[str, Any]]) -> float:
    return round(sum(row["cost_usd"] for row in rows), 8)


def _regenerations(per_request: list[list[dict[str, Any]]]) -> int:
    return sum(max(0, sum(_generated(row) for row in calls) - 1) for calls in per_request)


def cost(results: list[RequestResult], ledger: list[dict[str, Any]], canaries: list[RequestResult] | None = None,
         pages: list[RequestResult] = (), who: Attribution | None = None) -> dict[str, Any]:  # fmt: skip
    """LLM cost, wasted cost, re-generations, provider retries, cache savings, attribution
    (the browser users' calls are attributed, and counted in ``page_metrics``); ``who``:
    the ledger already attributed (``attribute``), when the caller needs it too."""
    who = who or attribute(results, canaries or [], ledger, pages)
    rows = who.users
    useful: set[str] = set()
    for r, calls in zip(results, who.per_request):
        if r.outcome != "correct":
            continue
        done = [row for row in calls if row.get("task_id") == r.tasks[-1] and row["outcome"] == "completed"]
        if done:
            useful.add(max(done, key=lambda row: row.get("end") or 0)["call_id"])
    regenerations = _regenerations(who.per_request)
    price_of: dict[str | None, float] = {}
    for row in ledger:
        if row["outcome"] == "completed":
            price_of.setdefault(row.get("text_sha256"), row["cost_usd"])
    hits = [r for r in results if r.cached and r.outcome == "correct"]
    stale = [r for r in results if r.cached and r.outcome != "correct"]
    hits_e2e = [r.ended_t - r.submitted_t for r in hits if r.ended_t is not None and r.submitted_t is not None]
    correct = sum(r.outcome == "correct" for r in results)
    total = _usd(rows)
    return {
        "llm_calls": len(rows),
        "llm_cost_usd": total,
        "wasted_cost_usd": _usd(row for row in rows if row["call_id"] not in useful),
        "regenerations": regenerations,
        "provider_retries": sum(1 for row in rows if row["outcome"] in REFUSED and not _generated(row)),
        "cost_per_correct_usd": round(total / correct, 8) if correct else None,
        "cache_hits": len(hits),
        "stale_cache_hits": len(stale),
        "cache_savings_usd": round(sum(price_of.get(text_sha256(r.expected), 0.0) for r in hits), 8),
        "cache_hit_e2e_p50_s": _r(percentile(hits_e2e, 50)),
        "canary_calls": len(who.canary),
        "canary_cost_usd": _usd(who.canary),
        "unattributed_calls": len(who.unattributed),
        "unattributed_cost_usd": _usd(who.unattributed),
    }


def _percentiles(name: str, values: list[float], qs: tuple[int, ...] = (50, 95, 99)) -> dict[str, float | None]:
    return {f"{name}_p{q}_s": _r(percentile(values, q)) for q in qs}


def latency(results: list[RequestResult]) -> dict[str, float | None]:
    """Exact TTFT and end-to-end percentiles over every accepted request, and over the completed ones."""
    accepted = [r for r in results if r.tasks and r.submitted_t is not None]
    out: dict[str, float | None] = {}
    for suffix, chosen in (("", accepted), ("_completed", [r for r in accepted if r.status == "completed"])):
        ttft = [r.first_chunk_t - r.submitted_t for r in chosen if r.first_chunk_t is not None]
        e2e = [r.ended_t - r.submitted_t for r in chosen if r.ended_t is not None]
        out |= _percentiles(f"ttft{suffix}", ttft) | _percentiles(f"e2e{suffix}", e2e)
    return out


def experience(results: list[RequestResult]) -> dict[str, Any]:
    """What users lived through: errors, waits without news, the longest gap between chunks."""
    accepted = [r for r in results if r.tasks]
    stalled = 0.0
    longest: list[float] = []
    for r in accepted:
        news = sorted(r.news_t)
        stalled += sum(b - a for a, b in zip(news, news[1:]) if b - a > NOTICED_S)
        if len(r.chunk_t) >= 2:
            longest.append(max(b - a for a, b in zip(r.chunk_t, r.chunk_t[1:])))
    return {
        "failed_polls": sum(r.failed_polls for r in results),
        "failed_submits": sum(r.failed_submits for r in results),
        "error_s": round(sum(r.error_s for r in results), 6),
        "no_progress_s": round(stalled, 6),
        "chunk_gap_max_p50_s": _r(percentile(longest, 50)),
        "chunk_gap_max_p99_s": _r(percentile(longest, 99)),
        "chunk_gap_max_s": _r(max(longest, default=None)),
    }


def final_state(results: list[RequestResult]) -> dict[str, Any]:
    """The final reads: each user task's status after the recovery, and what was taken back."""
    statuses: Counter[str] = Counter()
    for r in results:
        for task in dict.fromkeys(r.tasks):
            read = r.final_reads.get(task)
            statuses[read.final_status if read else "not read"] += 1
    losses = [loss for r in results if (loss := r.acknowledged_loss_chunks) is not None]
    return {
        "final_status": dict(sorted(statuses.items())),
        "acknowledged_loss_chunks": sum(losses) if losses else None,
        "unreadable_tasks": statuses.get("unreadable", 0),
    }


CUT_COUNTS = ("unsynced_bytes", "files_with_unsynced_data", "namespace_ops_dropped")
LEFT_KINDS = ("missing", "empty", "truncated", "reverted", "back")


def power_cuts(records: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """The power cuts' records (the lazy filesystem's ``Cut.as_dict``), or cells' sums of
    them, summed: what was dropped and what was left, per volume too; None if none."""
    records = [r for r in records if r]
    if not records:
        return None
    out: dict[str, Any] = {"cuts": sum(r.get("cuts", 1) for r in records)}
    out.update({k: sum(r.get(k, 0) for r in records) for k in CUT_COUNTS})
    lefts = [r.get("left") or {} for r in records]
    left: dict[str, Any] = {k: sum(x.get(k, 0) for x in lefts) for k in ("files_compared", *LEFT_KINDS)}
    volumes: dict[str, dict[str, int]] = {}
    for x in lefts:
        for volume, counts in (x.get("by_volume") or {}).items():
            into = volumes.setdefault(volume, dict.fromkeys(LEFT_KINDS, 0))
            for kind in LEFT_KINDS:
                into[kind] += counts.get(kind, 0)
    left["by_volume"] = dict(sorted(volumes.items()))
    left["examples"] = [e for x in lefts for e in x.get("examples", [])][:10]
    out["left"] = left
    return out


def cut_records(events: Iterable[Event]) -> list[dict[str, Any]]:
    """What each power cut of the cell dropped and left: the nemesis's recovery lines."""
    return [e.value["power_cut"] for e in events if e.process == "nemesis" and e.type == "ok" and e.value.get("power_cut")]


def recovery_logs(found: Iterable[dict[str, Any] | None]) -> dict[str, dict[str, Any]] | None:
    """What the services said about recovering their data (``chaos/recovery_log.py``): the
    cell's ``recovery-log`` lines, or cells' sums of them, summed per service and line name,
    with the first few lines quoted; None if no service has such patterns."""
    out: dict[str, dict[str, Any]] = {}
    for per_service in found:
        for service, seen in (per_service or {}).items():
            into = out.setdefault(service, {"said": {}, "lines": []})
            for name, n in seen["said"].items():
                into["said"][name] = into["said"].get(name, 0) + n
            if not into["lines"]:
                into["lines"] = list(seen["lines"])
    return dict(sorted(out.items())) or None


def recovery_log_records(events: Iterable[Event]) -> dict[str, dict[str, Any]]:
    """Per service, what its log said about recovering its data, as the cell recorded it."""
    return {e.value["service"]: {"said": e.value["said"], "lines": e.value["lines"]} for e in events if e.process == "orchestrator" and e.f == "recovery-log"}


def page_shots(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Per browser request, the screenshots taken just before and just after its F5 (paths
    relative to the cell) and the characters on screen then."""
    shots: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.process.startswith(BROWSERS) and event.value.get("shot"):
            kind = "before" if event.f == "refresh" else "after" if event.value.get("after_refresh") else "end"
            entry = shots.setdefault(event.value["request"], {"request": event.value["request"], "process": event.process})
            if kind not in entry:  # the first F5's, when a page was refreshed twice
                entry[kind] = event.value["shot"]
                entry[f"{kind}_chars"] = event.value.get("chars_shown", len(event.value.get("answer", "")))
    return sorted(shots.values(), key=lambda s: s["request"])


def page_metrics(pages: list[RequestResult], per_page: list[list[dict[str, Any]]], shots: list[dict[str, Any]]) -> dict[str, Any]:
    """What the browser users' pages showed: outcomes, data loss and latency as the users'
    (on the rendered text), the LLM calls their requests cost (``per_page``: their ledger
    rows, per request), and the screenshots around each F5."""
    summary = summarize(pages)
    return {
        "requests": summary["requests"],
        "accepted": summary["accepted"],
        "correct": summary["correct"],
        "outcomes": {k: summary[k] for k in OUTCOMES},
        "refreshes": summary["refreshes"],
        "data_loss_pct": round(summary["data_loss_pct"], 6),
        "llm_calls": sum(len(rows) for rows in per_page),
        "regenerations": _regenerations(per_page),
        **latency(pages),
        "shots": shots,
    }


def completeness(planned: int | None, locust_exit_code: int | None, events: list[Event], results: list[RequestResult], unattributed_calls: int,
                 pages_planned: int = 0, pages: list[RequestResult] = (), pages_exit_code: int | None = None) -> list[str]:  # fmt: skip
    """Why a cell measured nothing trustworthy (empty: it is complete)."""
    reasons = []
    if pages_exit_code not in (None, 0):
        reasons.append(f"the browser users exited with code {pages_exit_code}: see pages/pages.log")
    if pages_planned and len(pages) < pages_planned:
        reasons.append(f"only {len(pages)} of the {pages_planned} planned browser requests ran: see pages/pages.log")
    if unended_pages := sum(1 for r in pages if r.tasks and r.ended_t is None):
        reasons.append(f"{unended_pages} accepted browser requests never ended: the browser users stopped before them")
    if not any(e.process.startswith(USERS) for e in events):
        reasons.append("the history holds no user operation: the load generator sent nothing")
    elif planned is not None and len(results) < planned:
        reasons.append(f"only {len(results)} of the {planned} planned requests ran")
    if locust_exit_code not in (None, 0):
        reasons.append(f"the load generator (Locust) exited with code {locust_exit_code}: see locust/*.log")
    unended = sum(1 for r in results if r.tasks and r.ended_t is None)
    if unended:
        reasons.append(f"{unended} accepted requests never ended: the load generator stopped before them")
    if unattributed_calls:
        reasons.append(f"{unattributed_calls} LLM calls of the ledger map to no request of the history")
    return reasons


def verdict(cell: dict[str, Any]) -> str:
    """``ok``: every accepted request shown complete and correct, nothing taken back;
    ``failed``: some requests the stack itself declared failed (or refused), nothing
    silently lost; ``loss``: a request lost, truncated, duplicated or corrupt, or text a
    user had seen taken back (``error`` is decided before: the cell measured nothing
    trustworthy)."""
    outcomes = dict(cell["outcomes"])
    for name, count in ((cell.get("pages") or {}).get("outcomes") or {}).items():  # what the real pages showed counts the same
        outcomes[name] = outcomes.get(name, 0) + count
    if any(outcomes[k] for k in ("lost", "truncated", "duplicated", "corrupt")) or cell["acknowledged_loss_chunks"]:
        return "loss"
    if outcomes["failed"] or outcomes["rejected"]:
        return "failed"
    return "ok"


@dataclass(frozen=True)
class Expectations:
    """What a cell was meant to do, from its ``cell.json``."""

    planned: int | None = None
    locust_exit_code: int | None = None
    pages_planned: int = 0  # the browser users' requests
    pages_exit_code: int | None = None


def cell_metrics(events: list[Event], ledger: list[dict[str, Any]], expect: ExpectFn, meant: Expectations | None = None) -> dict[str, Any]:
    """Everything the matrix says about one cell (one repetition); ``errors`` lists why it
    is incomplete (empty when it is not)."""
    meant = meant or Expectations()
    results = request_results(events, expect)
    canaries = request_results(events, expect, who=CANARY)
    pages = request_results(events, on_a_page(expect), who=BROWSERS)
    summary = summarize(results)
    accepted = [r for r in results if r.outcome != "rejected"]
    who = attribute(results, canaries, ledger, pages)
    spent = cost(results, ledger, canaries, who=who)
    return {
        "tasks_submitted": summary["requests"],
        "tasks_accepted": summary["accepted"],
        "tasks_correct": summary["correct"],
        "tasks_lost": summary["lost"],
        "outcomes": {k: summary[k] for k in OUTCOMES},
        "refreshes": summary["refreshes"],
        "data_loss_pct": round(summary["data_loss_pct"], 6),
        "duplicate_chunks": sum(r.duplicate_chunks for r in accepted),
        **final_state(accepted),
        "recovery_s": [recovery_times(f, results, canaries) | {"fault": f.index, "action": f.action} for f in faults_of(events)],
        "power_cut": power_cuts(cut_records(events)),
        "recovery_log": recovery_logs([recovery_log_records(events)]),
        "hit_points": [{"fault": f.index, "action": f.action, **(hits_summary(hit_points(f, results)) or {"inflight": 0})} for f in faults_of(events)],
        "canaries": {"requests": len(canaries), "correct": sum(c.outcome == "correct" for c in canaries)},
        **spent,
        **experience(results),
        **latency(results),
        "pages": page_metrics(pages, who.per_page, page_shots(events)) if pages or meant.pages_planned else None,
        "errors": completeness(meant.planned, meant.locust_exit_code, events, results, spent["unattributed_calls"], meant.pages_planned, pages, meant.pages_exit_code),
    }
