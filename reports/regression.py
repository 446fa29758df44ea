"""CI regression: a run's matrix against a committed baseline, metric by metric.

The baseline file (``reports/baseline.json``) holds a reference matrix (the cells of a
real ci-profile run) and a tolerance per metric::

    {"tolerances": {"data_loss_pct": {"worse": "higher", "abs": 10.0}, ...},
     "cells": [{"stack": "mvp", "scenario": "baseline", "verdict": "ok", ...}, ...]}

A metric regressed when it moved in its ``worse`` direction by more than ``abs`` plus
``rel`` times the reference value. A verdict regressed when it got worse (ok, then
failed, then loss, then error). Cells of the baseline absent from the run are listed but
are not regressions (a run of a subset is legitimate); a cell that errored is one.
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
    "unreadable_tasks": {"worse": "higher", "abs": 2},
    "unattributed_calls": {"worse": "higher", "abs": 0},
    "ttft_p50_s": {"worse": "higher", "abs": 1.0, "rel": 1.0},
    "e2e_p50_s": {"worse": "higher", "abs": 3.0, "rel": 1.0},
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
    """A baseline document from a run's matrix."""
    keep = ("stack", "scenario", "verdict", "tasks_accepted", "tasks_correct") + tuple(k for k in DEFAULT_TOLERANCES if k != "correct_share" and not k.startswith("recovery_")) + ("recovery_s",)
    return {
        "note": "reference matrix of a real ci-profile run; `llmchaos report RUN --baseline` compares against it",
        "run": matrix["run"],
        "tolerances": tolerances or DEFAULT_TOLERANCES,
        "cells": [{k: c[k] for k in keep if k in c} for c in matrix["cells"]],
    }


def compare(matrix: dict[str, Any], baseline: dict[str, Any]) -> tuple[list[Regression], list[str]]:
    """Every regression, and the baseline cells this run did not measure."""
    tolerances = {**DEFAULT_TOLERANCES, **baseline.get("tolerances", {})}
    measured = {(c["stack"], c["scenario"]): c for c in matrix["cells"]}
    regressions: list[Regression] = []
    missing: list[str] = []
    for ref in baseline["cells"]:
        key = (ref["stack"], ref["scenario"])
        cell = measured.get(key)
        if cell is None:
            missing.append(f"{key[0]}/{key[1]}")
            continue
        if VERDICT_ORDER.get(cell["verdict"], 3) > VERDICT_ORDER.get(ref["verdict"], 3):
            regressions.append(Regression(*key, "verdict", ref["verdict"], cell["verdict"], f"no worse than {ref['verdict']}"))
        if "tasks_submitted" not in cell or "tasks_accepted" not in ref:
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
    return regressions, missing


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
