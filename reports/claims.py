"""The seeds' guarantees table and every checkable claim they make, beside what this run measured.

The seeds (``../shared/seeds``, in French) give a table of guarantees per stack and many
figures (a cache hit in 0.5 s, F5 doubling the MVP's cost, Temporal resuming after a crash
with no re-generation, ...). Each claim is set here with its source section, a short quote,
the rule that decides it, and what the run measured. A rule reads the cells of the stack
the claim is about, and only those (a comparison reads the stacks it compares).

Verdicts: ``confirmed``; ``refuted``; ``mixed`` (holds in part; the measured text says
which part); ``not measured`` (the run lacks the scenario, or no scenario of the catalogue
can test it: the text says what would); ``not comparable``, when the scenario measured
differs from the seeds' story in a way that decides the claim (the ``ci`` profile's
2-second answers for the seeds' 5-minute ones, Temporal's F5 that can only come after its
non-streamed LLM call, a power cut inside that call where the seeds cut after it): the
measured text then says why, still gives the numbers and what the rule alone would say.
Where the seeds contradict themselves both claims are checked, and each names the other in
``contradicts``.

"Zero loss" is strict everywhere: every accepted request complete and correct (a
``failed`` request refutes it), nothing a user saw taken back by the final read (no final
read: not measured), no task unreadable after the recovery. Properties no load can measure
(an event history, a monitoring UI) are ``not measured`` rather than guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Cells = list[dict[str, Any]]
Judged = tuple[str, str]  # what was measured, the verdict
Rule = Callable[[Cells], Judged]
Item = tuple[tuple[str, str], ...]  # the (stack, scenario) cells one decision reads

A = "architecture-of-the-3-solutions.md"
V = "visual-comparison-of-the-3-architectures.md"
TABLE = f"{A}, « Guarantees (Garanties) »"
CRASHES = ("backend-kill", "worker-kill", "worker-stop-chunk-47", "worker-kill-after-generation", "datastore-kill", "host-kill", "host-kill-processes")
WORKER_DOWN = ("worker-kill", "worker-stop-chunk-47", "worker-kill-after-generation", "host-kill", "host-kill-processes")
VERDICTS = ("confirmed", "refuted", "mixed", "not measured", "not comparable")

# the seeds' table as written; blank cells (their symbol lost from the file) read as "no (blank)"
CLAIMED = {
    "survive F5 (refresh)": {"mvp": "partial", "redis": "yes", "temporal": "yes"},
    "survive a backend crash": {"mvp": "no (blank)", "redis": "partial", "temporal": "yes"},
    "survive a worker crash": {"mvp": "n/a", "redis": "n/a", "temporal": "yes"},
    "zero data loss": {"mvp": "no (blank)", "redis": "partial", "temporal": "yes"},
    "avoid re-generation": {"mvp": "no (blank)", "redis": "no (blank)", "temporal": "yes"},
    "event history": {"mvp": "no (blank)", "redis": "partial", "temporal": "yes"},
    "monitoring UI": {"mvp": "no (blank)", "redis": "no (blank)", "temporal": "yes"},
    "automatic retry": {"mvp": "no (blank)", "redis": "no (blank)", "temporal": "yes"},
}

# F5 as the table means it: the Redis ✅ needs the task id kept (the seeds' option A, f5-reattach);
# the MVP's ⚠ and Temporal's ✅ are f5-refresh (the MVP re-asks, Temporal re-attaches). The other is noted.
F5_READS = {"redis": ("f5-reattach", "f5-refresh")}
F5_DEFAULT = ("f5-refresh", "f5-reattach")


# ---- reading cells ----------------------------------------------------------------------


def _cell(cells: Cells, stack: str, scenario: str) -> dict[str, Any] | None:
    """The run's cell of a stack x scenario, whatever its verdict."""
    return next((c for c in cells if c["stack"] == stack and c["scenario"] == scenario), None)


def _find(cells: Cells, stack: str, scenario: str) -> dict[str, Any] | None:
    """The measured cell of a stack x scenario; an ``error`` cell's numbers decide nothing."""
    cell = _cell(cells, stack, scenario)
    return cell if cell is not None and "tasks_submitted" in cell and cell["verdict"] != "error" else None


def _na(cells: Cells, stack: str, scenario: str) -> bool:
    cell = _cell(cells, stack, scenario)
    return cell is not None and cell.get("verdict") == "not applicable"


def _need(cells: Cells, *pairs: tuple[str, str]) -> str | None:
    """Why cells cannot be read (absent from the run, not applicable, or errored), or None."""
    missing = [f"{stack}/{scenario}" for stack, scenario in dict.fromkeys(pairs) if _find(cells, stack, scenario) is None]
    return f"not measured in this run: {', '.join(missing)}" if missing else None


def _reads(c: dict[str, Any]) -> str:
    if c["acknowledged_loss_chunks"] is None:
        return "nothing read back"
    unreadable = f", {c['unreadable_tasks']} tasks unreadable" if c.get("unreadable_tasks") else ""
    return f"{c['acknowledged_loss_chunks']} shown chunks taken back{unreadable}"


def _outcome(c: dict[str, Any]) -> str:
    return (
        f"{c['tasks_correct']}/{c['tasks_accepted']} correct, {c['tasks_lost']} lost, {c['outcomes']['failed']} failed, "
        f"data loss {c['data_loss_pct']:.1f} %, {_reads(c)}, {c['regenerations']} re-generations"
    )


def _statuses(c: dict[str, Any]) -> str:
    return ", ".join(f"{n} {status}" for status, n in (c.get("final_status") or {}).items()) or "none"


def _zero_loss(c: dict[str, Any]) -> str:
    """Strict zero loss: ``yes``, ``no``, or ``not measured`` when nothing was read back.
    A refutation needs no final read: a failed, lost or unreadable request is enough."""
    if c["verdict"] != "ok" or c["tasks_correct"] != c["tasks_accepted"] or c.get("unreadable_tasks"):
        return "no"
    return "not measured" if c["acknowledged_loss_chunks"] is None else "yes"


def _regenerated(c: dict[str, Any]) -> bool:
    return bool(c["regenerations"] or c["wasted_cost_usd"])


def _overall(verdicts: list[str]) -> str:
    """Several cells, one claim that holds for all of them: one refutation refutes it;
    cells that measured nothing are left out."""
    decided = [v for v in verdicts if v != "not measured"]
    if not decided:
        return "not measured"
    if "refuted" in decided:
        return "refuted"
    return "confirmed" if set(decided) == {"confirmed"} else "mixed"


# ---- rule builders ----------------------------------------------------------------------


def _each(items: list[Item], decide: Callable[..., Judged]) -> Rule:
    """``decide`` on each item whose cells the run measured, verdicts combined by ``_overall``."""

    def rule(cells: Cells) -> Judged:
        absent = _need(cells, *(pair for item in items for pair in item))
        present = [(item, [_find(cells, *pair) for pair in item]) for item in items if not _need(cells, *item)]
        if not present:
            return str(absent), "not measured"
        judged = [(item, *decide(*found)) for item, found in present]
        texts = [text if len(items) == 1 else f"{'/'.join(item[0])}: {text}" for item, text, _ in judged]
        return "; ".join(texts + ([absent] if absent else [])), _overall([verdict for *_, verdict in judged])

    return rule


def _on_cell(stack: str, scenario: str, decide: Callable[[dict[str, Any]], Judged]) -> Rule:
    """A rule about one cell: ``not measured`` when the run lacks it, else ``decide(cell)``."""
    return _each([((stack, scenario),)], decide)


def _on_cells(*pairs: tuple[str, str], decide: Callable[..., Judged]) -> Rule:
    """A rule comparing several cells, all needed: ``decide(*cells)``."""
    return _each([pairs], decide)


