"""The report's figures (matplotlib, headless), each drawn from measured data only.

- a timeline per fault scenario: chunks per second received by all clients, one row per
  stack, the cell's phases (deploy ... check) along the top, the fault-to-health span
  shaded, the recovery action and the first canary served marked;
- data loss per stack and scenario;
- LLM cost per stack and scenario, useful and wasted;
- TTFT and end-to-end distributions per stack and scenario.

Each function returns a ``Figure``; ``save`` writes it as PNG for ``figures/`` and the
self-contained HTML page.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display, same output everywhere

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from llmchaos.metrics import faults_of  # noqa: E402

from .matrix import Run  # noqa: E402

BIN_S = 0.25


def _colour(stack: str) -> str:
    """The stack's colour from its ``stack.yaml``; grey for a stack this checkout does not
    have (a run made elsewhere)."""
    from llmchaos.errors import BadInputError
    from stacks.spec import load_manifest

    try:
        return load_manifest(stack).colour
    except BadInputError:
        return "#666666"


PHASE_COLOURS = {"deploy": "#bdbdbd", "warm-up": "#d9d9d9", "load": "#ffffff", "recovery": "#fdd0a2", "drain": "#c6dbef",
                 "final-reads": "#9ecae1", "collect": "#dadaeb", "teardown": "#bdbdbd", "check": "#f0f0f0"}  # fmt: skip


def phases_of(events) -> list[tuple[str, float, float]]:
    """The orchestrator's phases of a cell: (name, start, end), from its ``phase`` lines."""
    started: dict[str, float] = {}
    spans = []
    for e in sorted(events, key=lambda e: e.t):
        if e.process != "orchestrator" or e.f != "phase":
            continue
        if e.type == "invoke":
            started[e.value["phase"]] = e.t
        elif e.value["phase"] in started:
            spans.append((e.value["phase"], started.pop(e.value["phase"]), e.t))
    return spans


