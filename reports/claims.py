"""The seeds' guarantees table and their checkable claims, beside what this run measured.

The seeds (``../shared/seeds``, in French) give a table of guarantees per stack and a
number of figures (a cache hit in 0.5 s, F5 doubling the MVP's cost, Temporal resuming
after a crash with no re-generation, ...). Each is set here with its source section and a
rule that reads the matrix cells: the verdict is ``confirmed``, ``refuted``, ``mixed``
(holds in part; the measured text says which part), or ``not measured`` when the run did
not include the scenario. Properties no load can measure (an event history, a monitoring
UI) are listed as ``not measured`` rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

A = "architecture-of-the-3-solutions.md"
V = "visual-comparison-of-the-3-architectures.md"
TABLE = f"{A}, « Guarantees (Garanties) »"
CRASHES = ("backend-kill", "worker-kill", "worker-kill-saving", "datastore-kill", "host-kill")

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


def _find(cells: list[dict[str, Any]], stack: str, scenario: str) -> dict[str, Any] | None:
    cell = next((c for c in cells if c["stack"] == stack and c["scenario"] == scenario), None)
    return cell if cell is not None and "tasks_submitted" in cell and cell["verdict"] != "error" else None


def _na(cells: list[dict[str, Any]], stack: str, scenario: str) -> bool:
    cell = next((c for c in cells if c["stack"] == stack and c["scenario"] == scenario), None)
    return cell is not None and cell.get("verdict") == "not applicable"


def _outcome(c: dict[str, Any]) -> str:
    return f"{c['tasks_correct']}/{c['tasks_accepted']} correct, {c['tasks_lost']} lost, {c['outcomes']['failed']} failed, data loss {c['data_loss_pct']:.1f} %, {c['regenerations']} re-generations"


def _measure(cells: list[dict[str, Any]], stack: str, name: str) -> dict[str, str]:
    """One guarantee for one stack: value (yes / partial / no / n/a / not measured) and why."""
    def scenario_verdict(scenario: str) -> dict[str, str]:
        c = _find(cells, stack, scenario)
        if c is None:
            return {"value": "n/a" if _na(cells, stack, scenario) else "not measured", "why": f"{scenario}: {'not applicable' if _na(cells, stack, scenario) else 'not in this run'}"}
        return {"value": "yes" if c["verdict"] == "ok" else "no", "why": f"{scenario}: {_outcome(c)}"}

    if name == "survive F5 (refresh)":
        c = _find(cells, stack, "f5-refresh")
        if c is None:
            return {"value": "not measured", "why": "f5-refresh not in this run"}
        if c["verdict"] != "ok":
            return {"value": "no", "why": f"f5-refresh: {_outcome(c)}"}
        return {"value": "yes" if c["regenerations"] == 0 else "partial", "why": f"f5-refresh: {_outcome(c)}"}
    if name == "survive a backend crash":
        return scenario_verdict("backend-kill")
    if name == "survive a worker crash":
        return scenario_verdict("worker-kill")
    if name == "zero data loss":
        measured = [c for c in cells if c["stack"] == stack and "tasks_submitted" in c and c["verdict"] != "error"]
        if not measured:
            return {"value": "not measured", "why": "no cell of this stack"}
        worst = max(measured, key=lambda c: (c["data_loss_pct"], c["acknowledged_loss_chunks"] or 0))
        lossless = worst["data_loss_pct"] == 0 and not worst["acknowledged_loss_chunks"]
        return {"value": "yes" if lossless else "no", "why": f"worst: {worst['scenario']}, data loss {worst['data_loss_pct']:.1f} %"}
    if name == "avoid re-generation":
        measured = [c for s in CRASHES if (c := _find(cells, stack, s))]
        if not measured:
            return {"value": "not measured", "why": "no crash scenario in this run"}
        regen = sum(c["regenerations"] for c in measured)
        lost = sum(c["tasks_lost"] for c in measured)
        if regen == 0 and lost == 0:
            return {"value": "yes", "why": "no re-generation and no loss across " + ", ".join(c["scenario"] for c in measured)}
        if regen == 0:
            return {"value": "no", "why": f"nothing re-generated, but {lost} interrupted tasks lost instead"}
        return {"value": "no", "why": f"{regen} re-generations across " + ", ".join(f"{c['scenario']} ({c['regenerations']})" for c in measured)}
    if name == "automatic retry":
        c = _find(cells, stack, "llm-outage")
        if c is None:
            return {"value": "not measured", "why": "llm-outage not in this run"}
        value = "yes" if c["verdict"] == "ok" else "partial" if c["tasks_correct"] else "no"
        return {"value": value, "why": f"llm-outage: {_outcome(c)}"}
    return {"value": "not measured", "why": "a design property: no load measures it"}


def guarantees(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stacks = list(dict.fromkeys(c["stack"] for c in cells))
    return [
        {"guarantee": name, "source": TABLE, "claimed": {s: claimed.get(s, "–") for s in stacks}, "measured": {s: _measure(cells, s, name) for s in stacks}}
        for name, claimed in CLAIMED.items()
    ]


Rule = Callable[[list[dict[str, Any]]], tuple[str, str]]


def _need(cells: list[dict[str, Any]], *pairs: tuple[str, str]) -> str | None:
    missing = [f"{stack}/{scenario}" for stack, scenario in pairs if _find(cells, stack, scenario) is None]
    return f"not in this run: {', '.join(missing)}" if missing else None


def _cache_hit(cells):
    if why := _need(cells, ("redis", "cache-repeat")):
        return why, "not measured"
    c = _find(cells, "redis", "cache-repeat")
    p50 = c.get("cache_hit_e2e_p50_s")
    if not c["cache_hits"] or p50 is None:
        return "no cache hit happened", "refuted"
    calls_per_miss = c["llm_calls"] / max(1, c["tasks_accepted"] - c["cache_hits"])
    text = f"{c['cache_hits']} hits, median {p50:.2f} s submit to final status (the front end polls every 0.2 s); {c['llm_calls']} LLM calls for {c['tasks_accepted']} requests ({calls_per_miss:.2f} per miss)"
    return text, "confirmed" if p50 <= 0.5 and calls_per_miss <= 1.0 else "refuted"


def _f5_doubles_mvp(cells):
    if why := _need(cells, ("mvp", "f5-refresh"), ("mvp", "baseline")):
        return why, "not measured"
    f5, base = _find(cells, "mvp", "f5-refresh"), _find(cells, "mvp", "baseline")
    useful = f5["llm_cost_usd"] - f5["wasted_cost_usd"]
    ratio = f5["llm_cost_usd"] / useful if useful else float("inf")
    calls = (f5["llm_calls"] / f5["tasks_accepted"]) / (base["llm_calls"] / base["tasks_accepted"])
    text = f"paid {ratio:.2f}x the cost of the answers delivered; {calls:.2f}x the baseline's LLM calls per request ({f5['llm_calls']} calls for {f5['tasks_accepted']} requests)"
    return text, "confirmed" if 1.8 <= ratio <= 2.2 else "refuted"


def _f5_temporal_once(cells):
    if why := _need(cells, ("temporal", "f5-refresh")):
        return why, "not measured"
    c = _find(cells, "temporal", "f5-refresh")
    return f"{c['llm_calls']} calls for {c['tasks_accepted']} requests, {c['regenerations']} re-generations; {_outcome(c)}", "confirmed" if c["regenerations"] == 0 and c["verdict"] == "ok" else "refuted"


def _redis_f5(cells):
    if why := _need(cells, ("redis", "f5-refresh")):
        return why, "not measured"
    c = _find(cells, "redis", "f5-refresh")
    return f"the front end re-asks (the seeds give it no task id to keep): {_outcome(c)}", "confirmed" if c["verdict"] == "ok" and c["regenerations"] == 0 else "refuted"


def _on_cell(stack: str, scenario: str, decide: Callable[[dict[str, Any]], tuple[str, str]]) -> Rule:
    """A rule about one cell: ``not measured`` when the run lacks it, else ``decide(cell)``."""

    def rule(cells):
        if why := _need(cells, (stack, scenario)):
            return why, "not measured"
        return decide(_find(cells, stack, scenario))

    return rule


NOT_READ = "no task was read back after the recovery (no final read)"


def _loses(stack: str, scenario: str) -> Rule:
    return _on_cell(stack, scenario, lambda c: (_outcome(c), "confirmed" if c["tasks_lost"] or c["outcomes"]["failed"] else "refuted"))


def _kept_what_was_shown(c: dict[str, Any]) -> tuple[str, str]:
    if c["acknowledged_loss_chunks"] is None:
        return NOT_READ, "not measured"
    unreadable = f"; {c['unreadable_tasks']} tasks unreadable after the recovery" if c["unreadable_tasks"] else ""
    text = f"final reads: {c['acknowledged_loss_chunks']} chunks a user had seen were no longer returned{unreadable}; {_outcome(c)}"
    return text, "confirmed" if c["acknowledged_loss_chunks"] == 0 else "refuted"


def _stuck_running(c: dict[str, Any]) -> tuple[str, str]:
    """A task "stuck running": the final read, after the recovery and after every user left, still says running."""
    statuses = c["final_status"]
    if not statuses or set(statuses) == {"not read"}:
        return NOT_READ, "not measured"
    text = "final reads after the recovery: " + ", ".join(f"{n} {status}" for status, n in statuses.items()) + f"; {_outcome(c)}"
    return text, "confirmed" if statuses.get("running", 0) else "refuted"


def _temporal_survives(scenarios: tuple[str, ...], no_regeneration: bool) -> Rule:
    def rule(cells):
        present = [c for s in scenarios if (c := _find(cells, "temporal", s))]
        if not present:
            return "not in this run: " + ", ".join(f"temporal/{s}" for s in scenarios), "not measured"
        text = "; ".join(f"{c['scenario']}: {_outcome(c)}" for c in present)
        if any(c["verdict"] == "loss" for c in present):
            return text, "refuted"
        if no_regeneration and any(c["regenerations"] for c in present):
            return text, "mixed"
        return text, "confirmed"

    return rule


def _retry(cells):
    if why := _need(cells, ("temporal", "llm-outage")):
        return why, "not measured"
    c = _find(cells, "temporal", "llm-outage")
    others = [f"{s}: {o['tasks_correct']}/{o['tasks_accepted']} correct" for s in ("mvp", "redis") if (o := _find(cells, s, "llm-outage"))]
    return f"temporal: {_outcome(c)}" + (f"; {'; '.join(others)}" if others else ""), "confirmed" if c["verdict"] == "ok" else "refuted"


CLAIMS: list[tuple[str, str, str, Rule]] = [
    ("cache-hit-0.5s", "Redis answers a repeated prompt from its cache in about 0.5 s, with no LLM call", f"{A}, « Flux de Données - Cache Hit »", _cache_hit),
    ("f5-doubles-mvp-cost", "F5 halfway makes the MVP pay for the answer twice", f"{V}, « Graphique Performance »", _f5_doubles_mvp),
    ("f5-temporal-pays-once", "F5 with Temporal re-attaches to the workflow and pays once", f"{V}, « Graphique Performance »", _f5_temporal_once),
    ("f5-redis-survives", "The Redis stack survives F5", TABLE, _redis_f5),
    ("mvp-backend-crash-loses", "A backend crash loses the MVP's generation in progress", f"{V}, « Scénario: Génération de 100 chunks (5 minutes) »", _loses("mvp", "backend-kill")),
    ("redis-backend-crash-loses-generation", "A backend crash loses the Redis stack's generation in progress", f"{V}, « Scénario: Génération de 100 chunks (5 minutes) »", _loses("redis", "backend-kill")),
    ("redis-backend-crash-keeps-chunks", "Chunks already in PostgreSQL survive a backend crash", f"{A}, « Flux après F5 (avec PostgreSQL) »", _on_cell("redis", "backend-kill", _kept_what_was_shown)),
    ("temporal-worker-crash-while-saving", "A worker crash while the answer is saved chunk by chunk: Temporal resumes at the next chunk, zero loss, no re-generation", f"{A}, « Crash Recovery - LE SCÉNARIO CLÉ »", _temporal_survives(("worker-kill-saving",), True)),
    ("temporal-worker-crash-mid-generation", "A worker crash during the LLM call: Temporal survives it with zero loss and no re-generation", TABLE, _temporal_survives(("worker-kill",), True)),
    ("temporal-any-crash", "Temporal survives any crash (worker, backend, database) with zero loss and no re-generation", f"{V}, « Scénario: Génération de 100 chunks (5 minutes) »", _temporal_survives(CRASHES, True)),
    ("power-cut-mvp-loses", "A power cut loses the MVP's task in progress", f"{V}, « Situation: Tout crash en même temps »", _loses("mvp", "host-kill")),
    ("power-cut-redis-stuck", "A power cut leaves the Redis stack's task stuck 'running'", f"{V}, « Situation: Tout crash en même temps »", _on_cell("redis", "host-kill", _stuck_running)),
    ("power-cut-temporal-zero-loss", "After a power cut Temporal replays its events and loses nothing", f"{V}, « Situation: Tout crash en même temps »", _temporal_survives(("host-kill",), False)),
    ("automatic-retry", "Temporal retries the LLM call automatically (the others do not)", TABLE, _retry),
]


def claims(cells: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for claim_id, text, source, rule in CLAIMS:
        measured, verdict = rule(cells)
        out.append({"id": claim_id, "claim": text, "source": source, "measured": measured, "verdict": verdict})
    return out