def _every(stacks: tuple[str, ...], scenarios: tuple[str, ...], decide: Callable[[dict[str, Any]], Judged]) -> Rule:
    """A claim that holds for every listed cell the run measured."""
    return _each([((stack, scenario),) for stack in stacks for scenario in scenarios], decide)


def _every_cell_of(stack: str, decide: Callable[[dict[str, Any]], Judged]) -> Rule:
    """A claim about everything a stack does: every scenario the run gave it."""

    def rule(cells: Cells) -> Judged:
        scenarios = tuple(c["scenario"] for c in cells if c["stack"] == stack and not _na(cells, stack, c["scenario"]))
        return _every((stack,), scenarios, decide)(cells) if scenarios else (f"no {stack} cell in this run", "not measured")

    return rule


def _untested(why: str) -> Rule:
    """A claim no scenario of the catalogue (or no metric of the matrix) can test yet."""
    return lambda cells: (f"no scenario measures it: {why}", "not measured")


def _after_f5(decide: Callable[..., Judged]) -> Callable[..., Judged]:
    """An F5 claim needs a page that was refreshed (when the matrix counts them)."""

    def judged(c: dict[str, Any], *others: dict[str, Any]) -> Judged:
        if c.get("refreshes") == 0:
            return f"no page was refreshed in {c['stack']}/{c['scenario']}: F5 never fired", "not measured"
        return decide(c, *others)

    return judged


Comparable = Callable[[dict[str, Any]], str | None]  # the run block -> why it is not comparable, or None


def _always_comparable(run: dict[str, Any]) -> str | None:
    return None


def _never(why: str) -> Comparable:
    """The scenario differs from the seeds' story whatever the profile."""
    return lambda run: why


def _seed_profile_only(why: str) -> Comparable:
    """The seeds' absolute figures (5-minute answers, 30 s outages) need the ``seed`` profile."""
    return lambda run: None if run.get("profile") == "seed" else f"{why} (this run: profile {run.get('profile')})"


# ---- decisions on cells -----------------------------------------------------------------

ZERO_LOSS = {"yes": "confirmed", "no": "refuted", "not measured": "not measured"}
NOT_READ = "no task was read back after the recovery (no final read)"


def _no_loss(c: dict[str, Any]) -> Judged:
    """Zero loss, strict; the claim says nothing of re-generation (reported)."""
    return _outcome(c), ZERO_LOSS[_zero_loss(c)]


def _survives(c: dict[str, Any]) -> Judged:
    """Zero loss and no re-generation: zero loss paid for by a re-generation holds in part."""
    verdict = ZERO_LOSS[_zero_loss(c)]
    if verdict == "confirmed" and _regenerated(c):
        verdict = "mixed"
    return f"{_outcome(c)}, ${c['wasted_cost_usd']:.4f} wasted", verdict


def _no_regeneration(c: dict[str, Any]) -> Judged:
    return f"{c['regenerations']} re-generations, ${c['wasted_cost_usd']:.4f} wasted", "refuted" if _regenerated(c) else "confirmed"


def _lost_in_flight(c: dict[str, Any]) -> Judged:
    return _outcome(c), "confirmed" if c["tasks_lost"] or c["outcomes"]["failed"] else "refuted"


def _lost_not_resumed(c: dict[str, Any]) -> Judged:
    """Lost, and nothing in flight at the fault ever completed: the stack could not resume it."""
    done = (c.get("recovery_s") or {}).get("inflight_complete")
    text = f"{_outcome(c)}; first in-flight request completed: {'never' if done is None else f'{done:.1f} s after the fault'}"
    if not (c["tasks_lost"] or c["outcomes"]["failed"]):
        return text, "refuted"
    return text, "confirmed" if done is None else "mixed"


def _kept_what_was_shown(c: dict[str, Any]) -> Judged:
    """Chunks persisted before a crash: the final read returns everything users had seen."""
    missing = (c.get("final_status") or {}).get("missing", 0)
    text = f"final reads: {_statuses(c)}; {_outcome(c)}"
    if c["acknowledged_loss_chunks"] or c.get("unreadable_tasks") or missing:
        return text, "refuted"
    return (NOT_READ, "not measured") if c["acknowledged_loss_chunks"] is None else (text, "confirmed")


def _stuck_running(c: dict[str, Any]) -> Judged:
    """A task "stuck running": the final read, after the recovery and after every user left, still says running."""
    statuses = c["final_status"]
    if not statuses or set(statuses) == {"not read"}:
        return NOT_READ, "not measured"
    text = f"final reads after the recovery: {_statuses(c)}; {_outcome(c)}"
    return text, "confirmed" if statuses.get("running", 0) else "refuted"


def _exactly(c: dict[str, Any]) -> Judged:
    """Resumed exactly: no chunk twice, none missing, nothing taken back."""
    o = c["outcomes"]
    text = f"{c['duplicate_chunks']} duplicate chunks, {o['duplicated']} duplicated and {o['truncated']} truncated answers, {_reads(c)}"
    if c["duplicate_chunks"] or o["duplicated"] or o["truncated"] or c["acknowledged_loss_chunks"]:
        return text, "refuted"
    return text, "not measured" if c["acknowledged_loss_chunks"] is None else "confirmed"


def _crash_cost_nothing(c: dict[str, Any]) -> Judged:
    text = f"${c['wasted_cost_usd']:.4f} wasted, {c['llm_calls']} LLM calls for {c['tasks_accepted']} requests"
    return text, "confirmed" if not c["wasted_cost_usd"] and c["llm_calls"] == c["tasks_accepted"] else "refuted"


def _resumed_within(limit_s: float, since: str) -> Callable[[dict[str, Any]], Judged]:
    """In-flight requests resumed within ``limit_s`` of ``since`` (``fault``, or ``health``: the services back)."""

    def decide(c: dict[str, Any]) -> Judged:
        times = c.get("recovery_s")
        if not times:
            return "no fault recorded", "not measured"
        resume, start = times["inflight_resume"], 0.0 if since == "fault" else times["health"]
        if start is None:
            return "the services never reported healthy", "not measured"
        if resume is None:
            return f"services healthy {_s(times['health'])} after the fault; no request in flight at it went on to complete", "refuted"
        text = f"services healthy {_s(times['health'])} after the fault, in-flight requests resumed at {_s(resume)}: {resume - start:.1f} s after the {since}"
        return text, "confirmed" if resume - start <= limit_s else "refuted"

    return decide


def _resumed_where_it_stopped(c: dict[str, Any]) -> Judged:
    """Every page in flight at the fault went on at its next chunk to a complete answer
    (``hit_points``), with zero loss and no re-generation."""
    hits = c.get("hit_points")
    if not hits:
        return "no request was in flight at the fault", "not measured"
    shown, after = hits["chunks_shown"], hits["resumed_at"] or {}
    others = ", ".join(f"{hits[how]} {how}" for how in ("stopped", "restarted", "skipped", "never") if hits.get(how))
    text = (f"{hits['inflight']} pages in flight at chunks {shown['min']}-{shown['max']} (median {shown['median']:g}); "
            f"first chunk after: {after.get('min', '–')}-{after.get('max', '–')}; {hits['continued']} continued" + (f", {others}" if others else "")
            + f"; {c['regenerations']} re-generations")  # fmt: skip
    if hits["continued"] != hits["inflight"] or _zero_loss(c) == "no":
        return text, "refuted"
    return text, "mixed" if _regenerated(c) else "confirmed"


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _polls_failed(c: dict[str, Any]) -> Judged:
    return f"{c['failed_polls']} failed polls, {c['error_s']:.1f} s in error", "confirmed" if c["failed_polls"] else "refuted"


