"""The comparison matrix of a run directory: every cell measured with ``llmchaos.metrics``.

Reads ``run.json`` and each ``STACK/SCENARIO/REP/`` (``cell.json``, ``history.jsonl``,
``ledger.jsonl``), measures each repetition with the pure functions of
``llmchaos.metrics``, and pools the repetitions of a stack x scenario into one matrix cell
(DESIGN.md's schema): counts and money are summed, the data loss is pooled over the
expected characters of every request, latency percentiles are taken over every request,
and recovery times are the median over the repetitions. Notebooks and the report load a
run through ``load_run`` and nothing else, so they can never disagree.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmchaos.checker import BROWSERS, CANARY, RequestResult, expectation, on_a_page, request_results
from llmchaos.errors import BadInputError
from llmchaos.history import Event, read_history
from llmchaos.metrics import (
    Expectations,
    attribute,
    cell_metrics,
    cost,
    experience,
    faults_of,
    final_state,
    hit_points,
    hits_summary,
    latency,
    page_metrics,
    power_cuts,
    recovery_logs,
    recovery_times,
    verdict,
)

RECOVERY_KEYS = ("health", "first_ok", "inflight_resume", "inflight_complete")


@dataclass
class Repetition:
    """One measured cell of the run directory, with what the report needs to draw it."""

    stack: str
    scenario: str
    repetition: int
    status: str
    settings: dict[str, Any]
    events: list[Event] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    results: list[RequestResult] = field(default_factory=list)
    canaries: list[RequestResult] = field(default_factory=list)
    pages: list[RequestResult] = field(default_factory=list)  # the browser users' requests
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    directory: Path
    record: dict[str, Any]
    repetitions: list[Repetition]

    def cells(self, stack: str, scenario: str) -> list[Repetition]:
        return [r for r in self.repetitions if r.stack == stack and r.scenario == scenario]

    @property
    def stacks(self) -> list[str]:
        return list(dict.fromkeys(r.stack for r in self.repetitions))

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(r.scenario for r in self.repetitions))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """Every row of a JSONL file (a missing file is a ``FileNotFoundError``: a complete cell has its ledger)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_run(directory: Path) -> Run:
    """Every cell of a run directory, measured (``BadInputError`` if it is not one).

    A cell whose files cannot be read (a malformed history, a missing ledger, a broken
    ``cell.json``) becomes an ``error`` cell saying why; the others are measured as usual.
    """
    directory = Path(directory)
    run_file = directory / "run.json"
    if not run_file.is_file():
        raise BadInputError(f"{directory} is not a run directory (no run.json): give the --out of an `llmchaos run`")
    record = json.loads(run_file.read_text())
    repetitions = [_measure(cell_file) for cell_file in sorted(directory.glob("*/*/*/cell.json"))]
    if not repetitions:
        raise BadInputError(f"{directory} has no cell yet: run `llmchaos run --out {directory}` first")
    plan = record.get("plan", {})
    order_s, order_c = plan.get("stacks") or [], [Path(s).stem for s in plan.get("scenarios") or []]
    repetitions.sort(key=lambda r: (_index(order_s, r.stack), _index(order_c, r.scenario), r.repetition))
    return Run(directory, record, repetitions)


def _measure(cell_file: Path) -> Repetition:
    """One cell, measured; an unreadable or incomplete one is an ``error`` with the reason."""
    folder = cell_file.parent
    fallback = (folder.parent.parent.name, folder.parent.name, int(folder.name) if folder.name.isdigit() else 0)
    try:
        settings = json.loads(cell_file.read_text())
        rep = Repetition(settings["stack"], settings["scenario"], int(settings["repetition"]), settings["status"], settings)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Repetition(*fallback, "error", {"error": f"{cell_file}: unreadable ({type(exc).__name__}: {exc})"})
    if rep.status != "complete":
        return rep
    try:
        rep.events = read_history(folder / "history.jsonl")
        rep.ledger = _jsonl(folder / "ledger.jsonl")
        expect = expectation(settings["llm"]["output_tokens"], settings["llm"]["seed"])
        rep.results = request_results(rep.events, expect)
        rep.canaries = request_results(rep.events, expect, who=CANARY)
        rep.pages = request_results(rep.events, on_a_page(expect), who=BROWSERS)
        rep.metrics = cell_metrics(rep.events, rep.ledger, expect, _meant(settings))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # HistoryError is a ValueError
        rep.status, rep.settings = "error", {**settings, "error": f"{folder}: unreadable ({type(exc).__name__}: {exc})"}
        return rep
    if rep.metrics["errors"]:
        rep.status, rep.settings = "error", {**settings, "error": "incomplete: " + "; ".join(rep.metrics["errors"])}
    return rep