def timeline(run: Run, scenario: str) -> Figure | None:
    """Chunks per second across all users, per stack, for the first repetition: the
    cell's phases along the top, the fault to health shaded, the recovery action and the
    first canary served marked."""
    reps = [r for r in run.repetitions if r.scenario == scenario and r.status == "complete" and r.repetition == 0 and faults_of(r.events)]
    if not reps:
        return None
    fig, axes = plt.subplots(len(reps), 1, figsize=(9, 2.1 * len(reps) + 0.6), sharex=False, squeeze=False)
    for ax, rep in zip(axes[:, 0], reps):
        counts: dict[int, int] = {}
        for e in rep.events:
            if e.f == "chunks" and e.type == "ok" and e.process.startswith("client-"):
                counts[int(e.t // BIN_S)] = counts.get(int(e.t // BIN_S), 0) + len(e.value.get("chunks", []))
        end = max((e.t for e in rep.events), default=0.0)
        bins = list(range(int(end // BIN_S) + 1))
        ax.fill_between([b * BIN_S for b in bins], [counts.get(b, 0) / BIN_S for b in bins], step="post", color=_colour(rep.stack), alpha=0.8, linewidth=0)
        top = max([counts.get(b, 0) / BIN_S for b in bins] + [1.0]) * 1.25
        for name, start, stop in phases_of(rep.events):
            ax.axvspan(start, stop, ymin=0.9, ymax=1.0, color=PHASE_COLOURS.get(name, "#eeeeee"), ec="#999999", lw=0.4)
            if stop - start > end / 25:
                ax.text((start + stop) / 2, top * 0.95, name, ha="center", va="center", fontsize=6.5, color="#333333")
        for fault in faults_of(rep.events):
            until = fault.healthy_t if fault.healthy_t is not None else end
            ax.axvspan(fault.effective_t, until, ymax=0.9, color="#e31a1c", alpha=0.15, label="fault to health")
            ax.axvline(fault.effective_t, ymax=0.9, color="#e31a1c", linewidth=1)
            if fault.recovered_t is not None and fault.recovered_t > fault.effective_t:
                ax.axvline(fault.recovered_t, ymax=0.9, color="#e31a1c", linewidth=1, linestyle="--", label="recovery action")
            served = [c.ended_t for c in rep.canaries if c.request.startswith(f"canary-{fault.index}-") and c.outcome == "correct" and c.ended_t]
            if served:
                ax.axvline(min(served), ymax=0.9, color="#238b45", linewidth=1.2, linestyle=":", label="first canary served")
        ax.set_ylim(0, top)
        ax.set_xlim(0, end)
        ax.set_ylabel(f"{rep.stack}\nchunks/s", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].set_title(f"{scenario}: chunks received per second by all users (phases on top; fault to health shaded)", fontsize=10)
    handles, labels = [], []
    for ax in axes[:, 0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if labels:
        axes[-1, 0].legend(handles, labels, fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("seconds since the cell started")
    fig.tight_layout()
    return fig


def _grouped_bars(ax, cells: list[dict[str, Any]], value, stacks: list[str], scenarios: list[str], bottom=None, hatch=None, label_suffix="") -> None:
    width = 0.8 / max(1, len(stacks))
    for i, stack in enumerate(stacks):
        xs, ys, bs = [], [], []
        for j, scenario in enumerate(scenarios):
            cell = next((c for c in cells if c["stack"] == stack and c["scenario"] == scenario and "tasks_submitted" in c), None)
            if cell is None:
                continue
            xs.append(j + (i - (len(stacks) - 1) / 2) * width)
            ys.append(value(cell))
            bs.append(bottom(cell) if bottom else 0)
        ax.bar(xs, ys, width * 0.95, bottom=bs, color=_colour(stack), hatch=hatch, alpha=0.55 if hatch else 0.9,
               label=f"{stack}{label_suffix}", edgecolor="white" if not hatch else _colour(stack))  # fmt: skip
    ax.set_xticks(range(len(scenarios)))
    ax.set_xticklabels(scenarios, rotation=30, ha="right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.25)


def data_loss(matrix: dict[str, Any], stacks: list[str], scenarios: list[str]) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    _grouped_bars(ax, matrix["cells"], lambda c: c["data_loss_pct"], stacks, scenarios)
    ax.set_ylabel("data loss (% of expected characters)")
    ax.set_title("Data loss per stack and scenario (missing bars: not applicable)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cost(matrix: dict[str, Any], stacks: list[str], scenarios: list[str]) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 3.6))
    cents = 100.0
    _grouped_bars(ax, matrix["cells"], lambda c: (c["llm_cost_usd"] - c["wasted_cost_usd"]) * cents, stacks, scenarios, label_suffix=" useful")
    _grouped_bars(ax, matrix["cells"], lambda c: c["wasted_cost_usd"] * cents, stacks, scenarios,
                  bottom=lambda c: (c["llm_cost_usd"] - c["wasted_cost_usd"]) * cents, hatch="///", label_suffix=" wasted")  # fmt: skip
    ax.set_ylabel("LLM cost (US cents)")
    ax.set_title("LLM cost per stack and scenario: useful (solid) and wasted (hatched)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def latency(run: Run, stacks: list[str], scenarios: list[str]) -> Figure:
    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    width = 0.8 / max(1, len(stacks))
    for ax, (name, measure) in zip(axes, (("TTFT", lambda r: r.first_chunk_t - r.submitted_t if r.first_chunk_t is not None else None),
                                          ("end to end", lambda r: r.ended_t - r.submitted_t if r.ended_t is not None else None))):  # fmt: skip
        for i, stack in enumerate(stacks):
            data, positions = [], []
            for j, scenario in enumerate(scenarios):
                values = [v for rep in run.cells(stack, scenario) for r in rep.results if r.outcome == "correct" and (v := measure(r)) is not None]
                if values:
                    data.append(values)
                    positions.append(j + (i - (len(stacks) - 1) / 2) * width)
            if data:
                box = ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, showfliers=True, flierprops={"markersize": 2})
                for patch in box["boxes"]:
                    patch.set_facecolor(_colour(stack))
                    patch.set_alpha(0.7)
                ax.plot([], [], color=_colour(stack), linewidth=6, label=stack)
        ax.set_ylabel(f"{name} (s)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("Latency of correct requests: time to first chunk and end to end", fontsize=10)
    axes[0].legend(fontsize=8)
    axes[1].set_xticks(range(len(scenarios)))
    axes[1].set_xticklabels(scenarios, rotation=30, ha="right", fontsize=8)
    fig.tight_layout()
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def save(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