def _served_throughout(c: dict[str, Any]) -> Judged:
    text = f"{c['failed_polls']} failed polls, {c['failed_submits']} failed submits, {c['error_s']:.1f} s in error"
    return text, "refuted" if c["failed_polls"] or c["failed_submits"] else "confirmed"


def _progress_continues(c: dict[str, Any]) -> Judged:
    """Zero loss, no chunk twice, and no failed poll; failed polls during the outage alone hold in part."""
    text = f"{_outcome(c)}; {c['duplicate_chunks']} duplicate chunks, {c['failed_polls']} failed polls, longest gap {_s(c.get('chunk_gap_max_s'))}"
    lossless = _zero_loss(c)
    if lossless == "no" or c["duplicate_chunks"]:
        return text, "refuted"
    if lossless == "not measured":
        return text, "not measured"
    return text, "mixed" if c["failed_polls"] else "confirmed"


def _retried(c: dict[str, Any]) -> Judged:
    return f"{_outcome(c)}, {c['provider_retries']} provider retries, ${c['wasted_cost_usd']:.4f} wasted", ZERO_LOSS[_zero_loss(c)]


def _not_retried(c: dict[str, Any]) -> Judged:
    """No automatic retry: the outage fails the requests in flight, and nothing asks the provider again."""
    failed = c["tasks_lost"] + c["outcomes"]["failed"]
    text = f"{_outcome(c)}, {c['provider_retries']} provider retries"
    if not failed:
        return text, "refuted"
    return text, "confirmed" if not c["provider_retries"] else "mixed"


def _paid_twice(c: dict[str, Any]) -> Judged:
    """F5 halfway then a re-ask: the bill is twice the answers delivered, every request still correct, no cache hit."""
    useful = c["llm_cost_usd"] - c["wasted_cost_usd"]
    ratio = c["llm_cost_usd"] / useful if useful > 0 else math.inf
    text = (
        f"paid {ratio:.2f}x the cost of the answers delivered (${c['llm_cost_usd']:.4f} for ${useful:.4f}); {c['llm_calls']} LLM calls "
        f"for {c['tasks_accepted']} requests, {c.get('refreshes', '–')} refreshes, {c['cache_hits']} cache hits; {_outcome(c)}"
    )
    held = 1.8 <= ratio <= 2.2 and c["tasks_correct"] == c["tasks_accepted"] and not c["cache_hits"]
    return text, "confirmed" if held else "refuted"


def _reask_regenerates(c: dict[str, Any]) -> Judged:
    """No re-attach: every refresh costs one new full generation (the answer is still delivered)."""
    regen, refreshes = c["regenerations"], c.get("refreshes")
    text = f"{regen} re-generations for {'–' if refreshes is None else refreshes} refreshes; {_outcome(c)}"
    if not regen:
        return text, "refuted"
    return text, "confirmed" if regen >= (refreshes or 1) and c["tasks_correct"] == c["tasks_accepted"] else "mixed"


def _reask_misses_cache(c: dict[str, Any]) -> Judged:
    """A re-ask during the generation finds no cache (written at completion) and generates again."""
    text = f"{c['cache_hits']} cache hits, {c['regenerations']} re-generations, {c.get('refreshes', '–')} refreshes"
    if c["cache_hits"]:
        return text, "refuted"
    return (text, "confirmed") if c["regenerations"] else (f"{text}: no prompt was asked again during its generation", "not measured")


def _on_pages(stack: str, decide: Callable[[dict[str, Any]], Judged]) -> Rule:
    """A claim judged on what real pages showed: the ``pages`` block of ``STACK/f5-browser``."""

    def judged(c: dict[str, Any]) -> Judged:
        pages = c.get("pages")
        if not pages or not pages["refreshes"]:
            return f"no page was refreshed in {stack}/f5-browser", "not measured"
        return decide(pages)

    return _on_cell(stack, "f5-browser", judged)


def _pages_text(p: dict[str, Any]) -> str:
    return f"{p['correct']}/{p['accepted']} pages ended with the whole answer; {p['refreshes']} F5, {p['llm_calls']} LLM calls, {p['regenerations']} re-generations"


def _page_asks_again(p: dict[str, Any]) -> Judged:
    """The refreshed page forgot the question: asked again, it shows the whole answer, paid again."""
    if p["correct"] != p["accepted"] or not p["regenerations"]:
        return _pages_text(p), "refuted"
    return _pages_text(p), "confirmed" if p["regenerations"] >= p["refreshes"] else "mixed"


def _page_resumes(p: dict[str, Any]) -> Judged:
    """The refreshed page found its task again: the whole answer, each chunk once, paid once."""
    if p["correct"] != p["accepted"]:
        return _pages_text(p), "refuted"
    return _pages_text(p), "mixed" if p["regenerations"] else "confirmed"


def _f5_time(f5: dict[str, Any], base: dict[str, Any]) -> Judged:
    """F5 at half the answer, then a re-ask: the seeds' 7 minutes for 5 (1.4x; 1.5x with an immediate re-ask)."""
    if f5["e2e_p50_s"] is None or not base["e2e_p50_s"]:
        return "no end-to-end time", "not measured"
    ratio = f5["e2e_p50_s"] / base["e2e_p50_s"]
    text = f"median end to end {f5['e2e_p50_s']:.2f} s with F5, {base['e2e_p50_s']:.2f} s without: {ratio:.2f}x"
    return text, "confirmed" if 1.3 <= ratio <= 1.6 else "refuted"


def _f5_costs_little_time(t_f5: dict[str, Any], t_base: dict[str, Any], m_f5: dict[str, Any]) -> Judged:
    if None in (t_f5["e2e_p50_s"], m_f5["e2e_p50_s"]) or not t_base["e2e_p50_s"]:
        return "no end-to-end time", "not measured"
    ratio = t_f5["e2e_p50_s"] / t_base["e2e_p50_s"]
    text = f"temporal median end to end {t_f5['e2e_p50_s']:.2f} s with F5, {t_base['e2e_p50_s']:.2f} s without ({ratio:.2f}x); mvp with F5 {m_f5['e2e_p50_s']:.2f} s"
    return text, "confirmed" if ratio <= 1.15 and t_f5["e2e_p50_s"] < m_f5["e2e_p50_s"] else "refuted"


def _cache_hit(c: dict[str, Any]) -> Judged:
    """A hit: answered in 0.5 s, with no LLM call (calls only for the misses), never a stale answer."""
    p50, misses = c["cache_hit_e2e_p50_s"], c["tasks_accepted"] - c["cache_hits"]
    if not c["cache_hits"] or p50 is None:
        return f"no cache hit happened: {c['llm_calls']} LLM calls for {c['tasks_accepted']} requests", "refuted"
    text = f"{c['cache_hits']} hits, median {p50:.2f} s submit to final status (the front end polls every 0.2 s); {c['llm_calls']} LLM calls for {misses} misses; {c['stale_cache_hits']} stale hits"
    return text, "confirmed" if p50 <= 0.5 and c["llm_calls"] <= misses and not c["stale_cache_hits"] else "refuted"


def _hit_vs_miss(hits: dict[str, Any], misses: dict[str, Any]) -> Judged:
    hit, miss = hits["cache_hit_e2e_p50_s"], misses["e2e_p50_s"]
    if hit is None or not miss:
        return "no cache hit, or no generation timed", "not measured"
    return f"hit median {hit:.2f} s, a generation (redis/baseline) median {miss:.2f} s: {miss / hit:.0f}x faster", "confirmed" if hit <= 0.5 and miss >= 250 else "refuted"