def _meant(settings: dict[str, Any]) -> Expectations:
    load = settings.get("load") or {}
    shape = settings.get("scenario_settings", {}).get("load", {})
    planned = load.get("planned_requests")
    if planned is None and shape:
        planned = shape["users"] * shape["tasks_per_user"]
    pages = settings.get("pages") or {}
    return Expectations(planned, load.get("locust_exit_code"), pages.get("planned_requests", 0), pages.get("exit_code"))


def _index(order: list[str], name: str) -> int:
    return order.index(name) if name in order else len(order)


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 6) if present else None


def _reason(rep: Repetition) -> str:
    """Why a repetition is not measured: its own one-line reason, or a traceback's last line."""
    if rep.settings.get("reason"):
        return rep.settings["reason"]
    lines = (rep.settings.get("error") or "").strip().splitlines()
    return lines[-1] if lines else rep.status


def pooled_cell(stack: str, scenario: str, reps: list[Repetition]) -> dict[str, Any]:
    """One matrix cell from the repetitions of a stack x scenario.

    A repetition that failed, was interrupted or measured nothing trustworthy makes the
    whole cell an ``error`` (the reasons say which); the numbers of the others are kept."""
    cell: dict[str, Any] = {"stack": stack, "scenario": scenario, "repetitions": len(reps)}
    done = [r for r in reps if r.status == "complete"]
    broken = [r for r in reps if r.status not in ("complete", "not_applicable")]
    if not done:
        cell["verdict"] = "not applicable" if not broken else "error"
        cell["reason"] = _reason(broken[0] if broken else reps[0])
        return cell
    results = [x for r in done for x in r.results]
    canaries = [x for r in done for x in r.canaries]
    ledger = [x for r in done for x in r.ledger]
    accepted = [x for x in results if x.outcome != "rejected"]
    expected = sum(len(x.expected) for x in accepted)
    delivered = sum(x.delivered_chars for x in accepted)
    outcomes = {k: sum(r.metrics["outcomes"][k] for r in done) for k in done[0].metrics["outcomes"]}
    cell.update(
        tasks_submitted=sum(r.metrics["tasks_submitted"] for r in done),
        tasks_accepted=len(accepted),
        tasks_correct=outcomes["correct"],
        tasks_lost=outcomes["lost"],
        outcomes=outcomes,
        refreshes=sum(r.metrics.get("refreshes", 0) for r in done),
        data_loss_pct=round(100.0 * (expected - delivered) / expected, 6) if expected else 0.0,
        duplicate_chunks=sum(x.duplicate_chunks for x in accepted),
        **final_state(accepted),
    )
    firsts = [(r, faults[0]) for r in done if (faults := faults_of(r.events))]  # each repetition's first fault
    first = [recovery_times(f, r.results, r.canaries) for r, f in firsts]
    cell["recovery_s"] = {k: _median([t[k] for t in first]) for k in RECOVERY_KEYS} if first else None
    # where the first fault hit the pages in flight, pooled over the repetitions
    hits = [p for r, f in firsts for p in hit_points(f, r.results)]
    cell["hit_points"] = hits_summary(hits) if first else None
    if first and done[0].settings.get("faults"):
        cell["fault"] = done[0].settings["faults"][0].get("description")
    cell["canaries"] = {"requests": len(canaries), "correct": sum(c.outcome == "correct" for c in canaries)}
    if cut := power_cuts(r.metrics.get("power_cut") for r in done):
        cell["power_cut"] = cut
    if said := recovery_logs(r.metrics.get("recovery_log") for r in done):
        cell["recovery_log"] = said
    if twin := done[0].settings.get("scenario_settings", {}).get("compare_with"):
        cell["compare_with"] = twin
    who = attribute(results, canaries, ledger, [x for r in done for x in r.pages])
    cell.update(cost(results, ledger, canaries, who=who))
    cell.update(experience(results))
    cell.update(latency(results))
    if any(r.metrics.get("pages") for r in done):
        cell["pages"] = pooled_pages(done, who.per_page)
    cell["verdict"] = verdict(cell)
    if len(done) > 1:
        cell["spread"] = spread(done)
    if broken:
        cell["verdict"] = "error"
        cell["reason"] = f"{len(broken)} of {len(reps)} repetitions: " + "; ".join(f"#{r.repetition}: {_reason(r)}" for r in broken)
        cell["incomplete_repetitions"] = len(broken)
    return cell


