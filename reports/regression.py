"""CI regression: a run's matrix against a committed baseline, metric by metric.

The baseline file (``reports/baseline.json``) holds a reference matrix (the cells of a
real ci-profile run, with each cell's spread over repetitions when it had several), the
verdict of every claim, and the rules it is compared by::

    {"tolerances": {"data_loss_pct": {"worse": "higher", "abs": 10.0}, ...},
     "spread_rules": {"tasks_lost": {"worse": "higher"}, "e2e_p50_s": {"worse": "higher", "floor": 1.0, "rel": 0.5}, ...},
     "claims": {"f5-doubles-mvp-cost": "confirmed", ...},
     "cells": [{"stack": "mvp", "scenario": "baseline", "verdict": "ok", "spread": {...}, ...}, ...]}

What regresses:

- a cell's verdict that got worse (ok, then failed, then loss, then error): an ``error``
  cell always regresses against a measured one;
- a baseline cell the run should have measured (its stack and scenario were in the run's
  plan) but did not: the run stopped early. A run deliberately narrowed with
  ``--stack``/``--scenario`` lists the cells it left out, and is not failed for them;
- a claim whose verdict changed (a claim the run could not measure because it was
  narrowed is listed, not failed; a baseline claim that is ``mixed``, holding in some
  repetitions only, accepts any verdict);
- a figure beyond its bound. When the baseline cell has a spread over repetitions
  (``llmchaos run --repeat N``), each figure of ``spread_rules`` is compared, as the
  run's median over its repetitions (or its single value), with the baseline's worst
  repetition widened by ``max(the baseline's own range, floor, rel x its median)``:
  a count that never varied (10 requests lost at every crash) may not move at all; one
  that varied may move as much again. Otherwise (a baseline of one repetition) a figure
  of ``tolerances`` may move in its worse direction by ``abs`` plus ``rel`` times the
  reference value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmchaos.errors import BadInputError

VERDICT_ORDER = {"ok": 0, "not applicable": 0, "failed": 1, "loss": 2, "error": 3}

# what a chaos run may vary by on a loaded 2-core machine without anything having changed
DEFAULT_TOLERANCES: dict[str, dict[str, Any]] = {
    "correct_share": {"worse": "lower", "abs": 0.15},
    "data_loss_pct": {"worse": "higher", "abs": 10.0},
    "duplicate_chunks": {"worse": "higher", "abs": 5},
    "acknowledged_loss_chunks": {"worse": "higher", "abs": 5},
    "regenerations": {"worse": "higher", "abs": 3, "rel": 0.5},
    "wasted_cost_usd": {"worse": "higher", "abs": 0.002, "rel": 0.5},
    "llm_cost_usd": {"worse": "higher", "abs": 0.002, "rel": 0.3},
    "recovery_health_s": {"worse": "higher", "abs": 10.0, "rel": 1.0},
    "recovery_first_ok_s": {"worse": "higher", "abs": 10.0, "rel": 1.0},
    "recovery_inflight_resume_s": {"worse": "higher", "abs": 10.0, "rel": 1.0},
    "recovery_inflight_complete_s": {"worse": "higher", "abs": 10.0, "rel": 1.0},
    "unreadable_tasks": {"worse": "higher", "abs": 2},
    "unattributed_calls": {"worse": "higher", "abs": 0},
    "ttft_p50_s": {"worse": "higher", "abs": 1.0, "rel": 1.0},
    "e2e_p50_s": {"worse": "higher", "abs": 3.0, "rel": 1.0},
}


# with a measured spread: a figure may move as much as it moved between repetitions, or by
# its floor (a loaded 2-core machine's noise on one repetition: a request more or less in
# flight at the fault changes the calls and re-generations by one; never the requests lost)
SPREAD_RULES: dict[str, dict[str, Any]] = {
    "tasks_correct": {"worse": "lower"},
    "tasks_lost": {"worse": "higher"},
    "acknowledged_loss_chunks": {"worse": "higher"},
    "unreadable_tasks": {"worse": "higher"},
    "regenerations": {"worse": "higher", "floor": 1},
    "llm_calls": {"worse": "higher", "floor": 2},
    "cache_hits": {"worse": "lower", "floor": 1},
    "failed_submits": {"worse": "higher", "floor": 2},
    "data_loss_pct": {"worse": "higher", "floor": 2.0},
    "llm_cost_usd": {"worse": "higher", "floor": 0.001, "rel": 0.1},
    "wasted_cost_usd": {"worse": "higher", "floor": 0.001, "rel": 0.2},
    "recovery_health_s": {"worse": "higher", "floor": 2.0, "rel": 0.5},
    "recovery_first_ok_s": {"worse": "higher", "floor": 2.0, "rel": 0.5},
    "recovery_inflight_resume_s": {"worse": "higher", "floor": 3.0, "rel": 0.5},
    "recovery_inflight_complete_s": {"worse": "higher", "floor": 3.0, "rel": 0.5},
    "ttft_p50_s": {"worse": "higher", "floor": 1.0, "rel": 0.5},
    "e2e_p50_s": {"worse": "higher", "floor": 1.0, "rel": 0.5},
}


@dataclass(frozen=True)
class Regression:
    stack: str
    scenario: str
    metric: str
    baseline: Any
    measured: Any
    allowed: str

    def __str__(self) -> str:
        return f"{self.stack}/{self.scenario}: {self.metric} {self.measured} (baseline {self.baseline}, allowed {self.allowed})"


def metric(cell: dict[str, Any], name: str) -> float | None:
    """A cell's value for a tolerance name (derived ones included)."""
    if name == "correct_share":
        return cell["tasks_correct"] / cell["tasks_accepted"] if cell.get("tasks_accepted") else None
    if name.startswith("recovery_") and name.endswith("_s"):
        return (cell.get("recovery_s") or {}).get(name[len("recovery_") : -len("_s")])
    return cell.get(name)


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise BadInputError(f"no baseline file at {path}: write one with `llmchaos report RUN --write-baseline {path}`") from None
    except ValueError as exc:
        raise BadInputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise BadInputError(f"{path}: expected an object with 'cells' (a reference matrix) and 'tolerances'")
    return data