def _hit_saves_a_generation(c: dict[str, Any]) -> Judged:
    """Each hit saves what a generation costs (within 10 %) and calls nothing itself."""
    if not c["cache_hits"]:
        return "no cache hit happened", "refuted"
    per_hit, per_call = c["cache_savings_usd"] / c["cache_hits"], c["llm_cost_usd"] / max(1, c["llm_calls"])
    text = f"${c['cache_savings_usd']:.4f} saved by {c['cache_hits']} hits (${per_hit:.5f} each), a generation costs ${per_call:.5f}; {c['llm_calls']} LLM calls for {c['tasks_accepted']} requests"
    held = abs(per_hit - per_call) <= 0.1 * per_call and c["llm_calls"] <= c["tasks_accepted"] - c["cache_hits"]
    return text, "confirmed" if held else "refuted"


def _right_answer_from_cache(c: dict[str, Any]) -> Judged:
    text = f"{c['cache_hits']} hits, {c['stale_cache_hits']} stale, {c['outcomes']['corrupt']} corrupt answers"
    if c["stale_cache_hits"] or c["outcomes"]["corrupt"]:
        return text, "refuted"
    return text, "confirmed" if c["cache_hits"] else "not measured"


def _cache_cuts_cost(redis: dict[str, Any], mvp: dict[str, Any]) -> Judged:
    per_redis, per_mvp = redis["llm_cost_usd"] / redis["tasks_accepted"], mvp["llm_cost_usd"] / mvp["tasks_accepted"]
    cut = 1 - per_redis / per_mvp if per_mvp else 0.0
    text = f"LLM cost per request ${per_redis:.5f} with the cache, ${per_mvp:.5f} without (mvp): {100 * cut:.0f} % less"
    return text, "confirmed" if cut >= 0.40 else "refuted"


def _wasted_a_whole_answer(c: dict[str, Any]) -> Judged:
    """Each lost task wasted a whole answer's cost (±20 %); the part streamed before the cut holds in part."""
    lost = c["tasks_lost"] + c["outcomes"]["failed"]
    if not lost:
        return f"no task lost: {_outcome(c)}", "refuted"
    if not c["tasks_correct"]:
        return "no answer completed to price a whole one", "not measured"
    whole = (c["llm_cost_usd"] - c["wasted_cost_usd"]) / c["tasks_correct"]
    share = c["wasted_cost_usd"] / lost / whole
    text = f"${c['wasted_cost_usd'] / lost:.5f} wasted per lost task, {100 * share:.0f} % of a whole answer (${whole:.5f})"
    return text, "confirmed" if 0.8 <= share <= 1.2 else "mixed" if 0 < share < 0.8 else "refuted"


def _redis_wastes_less(redis: dict[str, Any], mvp: dict[str, Any]) -> Judged:
    if not mvp["wasted_cost_usd"]:
        return f"the mvp wasted nothing (redis ${redis['wasted_cost_usd']:.4f})", "not measured"
    ratio = redis["wasted_cost_usd"] / mvp["wasted_cost_usd"]
    return f"wasted ${redis['wasted_cost_usd']:.4f} (redis) vs ${mvp['wasted_cost_usd']:.4f} (mvp): {ratio:.2f}x", "confirmed" if ratio <= 0.7 else "refuted"


def _same_bill(temporal: dict[str, Any], mvp: dict[str, Any]) -> Judged:
    t, m = temporal["cost_per_correct_usd"], mvp["cost_per_correct_usd"]
    if t is None or m is None:
        return "no correct request to price", "not measured"
    text = f"per correct request ${t:.5f} (temporal) vs ${m:.5f} (mvp); LLM calls {temporal['llm_calls']}/{temporal['tasks_accepted']} and {mvp['llm_calls']}/{mvp['tasks_accepted']} requests"
    one_call = all(c["llm_calls"] == c["tasks_accepted"] for c in (temporal, mvp))
    return text, "confirmed" if abs(t - m) <= 0.05 * m and one_call else "refuted"


def _streams_like_mvp(temporal: dict[str, Any], mvp: dict[str, Any]) -> Judged:
    """Real-time streaming: Temporal's first text about when the MVP's; only after the whole answer refutes it."""
    t, m, m_end = temporal["ttft_p50_s"], mvp["ttft_p50_s"], mvp["e2e_p50_s"]
    if None in (t, m, m_end):
        return "no first chunk timed", "not measured"
    text = f"first chunk shown: temporal median {t:.2f} s, mvp {m:.2f} s (its whole answer {m_end:.2f} s)"
    return text, "confirmed" if t <= m + 1.0 else "refuted" if t >= 0.8 * m_end else "mixed"


def _shown_as_saved(c: dict[str, Any]) -> Judged:
    """Live streaming, read on the page's own times whatever the profile: the first chunk within
    the first quarter of the answer's time, and no wait between two chunks longer than a quarter of the rest."""
    ttft, end, longest = c["ttft_p50_s"], c["e2e_p50_s"], c["chunk_gap_max_p50_s"]
    if None in (ttft, end, longest):
        return "no chunk timed", "not measured"
    text = f"first chunk median {ttft:.2f} s of {end:.2f} s end to end, longest wait between two chunks median {longest:.2f} s"
    return text, "confirmed" if ttft <= 0.25 * end and longest <= 0.25 * (end - ttft) else "refuted"


# ---- the claims -------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str  # in English, one sentence
    source: str  # file, « section heading »
    quote: str  # the seeds' words; " … " joins fragments of the same section
    rule: str  # the rule in one sentence, shown in the report
    check: Rule
    comparable: Comparable = _always_comparable


def _sec(file: str, heading: str, where: str = "") -> str:
    return f"{file}, « {heading} »{f' ({where})' if where else ''}"


A_STREAM, A_POLL, A_MVP_F5 = _sec(A, "2⃣ Streaming en Cours"), _sec(A, "3⃣ Polling par Frontend"), _sec(A, "4⃣ Rafraîchissement Page (F5)")
A_REDIS, A_HIT, A_MISS = _sec(A, "Vue d'ensemble", "SOLUTION 1 REDIS"), _sec(A, "Flux de Données - Cache Hit"), _sec(A, "Flux de Données - Cache Miss")
A_F5_PG, A_START, A_STEPS = _sec(A, "Flux après F5 (avec PostgreSQL)"), _sec(A, "1⃣ Démarrage Workflow"), _sec(A, "2⃣ Exécution Workflow avec Checkpoints")
A_QUERY, A_CRASH, A_LAYERS = _sec(A, "3⃣ Query Pendant Exécution"), _sec(A, "4⃣ Crash Recovery - LE SCÉNARIO CLÉ"), _sec(A, "Persistance Layers")
A_SIZE, A_PICK = _sec(A, "Complexité"), _sec(A, "Choisir Temporal si:")
V_100, V_CUT = _sec(V, "Scénario: Génération de 100 chunks (5 minutes)"), _sec(V, "Situation: Tout crash en même temps")
V_TCO, V_PERF, V_SUM = _sec(V, "Coût Total de Possession (TCO) - 1 an"), _sec(V, "Graphique Performance"), _sec(V, "Résumé Exécutif")

TEMPORAL_F5 = "Temporal's front end shows nothing until its one non-streamed LLM call has ended, so its F5 comes after the generation, where the seeds refresh at 50 % of it"
TEMPORAL_CUT = "the ci profile's host-kill cuts at 50 % of the LLM call, before Temporal has checkpointed its result; the seeds cut at 60 % of an answer whose text was already checkpointed (chunks 0-60 saved), as the seed profile does"
FIVE_MINUTES = "the seeds time answers of 100 chunks over 5 minutes; other profiles' answers take seconds"

