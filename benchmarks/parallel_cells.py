"""Do cells run at once measure what they measure one after the other?

``llmchaos run --parallel N`` runs independent cells at the same time on one machine. The
cells share nothing (ports, Docker project, history), but they share the CPU: on a
2-core machine a recovery that waits for a process to start may take longer. This
compares a run made with ``--parallel N`` against a reference run made one cell after the
other (e.g. the committed baseline's ``--repeat 5`` run), cell by cell: the verdict, the
requests correct and lost, the data loss, the re-generations and the LLM calls must be
the same (within the reference's range over its repetitions; the data loss within a point
of it), and it prints how each
recovery time moved (the reference's median, and the parallel run's value).

Usage::

    llmchaos run --stack all --scenario all --profile ci --runtime docker --parallel 3 --out runs/parallel-3
    python benchmarks/parallel_cells.py runs/baseline-ci-repeat5 runs/parallel-3

Figures are printed, never asserted (the tests check correctness, not speed).
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from reports.matrix import RECOVERY_KEYS, build_matrix, load_run, per_repetition

SAME = ("tasks_correct", "tasks_lost", "data_loss_pct", "regenerations", "llm_calls", "acknowledged_loss_chunks", "unreadable_tasks")
# how far beyond the reference's range a figure may be: the data loss of a crash moves by a
# few tenths of a point between two sequential runs (where in a token the crash lands)
SLACK = {"data_loss_pct": 1.0}


def _per_repetition(run_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each cell's figures, one dict per repetition (``reports.matrix.per_repetition``)."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rep in load_run(run_dir).repetitions:
        if rep.status == "complete":
            out.setdefault((rep.stack, rep.scenario), []).append(per_repetition(rep.metrics))
    return out


def _verdicts(run_dir: Path) -> dict[tuple[str, str], str]:
    return {(c["stack"], c["scenario"]): c["verdict"] for c in build_matrix(load_run(run_dir))["cells"]}


def _wall(run_dir: Path) -> float | None:
    record = json.loads((run_dir / "run.json").read_text())
    if not record.get("finished") or record.get("resumed"):
        return None
    return (datetime.fromisoformat(record["finished"]) - datetime.fromisoformat(record["started"])).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path, help="a run made one cell after the other (any number of repetitions)")
    parser.add_argument("parallel", type=Path, help="a run of the same cells made with --parallel N")
    args = parser.parse_args()
    ref, par = _per_repetition(args.reference), _per_repetition(args.parallel)
    ref_verdicts, par_verdicts = _verdicts(args.reference), _verdicts(args.parallel)
    differ, compared = [], 0
    moved: dict[str, list[float]] = {k: [] for k in RECOVERY_KEYS}
    print(f"{'cell':42} {'verdict':17} {'same figures':14} recovery (reference median -> parallel), s")
    for key in sorted(set(ref) & set(par)):
        compared += 1
        now = par[key][0]
        off = []
        for name in SAME:
            values = [r[name] for r in ref[key] if r[name] is not None]
            slack = SLACK.get(name, 0.0) + 1e-9
            if values and now[name] is not None and not min(values) - slack <= now[name] <= max(values) + slack:
                off.append(f"{name} {now[name]} (ref {min(values)}-{max(values)})")
        verdict = f"{ref_verdicts.get(key)}->{par_verdicts.get(key)}" if ref_verdicts.get(key) != par_verdicts.get(key) else par_verdicts.get(key)
        if off or ref_verdicts.get(key) != par_verdicts.get(key):
            differ.append((key, verdict, off))
        times = []
        for k in RECOVERY_KEYS:
            before = [r[f"recovery_{k}_s"] for r in ref[key] if r[f"recovery_{k}_s"] is not None]
            after = now[f"recovery_{k}_s"]
            if before and after is not None:
                moved[k].append(after - statistics.median(before))
                times.append(f"{k} {statistics.median(before):.1f}->{after:.1f}")
        print(f"{'/'.join(key):42} {str(verdict):17} {'yes' if not off else 'NO':14} {', '.join(times)}")
    print(f"\n{compared} cells compared; {len(differ)} differ in verdict or in a figure beyond the reference's range:")
    for key, verdict, off in differ:
        print(f"  {'/'.join(key)}: verdict {verdict}; {'; '.join(off) or 'figures within range'}")
    for k, deltas in moved.items():
        if deltas:
            print(f"recovery {k}: parallel minus reference median, median {statistics.median(deltas):+.2f} s, max {max(deltas):+.2f} s over {len(deltas)} cells")
    for name, run in (("reference", args.reference), ("parallel", args.parallel)):
        wall = _wall(run)
        print(f"{name} run wall time: {'-' if wall is None else f'{wall / 60:.1f} min'} ({run})")


if __name__ == "__main__":
    main()