def baseline_from(matrix: dict[str, Any], tolerances: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A baseline document from a run's matrix (its spreads included: run it with ``--repeat``)."""
    keep = ("stack", "scenario", "verdict", "repetitions", "tasks_accepted", "tasks_correct", "tasks_lost", "llm_calls", "cache_hits",
            "failed_submits", "spread") + tuple(k for k in DEFAULT_TOLERANCES if k != "correct_share" and not k.startswith("recovery_")) + ("recovery_s",)  # fmt: skip
    repeat = matrix["run"].get("repeat") or 1
    how = (f"each cell's spread over the {repeat} repetitions of this run, widened as spread_rules say" if repeat > 1
           else "one repetition: the tolerances below, set by judgement")  # fmt: skip
    return {
        "note": "reference matrix of a real ci-profile run; `llmchaos report RUN --baseline` compares against it",
        "derived": how,
        "run": matrix["run"],
        "tolerances": tolerances or DEFAULT_TOLERANCES,
        "spread_rules": SPREAD_RULES,
        "claims": {c["id"]: c["verdict"] for c in matrix.get("claims", [])},
        "cells": [{k: c[k] for k in keep if k in c} for c in matrix["cells"]],
    }


def figure(cell: dict[str, Any], name: str) -> float | None:
    """A cell's figure for the spread comparison: its median over repetitions, or its one value."""
    if "spread" in cell:
        return (cell["spread"].get(name) or {}).get("median")
    return metric(cell, name)


def _bound(ref: dict[str, Any], name: str, rule: dict[str, Any]) -> float | None:
    """The worst value a run may show for ``name``, from the baseline cell's spread."""
    spread = (ref.get("spread") or {}).get(name)
    if spread is None:
        return None
    width = spread["max"] - spread["min"]
    slack = max(width, rule.get("floor", 0.0), rule.get("rel", 0.0) * abs(spread["median"]))
    return spread["max"] + slack if rule["worse"] == "higher" else spread["min"] - slack


def _planned(matrix: dict[str, Any]) -> tuple[set[str], set[str]] | None:
    run = matrix.get("run", {})
    if run.get("stacks") is None or run.get("scenarios") is None:
        return None
    return set(run["stacks"]), set(run["scenarios"])


def compare(matrix: dict[str, Any], baseline: dict[str, Any]) -> tuple[list[Regression], list[str]]:
    """Every regression, and what of the baseline this run deliberately left out."""
    tolerances = {**DEFAULT_TOLERANCES, **baseline.get("tolerances", {})}
    spread_rules = {**SPREAD_RULES, **baseline.get("spread_rules", {})}
    measured = {(c["stack"], c["scenario"]): c for c in matrix["cells"]}
    planned = _planned(matrix)
    regressions: list[Regression] = []
    missing: list[str] = []
    for ref in baseline["cells"]:
        key = (ref["stack"], ref["scenario"])
        cell = measured.get(key)
        if cell is None:
            if planned is None or (key[0] in planned[0] and key[1] in planned[1]):
                regressions.append(Regression(*key, "cell", "measured", "missing", "the run's plan includes it: it stopped before this cell"))
            else:
                missing.append(f"{key[0]}/{key[1]}")
            continue
        if VERDICT_ORDER.get(cell["verdict"], 3) > VERDICT_ORDER.get(ref["verdict"], 3):
            regressions.append(Regression(*key, "verdict", ref["verdict"], cell["verdict"], f"no worse than {ref['verdict']}"))
        if "tasks_submitted" not in cell or "tasks_accepted" not in ref:
            continue
        if "spread" in ref:
            for name, rule in spread_rules.items():
                bound, now = _bound(ref, name, rule), figure(cell, name)
                if bound is None or now is None:
                    continue
                if (now > bound if rule["worse"] == "higher" else now < bound) and abs(now - bound) > 1e-9:
                    regressions.append(Regression(*key, name, _round(ref["spread"][name]["median"]), _round(now), f"{'<=' if rule['worse'] == 'higher' else '>='} {_round(bound)}"))
            continue
        for name, rule in tolerances.items():
            before, now = metric(ref, name), metric(cell, name)
            if before is None or now is None:
                continue
            slack = rule.get("abs", 0.0) + rule.get("rel", 0.0) * abs(before)
            worse = now - before if rule["worse"] == "higher" else before - now
            if worse > slack + 1e-12:
                bound = before + slack if rule["worse"] == "higher" else before - slack
                regressions.append(Regression(*key, name, _round(before), _round(now), f"{'<=' if rule['worse'] == 'higher' else '>='} {_round(bound)}"))
    narrowed = bool(missing)  # baseline cells the run's plan left out on purpose
    claims = {c["id"]: c["verdict"] for c in matrix.get("claims", [])}
    for claim_id, before in baseline.get("claims", {}).items():
        now = claims.get(claim_id, "not measured")
        if now == before or (before == "mixed" and now in ("confirmed", "refuted", "mixed")):
            continue  # a claim that held in some repetitions only may go either way
        if now == "not measured" and narrowed:
            missing.append(f"claim {claim_id}")
            continue
        regressions.append(Regression("claims", claim_id, "verdict", before, now, f"{before}, as in the baseline"))
    return regressions, missing


def version_drift(matrix: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """The software this run used in other versions than the baseline's run did ("openai
    3.63.0 (baseline 3.57.0)"), read from each run's ``versions`` (the harness's own
    environment; the images' wheelhouse is resolved from the same ranges). It changes no
    verdict: it is what a reader weighing a regression of times wants to know first."""
    now, before = matrix.get("run", {}).get("versions") or {}, baseline.get("run", {}).get("versions") or {}
    return [f"{name} {now[name]} (baseline {before[name]})" for name in sorted(now.keys() & before.keys()) if now[name] != before[name]]


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