CLAIMS: list[Claim] = [
    # F5
    Claim("f5-doubles-mvp-cost", "F5 halfway makes the MVP pay for the answer twice.", V_PERF, "MVP (F5 sans reconnexion) … Coût: $0.04 (2× génération)",
          "confirmed if mvp/f5-refresh paid 1.8-2.2 times the cost of the answers it delivered and every request ended correct.", _on_cell("mvp", "f5-refresh", _after_f5(_paid_twice))),
    Claim("f5-mvp-no-reconnect", "After F5 the MVP's page has lost the task id: re-asking is the only way, one new full generation per refresh.", A_MVP_F5,
          "User doit re-demander avec MÊME prompt … LIMITATION MVP: Pas de vraie reconnexion après F5",
          "confirmed if mvp/f5-refresh re-generated at least once per refresh with every request correct; refuted if nothing was re-generated.", _on_cell("mvp", "f5-refresh", _after_f5(_reask_regenerates))),
    Claim("f5-redis-survives", "The Redis stack survives F5 (the guarantees table's ✅).", TABLE, "Survive F5 (refresh) │ ⚠ │ ✅ │ ✅",
          "on redis/f5-reattach (the page keeps the task id, the seeds' option A): confirmed if zero loss and no re-generation, mixed if zero loss paid by a re-generation, refuted otherwise.",
          _on_cell("redis", "f5-reattach", _after_f5(_survives))),
    Claim("f5-redis-doubles-cost", "F5 halfway loses the Redis task: the re-ask generates again and the answer costs twice.", V_PERF, "REDIS (F5 sans reconnexion) … Avantage: Chunks en DB (mais task perdue)",
          "confirmed if redis/f5-refresh (the page re-asks) paid 1.8-2.2 times the answers delivered, every request correct and no cache hit.", _on_cell("redis", "f5-refresh", _after_f5(_paid_twice))),
    Claim("f5-mvp-redis-time-1.4x", "With F5 at 50 %, the MVP and Redis take 7 minutes for a 5-minute answer.", V_PERF, "Total: 7 minutes",
          "confirmed if, for each of mvp and redis, the median end to end of f5-refresh is 1.3-1.6 times that of baseline.",
          _each([(("mvp", "f5-refresh"), ("mvp", "baseline")), (("redis", "f5-refresh"), ("redis", "baseline"))], _after_f5(_f5_time))),
    Claim("f5-temporal-pays-once", "F5 with Temporal re-attaches to the workflow and pays for the answer once.", V_PERF, "TEMPORAL (F5 avec auto-recovery) … Coût: $0.02 (1× génération) ✅",
          "confirmed if temporal/f5-refresh kept zero loss with no re-generation (mixed if it re-generated).", _on_cell("temporal", "f5-refresh", _after_f5(_survives)), _never(TEMPORAL_F5)),
    Claim("f5-temporal-time-5.5min", "With F5 at 50 %, Temporal takes 5.5 minutes for a 5-minute answer, faster than the MVP and Redis.", V_PERF,
          "Total: 5.5 minutes ✅ … Économie vs MVP/Redis: 1.5 min + $0.02",
          "confirmed if temporal's median end to end in f5-refresh is at most 1.15 times its baseline's and below the MVP's in f5-refresh.",
          _on_cells(("temporal", "f5-refresh"), ("temporal", "baseline"), ("mvp", "f5-refresh"), decide=_after_f5(_f5_costs_little_time)), _seed_profile_only(FIVE_MINUTES)),
    # F5 pressed in a real browser, on the stacks' own pages (f5-browser)
    Claim("f5-browser-mvp-asks-again", "On the MVP's page, F5 halfway empties it: asked again, the page shows the whole answer, generated a second time.", A_MVP_F5,
          "User doit re-demander avec MÊME prompt … LIMITATION MVP: Pas de vraie reconnexion après F5",
          "on mvp/f5-browser (Chromium on the MVP's page): confirmed if every page ended with the whole answer and each F5 cost a re-generation; refuted if a page did not end whole or nothing was re-generated.",
          _on_pages("mvp", _page_asks_again)),
    Claim("f5-browser-redis-asks-again", "On the Redis page, F5 halfway loses the task: asked again, the answer is generated a second time.", V_PERF,
          "REDIS (F5 sans reconnexion) … Avantage: Chunks en DB (mais task perdue)",
          "on redis/f5-browser (Chromium on the Redis page, which keeps no task id): confirmed if every page ended with the whole answer and each F5 cost a re-generation; refuted if a page did not end whole or nothing was re-generated.",
          _on_pages("redis", _page_asks_again)),
    Claim("f5-browser-temporal-resumes", "On Temporal's page, F5 re-attaches to the workflow: the page ends with the whole answer, each chunk once, paid once.", V_PERF,
          "TEMPORAL (F5 avec auto-recovery) … Coût: $0.02 (1× génération) ✅",
          "on temporal/f5-browser (Chromium on Temporal's page, the workflow id kept in the address): confirmed if every page ended with the whole answer and nothing was re-generated; mixed if it was.",
          _on_pages("temporal", _page_resumes), _never(TEMPORAL_F5)),
    Claim("redis-f5-reattach-by-task-id", "With the task id kept, a refreshed Redis page reads every chunk so far from PostgreSQL and keeps polling: no loss, no re-generation.", A_F5_PG,
          "SI on a le task_id: … Return all chunks so far … Frontend displays + continues polling",
          "confirmed if redis/f5-reattach kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.", _on_cell("redis", "f5-reattach", _after_f5(_survives))),
    # the Redis cache
    Claim("cache-hit-0.5s", "Redis answers a repeated prompt from its cache in about 0.5 s, with no LLM call.", A_HIT, "Total time: 0.5 seconds ! … Cost saved: $0.02 (no LLM call)",
          "confirmed if redis/cache-repeat had hits, their median submit-to-final time was at most 0.5 s, no more LLM calls than misses, and no stale hit.", _on_cell("redis", "cache-repeat", _cache_hit)),
    Claim("cache-hit-vs-miss-300s", "A cache hit takes 0.5 s where the generation took 300 s.", V_100, "Cache hit sur 2ème demande identique (0.5s au lieu de 300s !)",
          "confirmed if redis/cache-repeat's hits took at most 0.5 s (median) and redis/baseline's generations at least 250 s.",
          _on_cells(("redis", "cache-repeat"), ("redis", "baseline"), decide=_hit_vs_miss), _seed_profile_only(FIVE_MINUTES)),
    Claim("cache-hit-saves-cost", "Each cache hit saves the cost of one generation and costs nothing.", A_HIT, "Cost saved: $0.02 (no LLM call)",
          "confirmed if redis/cache-repeat's savings per hit are within 10 % of a generation's cost and no hit made an LLM call.", _on_cell("redis", "cache-repeat", _hit_saves_a_generation)),
    Claim("cache-filled-at-completion", "The Redis cache is written only when an answer completes, so a prompt asked again during its generation is a miss.", A_MISS,
          "9. After completion: … SAVE TO REDIS CACHE",
          "confirmed if redis/f5-refresh's re-asks found no cache hit and generated again; refuted if one was served from the cache.", _on_cell("redis", "f5-refresh", _after_f5(_reask_misses_cache))),
    Claim("cache-key-prompt-provider-model", "A cache hit returns this prompt's answer for this provider and model.", A_HIT, 'cache_key = sha256("Explain AI:openai:gpt-4o")',
          "confirmed if redis/cache-repeat had hits and none was stale or corrupt (one model only: the other-model half is untested).", _on_cell("redis", "cache-repeat", _right_answer_from_cache)),
    Claim("cache-ttl-1h", "A cached answer expires after one hour.", A_REDIS, "TTL: 3600 seconds (1 hour)",
          "confirmed if a repeat after the TTL is a miss and one before it a hit.", _untested("runs last minutes; a cache-repeat with a short CACHE_TTL_S would")),
    Claim("cache-cuts-llm-cost-40pct", "The cache cuts the LLM bill by 40 % against the MVP.", V_TCO, "LLM API calls: $120/mois × 12 = $1,440 (↓40% grâce cache)",
          "confirmed if redis/cache-repeat's LLM cost per request is at least 40 % below mvp/cache-repeat's.",
          _on_cells(("redis", "cache-repeat"), ("mvp", "cache-repeat"), decide=_cache_cuts_cost),
          _never("the seeds give no repeat rate: the cut is set by the cache-repeat workload (its share of repeated prompts), not by the stack")),
    # backend crash
    Claim("mvp-backend-crash-loses", "A backend crash loses the MVP's generation in progress.", V_100, "Si backend crash → Perte génération en cours",
          "confirmed if mvp/backend-kill lost or failed requests; refuted if every request completed.", _on_cell("mvp", "backend-kill", _lost_in_flight)),
    Claim("mvp-backend-crash-keeps-chunks", "The MVP's chunks already written to its JSON files survive a backend crash.", A_STREAM, "3. Écrit: /storage/abc-123_chunks.json … PERSISTANCE",
          "confirmed if mvp/backend-kill's final reads took back no shown chunk, with no task unreadable or missing; not measured without final reads.", _on_cell("mvp", "backend-kill", _kept_what_was_shown)),
    Claim("redis-backend-crash-loses-generation", "A backend crash loses the Redis stack's generation in progress.", V_100, "Génération perdue (needs restart)",
          "confirmed if redis/backend-kill lost or failed requests; refuted if every request completed.", _on_cell("redis", "backend-kill", _lost_in_flight)),
    Claim("redis-backend-crash-keeps-chunks", "Chunks already in PostgreSQL survive a Redis-stack backend crash (an advantage over the MVP).", A_F5_PG,
          "AVANTAGE vs MVP: Chunks en PostgreSQL persistent même si backend crash",
          "confirmed if redis/backend-kill's final reads took back no shown chunk, with no task unreadable or missing; not measured without final reads.", _on_cell("redis", "backend-kill", _kept_what_was_shown)),
    Claim("temporal-backend-crash-zero-loss", "Temporal survives a backend crash with zero loss and no re-generation.", TABLE, "Survive backend crash │ │ ⚠ │ ✅",
          "confirmed if temporal/backend-kill kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.", _on_cell("temporal", "backend-kill", _survives)),
    # worker crash (Temporal)
    Claim("temporal-worker-crash-while-saving", "A worker crash while the answer is saved chunk by chunk: Temporal resumes at the next chunk, zero loss, no re-generation.", A_STEPS,
          "SI WORKER CRASH au chunk 47: … ZERO perte",
          "confirmed if temporal/worker-stop-chunk-47 (the worker stopped while chunks are saved, started again after the downtime) kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.",
          _on_cell("temporal", "worker-stop-chunk-47", _survives)),
    Claim("temporal-resumes-at-chunk-47", "A worker crash at chunk 47: the workflow resumes at chunk 47, chunks 0-46 kept, the LLM call not made again.", A_STEPS,
          "SI WORKER CRASH au chunk 47: … Workflow reprend au chunk 47 … Chunks 0-46 déjà sauvegardés",
          "confirmed if every page in flight when temporal/worker-stop-chunk-47's worker stopped went on at its next chunk to a correct answer, with no re-generation; mixed if it re-generated; refuted otherwise.",
          _on_cell("temporal", "worker-stop-chunk-47", _resumed_where_it_stopped)),
    Claim("temporal-replay-skips-llm", "A worker crash right after the LLM call: the replay takes the call's result from the history and does not call again.", V_100,
          "REPLAY depuis Event_51 … Skip LLM gen (Event_5 done) … Économie: Pas de re-génération LLM",
          "confirmed if temporal/worker-kill-after-generation (killed once the calls of the requests in flight had ended) kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.",
          _on_cell("temporal", "worker-kill-after-generation", _survives)),
    Claim("temporal-resumes-exactly", "After a worker crash the workflow resumes exactly where it was: nothing lost, nothing repeated.", V_100, "Reprend EXACTEMENT où il était",
          "confirmed if temporal/worker-stop-chunk-47 showed no chunk twice, no duplicated or truncated answer, and its final reads took nothing back.", _on_cell("temporal", "worker-stop-chunk-47", _exactly)),
    Claim("temporal-worker-crash-cost-zero", "A worker crash costs Temporal nothing in LLM calls.", A_CRASH, "Total cost lost: $0 (no re-generation)",
          "confirmed if temporal/worker-stop-chunk-47 wasted $0 and made one LLM call per request.", _on_cell("temporal", "worker-stop-chunk-47", _crash_cost_nothing)),
    Claim("temporal-worker-crash-5s", "Once the worker is back, a worker crash costs Temporal about 5 s of reconnection.", A_CRASH,
          "30 seconds pass... … Total time lost: ~5 seconds (reconnection)",
          "confirmed if temporal/worker-stop-chunk-47's in-flight requests resumed within 5.2 s (5 s and one poll) of every service being healthy again (the worker started after the downtime).",
          _on_cell("temporal", "worker-stop-chunk-47", _resumed_within(5.2, "health"))),
    Claim("temporal-worker-crash-mid-generation", "A worker crash during the LLM call: Temporal survives it with zero loss and no re-generation.", TABLE,
          "Survive worker crash │ N/A │ N/A │ ✅ … Avoid re-generation │ │ │ ✅",
          "confirmed if temporal/worker-kill (killed at 50 % of the LLM call) kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.",
          _on_cell("temporal", "worker-kill", _survives)),
    Claim("temporal-polls-fail-while-worker-down", "Temporal's status queries are answered from the worker's memory, so the page's polls fail while no worker runs.", A_QUERY,
          "Reads from workflow MEMORY (not DB)",
          "confirmed if every temporal cell where the worker went down (worker-kill, worker-stop-chunk-47, worker-kill-after-generation, host-kill, host-kill-processes) had failed polls; refuted if one had none.",
          _every(("temporal",), WORKER_DOWN, _polls_failed)),
    Claim("temporal-datastore-crash-zero-loss", "Temporal survives a crash of its database with zero loss and no re-generation.", A_LAYERS, "Survives ANY crash",
          "confirmed if temporal/datastore-kill (the Temporal server killed) kept zero loss with no re-generation; mixed if it re-generated; refuted otherwise.",
          _on_cell("temporal", "datastore-kill", _survives)),
    Claim("temporal-any-crash", "Temporal survives any crash (worker, backend, database) with zero data loss.", V_100, "Survive tout crash (worker, backend, DB) … Zero data loss",
          "confirmed if every temporal crash cell (backend-kill, the three worker crashes, datastore-kill, host-kill with and without the lazy filesystem) kept zero loss; refuted by one that did not.",
          _every(("temporal",), CRASHES, _no_loss)),
    # power cut
    Claim("power-cut-mvp-loses", "A power cut loses the MVP's task in progress.", V_CUT, "Task perdue, chunks orphelins … User doit re-demander",
          "confirmed if mvp/host-kill lost or failed requests; refuted if every request completed.", _on_cell("mvp", "host-kill", _lost_in_flight)),
    Claim("power-cut-mvp-keeps-chunks", "The MVP's chunks written before a power cut are still on disk.", V_CUT, "Files: ✅ Chunks 0-60 existent (si écrits avant crash)",
          "confirmed if mvp/host-kill's final reads took back no shown chunk, with no task unreadable or missing.", _on_cell("mvp", "host-kill", _kept_what_was_shown)),
    Claim("power-cut-redis-stuck", "A power cut leaves the Redis stack's task stuck 'running'.", V_CUT, 'Chunks en DB mais task status = "running"',
          "confirmed if a task of redis/host-kill still read 'running' after the recovery and after every user left.", _on_cell("redis", "host-kill", _stuck_running)),
    Claim("power-cut-redis-keeps-chunks", "After a power cut PostgreSQL still holds the Redis stack's chunks and task record.", V_CUT, "PostgreSQL: ✅ Chunks 0-60 + task record",
          "confirmed if redis/host-kill's final reads took back no shown chunk, with no task unreadable or missing.", _on_cell("redis", "host-kill", _kept_what_was_shown)),
    Claim("power-cut-redis-loses", "After a power cut the Redis stack cannot resume the task: the user must ask again.", V_CUT, "Backend ne sait pas reprendre … Re-génération complète",
          "confirmed if redis/host-kill lost or failed requests and no request in flight at the cut ever completed; mixed if some did.", _on_cell("redis", "host-kill", _lost_not_resumed)),
    Claim("power-cut-mvp-redis-loss-3min-0.02", "A power cut costs the MVP and Redis 3 minutes and a whole answer's price per task.", V_CUT, "Perte: 3 minutes + $0.02",
          "confirmed if, in mvp/host-kill and redis/host-kill, each lost task wasted a whole answer's cost (±20 %); mixed if only the part streamed before the cut.",
          _every(("mvp", "redis"), ("host-kill",), _wasted_a_whole_answer), _seed_profile_only("the 3 minutes and $0.02 are 60 % of the seeds' 5-minute answer")),
    Claim("power-cut-redis-cache-empty", "After a power cut the Redis cache is empty: a prompt cached before it misses.", V_CUT, "Redis: ⚠ Vide (in-memory perdu)",
          "confirmed if a prompt cached before the cut is a miss after it.", _untested("host-kill repeats no prompt and cache-repeat has no fault")),
    Claim("power-cut-temporal-zero-loss", "After a power cut Temporal resumes the workflow automatically and loses nothing.", V_CUT, "Workflow reprend AUTOMATIQUEMENT … Zero perte de données",
          "confirmed if temporal/host-kill kept zero loss.", _on_cell("temporal", "host-kill", _no_loss)),
    Claim("power-cut-temporal-no-regeneration", "After a power cut Temporal replays the LLM result and generates nothing again.", V_CUT,
          "Skip LLM generation ✅ (from Event 5 result) … Pas de re-génération",
          "confirmed if temporal/host-kill re-generated nothing and wasted $0.", _on_cell("temporal", "host-kill", _no_regeneration), _seed_profile_only(TEMPORAL_CUT)),
    Claim("power-cut-temporal-30s", "A power cut costs Temporal 30 seconds, its restart time.", V_CUT, "Perte: 30 secondes (temps redémarrage)",
          "confirmed if temporal/host-kill's in-flight requests resumed within 35 s of the cut (a 30 s outage and 5 s to restart).",
          _on_cell("temporal", "host-kill", _resumed_within(35.0, "fault")), _seed_profile_only(TEMPORAL_CUT)),
    Claim("power-cut-temporal-continuous-progress", "After a power cut the Temporal page shows the progress continue where it was.", V_CUT, "User voit progression continue",
          "confirmed if temporal/host-kill kept zero loss, showed no chunk twice and no poll failed; mixed if polls failed during the outage only.",
          _on_cell("temporal", "host-kill", _progress_continues)),
    # LLM provider outage
    Claim("automatic-retry", "Temporal retries the LLM call automatically.", TABLE, "Retry automatique │ │ │ ✅",
          "confirmed if temporal/llm-outage kept zero loss.", _on_cell("temporal", "llm-outage", _retried)),
    Claim("llm-outage-mvp-redis-fail", "The MVP and Redis do not retry: a provider outage fails their requests in flight.", TABLE, "Retry automatique │ │ │ ✅",
          "confirmed if mvp/llm-outage and redis/llm-outage each lost or failed requests with no provider retry; refuted if one stack lost nothing.",
          _every(("mvp", "redis"), ("llm-outage",), _not_retried)),
    # streaming and progress
    Claim("poll-0.2s-live-streaming", "The MVP and Redis pages poll every 0.2 s and show each chunk as soon as it is saved.", A_POLL, "Wait 0.2s … (répète jusqu'à status=\"completed\")",
          "confirmed if, in mvp/baseline and redis/baseline, the first chunk came in the first quarter of the answer's time and no wait between two chunks was longer than a quarter of the rest (medians).",
          _every(("mvp", "redis"), ("baseline",), _shown_as_saved)),
    Claim("temporal-realtime-streaming", "The recommended Temporal solution streams in real time.", V_SUM, "Streaming en temps réel … SOLUTION RECOMMANDÉE: TEMPORAL",
          "confirmed if temporal/baseline's first chunk came within 1 s of mvp/baseline's (medians); refuted if only after 80 % of the MVP's whole answer.",
          _on_cells(("temporal", "baseline"), ("mvp", "baseline"), decide=_streams_like_mvp)),
    Claim("temporal-progress-query", "During the workflow a non-blocking query returns the progress, chunks saved out of the total.", A_QUERY, "Query is NON-BLOCKING … Chunks: 47/100",
          "confirmed if every status page's progress equals the chunks saved over the total and never decreases.", _untested("the matrix has no metric of the status query's progress")),
    # costs, downtime, "cannot fail"
    Claim("tco-temporal-no-crash-cost", "Crashes cost Temporal nothing in re-generations.", V_TCO, "Re-générations: $0/mois × 12 = $0 ✅ (auto-recovery)",
          "confirmed if no temporal crash cell re-generated or wasted anything.", _every(("temporal",), CRASHES, _no_regeneration)),
    Claim("tco-redis-crash-cost-below-mvp", "Crashes cost Redis 60 % of what they cost the MVP in re-generations.", V_TCO, "Re-générations: $30/mois … Re-générations: $50/mois",
          "confirmed if redis wasted at most 0.7 times what the mvp wasted, in backend-kill and in host-kill.",
          _each([(("redis", s), ("mvp", s)) for s in ("backend-kill", "host-kill")], _redis_wastes_less),
          _never("the seeds' figures assume a re-ask after each crash and nothing in either stack makes Redis's re-generation cheaper; the harness's users do not re-ask")),
    Claim("tco-temporal-llm-cost-as-mvp", "Without faults Temporal's LLM bill equals the MVP's.", V_TCO, "LLM API calls: $200/mois × 12 = $2,400",
          "confirmed if temporal/baseline's cost per correct request is within 5 % of mvp/baseline's and both made one LLM call per request.",
          _on_cells(("temporal", "baseline"), ("mvp", "baseline"), decide=_same_bill)),
    Claim("temporal-zero-loss-everywhere", "Temporal guarantees zero data loss.", V_SUM, "Zero data loss GARANTI",
          "confirmed if every temporal cell of the run kept zero loss; refuted by one that did not.", _every_cell_of("temporal", _no_loss)),
    Claim("temporal-zero-downtime", "Temporal serves its users throughout a crash (zero downtime).", A_PICK, "Zero downtime requis",
          "confirmed if no poll or submit failed in temporal's backend-kill, datastore-kill, host-kill and worker-kill.",
          _every(("temporal",), ("backend-kill", "datastore-kill", "host-kill", "worker-kill"), _served_throughout)),
    # other checkable statements
    Claim("setup-time", "Setting up takes 2 minutes (MVP), 3 (Redis) and 5 (Temporal).", A_SIZE, "Setup: 2 minutes … Setup: 3 minutes … Setup: 5 minutes",
          "confirmed if each stack's deploy phase takes at most its minutes.", _untested("the deploy phase is in history.jsonl, not in the matrix")),
    Claim("temporal-execution-timeout-10min", "A Temporal chat workflow is cut after 10 minutes.", A_START, "execution_timeout=timedelta(minutes=10)",
          "confirmed if an answer longer than 10 minutes ends failed.", _untested("no scenario generates for more than 10 minutes")),
]  # fmt: skip