def pooled_pages(done: list[Repetition], per_page: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """``page_metrics`` over the repetitions' browser requests (``per_page``: their ledger
    rows, as the pooled cell attributed them); each screenshot's path in the run directory,
    with its repetition."""
    shots = [{**shot, "repetition": r.repetition, **{k: f"{r.stack}/{r.scenario}/{r.repetition}/{shot[k]}" for k in ("before", "after", "end") if k in shot}}
             for r in done for shot in (r.metrics.get("pages") or {}).get("shots", [])]  # fmt: skip
    return page_metrics([x for r in done for x in r.pages], per_page, shots)


# the per-repetition figures whose spread the report shows and the regression gate compares
SPREAD = (
    "tasks_correct", "tasks_lost", "data_loss_pct", "acknowledged_loss_chunks", "unreadable_tasks", "regenerations",
    "provider_retries", "llm_calls", "llm_cost_usd", "wasted_cost_usd", "cache_hits", "failed_polls", "failed_submits",
    "error_s", "ttft_p50_s", "e2e_p50_s",
)  # fmt: skip


def per_repetition(metrics: dict[str, Any]) -> dict[str, float | None]:
    """One repetition's figures for the spread: ``SPREAD`` plus its first fault's recovery times."""
    figures = {name: metrics.get(name) for name in SPREAD}
    recovery = (metrics.get("recovery_s") or [{}])[0]
    figures.update({f"recovery_{k}_s": recovery.get(k) for k in RECOVERY_KEYS})
    return figures


def spread(done: list[Repetition]) -> dict[str, dict[str, Any]]:
    """Per figure, over the repetitions that measured it: median, min, max and how many."""
    rows = [per_repetition(r.metrics) for r in done]
    out = {}
    for name in rows[0]:
        values = [row[name] for row in rows if row[name] is not None]
        if values:
            out[name] = {"median": round(statistics.median(values), 6), "min": min(values), "max": max(values), "n": len(values)}
    return out


def build_matrix(run: Run) -> dict[str, Any]:
    """``matrix.json`` (DESIGN.md): the run, one cell per stack x scenario, the guarantees and claims.

    With several repetitions, each claim is also judged on each repetition alone: a claim
    confirmed in some repetitions and refuted in others is ``mixed``, and says how often."""
    from .claims import claims, combine, guarantees

    pairs = [(stack, scenario) for stack in run.stacks for scenario in run.scenarios if run.cells(stack, scenario)]
    cells = [pooled_cell(stack, scenario, run.cells(stack, scenario)) for stack, scenario in pairs]
    indexes = sorted({r.repetition for r in run.repetitions})
    plan = run.record.get("plan", {})
    run_block = {
        "directory": str(run.directory), "profile": plan.get("profile"), "runtime": plan.get("runtime"), "seed": plan.get("seed"),
        "stacks": plan.get("stacks"), "scenarios": [Path(s).stem for s in plan["scenarios"]] if plan.get("scenarios") else None,
        "repeat": plan.get("repeat"), "started": run.record.get("started"), "finished": run.record.get("finished"),
        "versions": run.record.get("versions", {}),
    }  # fmt: skip
    judged = claims(cells, run_block)
    if len(indexes) > 1:
        each = [claims([pooled_cell(s, c, reps) for s, c in pairs if (reps := [r for r in run.cells(s, c) if r.repetition == i])], run_block) for i in indexes]
        judged = combine(judged, each)
    return {
        "run": run_block,
        "cells": cells,
        "guarantees": guarantees(cells),
        "claims": judged,
    }
