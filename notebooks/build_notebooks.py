"""Writes the three review notebooks (run once after editing; the .ipynb files are committed).

Why generated: a notebook's JSON is hard to review in a diff; its cells live here as plain
Python. Every notebook loads a run directory through ``reports.matrix.load_run`` and the
report's own functions: no copy of the checker in a notebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

LOAD = '''import os
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from reports import figures
from reports.matrix import build_matrix, load_run


def show(fig):
    """A figure as the report embeds it (a PNG): the figures module draws headless (Agg), so a
    bare Figure would print as "<Figure size ...>" instead of rendering."""
    if fig is not None:
        display(Image(figures.png(fig)))

RUN = Path(os.environ.get("LLMCHAOS_RUN") or sorted(Path("../runs").glob("*/run.json"))[-1].parent)
run = load_run(RUN)
matrix = build_matrix(run)
print(f"run {RUN}: {len(run.repetitions)} cells, stacks {run.stacks}, scenarios {run.scenarios}")'''

NOTEBOOKS = {
    "comparison_matrix.ipynb": [
        new_markdown_cell("# Comparison matrix\n\nThe measured matrix of one `llmchaos run`, for an architecture review: "
                          "what each stack lost, what it cost, and the seeds' claims beside the measurements. "
                          "Set `LLMCHAOS_RUN` to the run directory (default: the newest under `runs/`)."),
        new_code_cell(LOAD),
        new_markdown_cell("## Outcomes and data loss per stack and scenario"),
        new_code_cell('''cells = pd.DataFrame([c for c in matrix["cells"] if "tasks_submitted" in c])
cells[["stack", "scenario", "verdict", "tasks_accepted", "tasks_correct", "tasks_lost", "data_loss_pct",
       "duplicate_chunks", "acknowledged_loss_chunks", "regenerations"]]'''),
        new_code_cell('''cells.pivot(index="scenario", columns="stack", values="data_loss_pct").round(1)'''),
        new_markdown_cell("## Not applicable"),
        new_code_cell('''pd.DataFrame([{"stack": c["stack"], "scenario": c["scenario"], "why": c.get("reason")} for c in matrix["cells"] if "tasks_submitted" not in c])'''),
        new_markdown_cell("## Guarantees: the seeds' table and what was measured"),
        new_code_cell('''pd.DataFrame([{"guarantee": g["guarantee"], **{f"{s} claimed": v for s, v in g["claimed"].items()},
               **{f"{s} measured": m["value"] for s, m in g["measured"].items()}} for g in matrix["guarantees"]])'''),
        new_markdown_cell("## The seeds' claims"),
        new_code_cell('''pd.set_option("display.max_colwidth", 200)
pd.DataFrame(matrix["claims"])[["id", "claim", "measured", "verdict"]]'''),
        new_code_cell('''show(figures.data_loss(matrix, run.stacks, run.scenarios))'''),
    ],
    "recovery.ipynb": [
        new_markdown_cell("# Recovery\n\nHow long each stack took to come back after each fault, and what the users saw meanwhile. "
                          "Recovery times run from the fault moment (the target confirmed dead, stopped or frozen) to: every "
                          "service healthy (`health`), the first canary request (our own probe, every 0.5 s from the fault) served "
                          "whole (`first_ok`), the first chunk asked for after the fault by a request in flight at it that went on "
                          "to complete (`inflight_resume`), the first such request complete (`inflight_complete`)."),
        new_code_cell(LOAD),
        new_code_cell('''rows = []
for c in matrix["cells"]:
    if c.get("recovery_s"):
        rows.append({"stack": c["stack"], "scenario": c["scenario"], **c["recovery_s"]})
pd.DataFrame(rows)'''),
        new_markdown_cell("## Timelines: chunks per second received by all users, fault to health shaded"),
        new_code_cell('''for scenario in run.scenarios:
    show(figures.timeline(run, scenario))'''),
        new_markdown_cell("## What users lived through"),
        new_code_cell('''cells = pd.DataFrame([c for c in matrix["cells"] if "tasks_submitted" in c])
cells[["stack", "scenario", "failed_polls", "failed_submits", "error_s", "no_progress_s", "chunk_gap_max_p50_s",
       "chunk_gap_max_s", "final_status", "acknowledged_loss_chunks", "unreadable_tasks"]]'''),
        new_markdown_cell("## Health as the probe saw it (every 100 ms from the fault to recovery)"),
        new_code_cell('''probe = [{"stack": r.stack, "scenario": r.scenario, "t": e.t, **{s: ok for s, ok in e.value.get("services", {}).items()}}
         for r in run.repetitions for e in r.events if e.process == "probe" and "services" in e.value]
pd.DataFrame(probe).groupby(["stack", "scenario"]).agg(first=("t", "min"), last=("t", "max"), lines=("t", "count"))'''),
    ],
    "cost.ipynb": [
        new_markdown_cell("# LLM cost\n\nWhat each stack paid the LLM provider per scenario, what of it reached a user (useful) "
                          "and what did not (wasted: cut, failed, aborted or superseded generations), re-generations, and the "
                          "savings of the Redis cache. Every figure comes from the provider's ledger of this run."),
        new_code_cell(LOAD),
        new_code_cell('''cells = pd.DataFrame([c for c in matrix["cells"] if "tasks_submitted" in c])
cells["useful_cost_usd"] = cells["llm_cost_usd"] - cells["wasted_cost_usd"]
cells[["stack", "scenario", "llm_calls", "llm_cost_usd", "useful_cost_usd", "wasted_cost_usd", "regenerations",
       "provider_retries", "cost_per_correct_usd", "cache_hits", "stale_cache_hits", "cache_savings_usd", "canary_cost_usd",
       "unattributed_calls"]]'''),
        new_code_cell('''cells.pivot(index="scenario", columns="stack", values="wasted_cost_usd")'''),
        new_code_cell('''show(figures.cost(matrix, run.stacks, run.scenarios))'''),
        new_markdown_cell("## Ledger rows by outcome"),
        new_code_cell('''ledger = pd.DataFrame([{"stack": r.stack, "scenario": r.scenario, **row} for r in run.repetitions for row in r.ledger])
ledger.pivot_table(index=["stack", "scenario"], columns="outcome", values="cost_usd", aggfunc="count", fill_value=0)'''),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        nbformat.write(notebook, HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