# where the seeds say two things that cannot both hold (their numbers in the claims inventory)
CONTRADICTIONS = [
    ("f5-redis-survives", "f5-redis-doubles-cost"),  # C1: the table's ✅ vs the task lost on F5
    ("temporal-worker-crash-5s", "power-cut-temporal-30s"),  # C3: ~5 s vs 30 s lost to a restart
    ("temporal-worker-crash-mid-generation", "temporal-worker-crash-while-saving"),  # C6: never re-generates vs only after checkpoint 2
    ("mvp-backend-crash-keeps-chunks", "redis-backend-crash-keeps-chunks"),  # C7: MVP files persist vs PostgreSQL's advantage over them
    ("temporal-zero-downtime", "power-cut-temporal-30s"),  # C13: zero downtime vs 30 s lost
    ("power-cut-temporal-continuous-progress", "temporal-polls-fail-while-worker-down"),  # C14: continuous progress vs queries from memory
]


def _contradicts(claim_id: str) -> list[str]:
    return [b if a == claim_id else a for a, b in CONTRADICTIONS if claim_id in (a, b)]


def _judge(claim: Claim, cells: Cells, run: dict[str, Any]) -> dict[str, Any]:
    measured, verdict = claim.check(cells)
    if verdict != "not measured" and (why := claim.comparable(run)):
        measured, verdict = f"{measured}. Not comparable: {why} (the rule alone says {verdict})", "not comparable"
    return {
        "id": claim.id, "claim": claim.claim, "source": claim.source, "quote": claim.quote, "rule": claim.rule,
        "measured": measured, "verdict": verdict, "contradicts": _contradicts(claim.id),
    }  # fmt: skip


def claims(cells: Cells, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Every claim, always in the order of ``CLAIMS`` (``combine`` matches repetitions by index).
    ``run`` is the matrix's run block: its ``profile`` decides what is comparable."""
    return [_judge(claim, cells, run) for claim in CLAIMS]


def combine(pooled: list[dict[str, Any]], each: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The pooled verdicts, corrected by the verdicts of each repetition alone: a claim
    confirmed in some repetitions and refuted (or mixed) in others is ``mixed``."""
    out = []
    for i, claim in enumerate(pooled):
        verdicts = [rep[i]["verdict"] for rep in each if rep[i]["verdict"] not in ("not measured", "not comparable")]
        claim = {**claim, "repetitions": {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}}
        if len(set(verdicts)) > 1:
            claim["verdict"] = "mixed"
            claim["measured"] += f" (per repetition: {', '.join(f'{v} in {n} of {len(verdicts)}' for v, n in claim['repetitions'].items())})"
        out.append(claim)
    return out


# ---- the guarantees table ---------------------------------------------------------------


def _by_scenario(scenario: str) -> Callable[[Cells, str], dict[str, str]]:
    """A row of the table measured by one scenario: yes with (strict) zero loss."""

    def measure(cells: Cells, stack: str) -> dict[str, str]:
        c = _find(cells, stack, scenario)
        if c is None:
            na = _na(cells, stack, scenario)
            return {"value": "n/a" if na else "not measured", "why": f"{scenario}: {'not applicable' if na else 'not in this run'}"}
        return {"value": {"yes": "yes", "no": "no"}.get(_zero_loss(c), "not measured"), "why": f"{scenario}: {_outcome(c)}"}

    return measure


def _survives_f5(cells: Cells, stack: str) -> dict[str, str]:
    """Redis's ✅ is read on f5-reattach (the page keeps the task id); the other F5 scenario is noted."""
    scenario, other = F5_READS.get(stack, F5_DEFAULT)
    note = f"; {other}: {_outcome(o)}" if (o := _find(cells, stack, other)) else ""
    c = _find(cells, stack, scenario)
    if c is None:
        return {"value": "not measured", "why": f"{scenario} not in this run{note}"}
    value = {"no": "no", "not measured": "not measured"}.get(_zero_loss(c)) or ("partial" if _regenerated(c) else "yes")
    return {"value": value, "why": f"{scenario}: {_outcome(c)}{note}"}


def _zero_data_loss(cells: Cells, stack: str) -> dict[str, str]:
    """Strict zero loss in every cell of the stack: one loss says no; a cell with no final read leaves it not measured."""
    measured = [c for c in cells if c["stack"] == stack and _find(cells, stack, c["scenario"])]
    if not measured:
        return {"value": "not measured", "why": "no cell of this stack"}
    losing = [c for c in measured if _zero_loss(c) == "no"]
    unread = [c["scenario"] for c in measured if _zero_loss(c) == "not measured"]
    if losing:
        return {"value": "no", "why": "; ".join(f"{c['scenario']}: {_outcome(c)}" for c in losing)}
    if unread:
        return {"value": "not measured", "why": f"nothing read back in {', '.join(unread)}"}
    return {"value": "yes", "why": "every accepted request correct and nothing taken back in " + ", ".join(c["scenario"] for c in measured)}


def _avoids_regeneration(cells: Cells, stack: str) -> dict[str, str]:
    measured = [c for s in CRASHES if (c := _find(cells, stack, s))]
    if not measured:
        return {"value": "not measured", "why": "no crash scenario in this run"}
    regen, lost = sum(c["regenerations"] for c in measured), sum(c["tasks_lost"] for c in measured)
    if regen == 0 and lost == 0:
        return {"value": "yes", "why": "no re-generation and no loss across " + ", ".join(c["scenario"] for c in measured)}
    if regen == 0:
        return {"value": "no", "why": f"nothing re-generated, but {lost} interrupted tasks lost instead"}
    return {"value": "no", "why": f"{regen} re-generations across " + ", ".join(f"{c['scenario']} ({c['regenerations']})" for c in measured)}


def _retries(cells: Cells, stack: str) -> dict[str, str]:
    c = _find(cells, stack, "llm-outage")
    if c is None:
        return {"value": "not measured", "why": "llm-outage not in this run"}
    value = "yes" if _zero_loss(c) == "yes" else "partial" if c["tasks_correct"] else "no"
    return {"value": value, "why": f"llm-outage: {_outcome(c)}, {c['provider_retries']} provider retries"}


def _design_property(cells: Cells, stack: str) -> dict[str, str]:
    return {"value": "not measured", "why": "a design property: no load measures it"}


MEASURES: dict[str, Callable[[Cells, str], dict[str, str]]] = {
    "survive F5 (refresh)": _survives_f5,
    "survive a backend crash": _by_scenario("backend-kill"),
    "survive a worker crash": _by_scenario("worker-kill"),
    "zero data loss": _zero_data_loss,
    "avoid re-generation": _avoids_regeneration,
    "automatic retry": _retries,
}


def _measure(cells: Cells, stack: str, name: str) -> dict[str, str]:
    """One guarantee for one stack: value (yes / partial / no / n/a / not measured) and why."""
    return MEASURES.get(name, _design_property)(cells, stack)


def guarantees(cells: Cells) -> list[dict[str, Any]]:
    stacks = list(dict.fromkeys(c["stack"] for c in cells))
    return [
        {"guarantee": name, "source": TABLE, "claimed": {s: claimed.get(s, "–") for s in stacks}, "measured": {s: _measure(cells, s, name) for s in stacks}}
        for name, claimed in CLAIMED.items()
    ]
