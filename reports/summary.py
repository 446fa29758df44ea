"""``summary.md``: the run in one screen, for a CI job summary.

A CI system shows a job summary (GitHub's ``$GITHUB_STEP_SUMMARY``) or a job log, not a
report page: what must be seen there is whether the gate passed and why not, so the
summary says that first (the gate's verdict and the counts), then lists the regressions
(only when a baseline was given), the cells in error, and a narrow matrix (the columns a
reviewer decides on; ``matrix.md`` and ``report.html`` have them all). The figures are
referenced by their path relative to the run directory, so they show wherever
``summary.md`` is opened beside ``figures/``: in the run directory or the CI artifact.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from .render import matrix_rows, md_table, regression_lines

COLUMNS = (
    "stack", "scenario", "verdict", "correct / accepted", "lost", "data loss", "ack. loss", "stuck", "first ok", "in-flight done",
    "LLM cost", "wasted", "E2E p50",
)  # fmt: skip
VERDICTS = (
    "Verdicts: **ok** every accepted request shown whole and correct; **failed** the stack said some failed, nothing silently "
    "lost; **loss** something lost, cut, duplicated or taken back; **error** nothing trustworthy measured (the reason is shown)."
)
ELSEWHERE = (
    "Every column, the users' experience, the final reads, the guarantees and each of the seeds' claims: `report.html` "
    "(one self-contained page), `matrix.md`, `matrix.json`, beside this file."
)
CELL_ORDER = (
    "ok",
    "failed",
    "loss",
    "error",
    "not applicable",
)  # best to worst (reports.regression.VERDICT_ORDER), then the rest
CLAIM_ORDER = ("confirmed", "refuted", "mixed", "not comparable", "not measured")


def _counted(verdicts: list[str], order: tuple[str, ...]) -> str:
    counts = Counter(verdicts)
    ranked = sorted(counts, key=lambda v: (order.index(v) if v in order else len(order), v))
    return ", ".join(f"{counts[v]} {v}" for v in ranked)


def counts_line(matrix: dict[str, Any]) -> str:
    """``33 cells: 21 ok, ...; 51 claims: 29 confirmed, ...``: the whole matrix in one line."""
    cells = [c["verdict"] for c in matrix["cells"]]
    claims = [c["verdict"] for c in matrix.get("claims", [])]
    return f"**{len(cells)} cells**: {_counted(cells, CELL_ORDER)}; **{len(claims)} claims**: {_counted(claims, CLAIM_ORDER)}."


def gate_line(matrix: dict[str, Any]) -> str:
    """The first thing a reader of a CI job wants: did the gate pass, against what."""
    if "regressions" not in matrix:
        return "Not compared with a baseline: `llmchaos report RUN --baseline reports/baseline.json` (or `make chaos-test BASELINE=...`) gates it."
    found = matrix["regressions"]["found"]
    verdict = f"**{len(found)} regression(s)**" if found else "**no regression**"
    return f"{verdict} against the baseline `{matrix['regressions']['baseline']}`."


def narrow_matrix(matrix: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """``render.matrix_rows`` cut to ``COLUMNS`` (a not-applicable or error cell keeps its reason)."""
    header, rows = matrix_rows(matrix)
    keep = [header.index(name) for name in COLUMNS]
    return list(COLUMNS), [[row[i] for i in keep] for row in rows]


def _figures(figures: list[tuple[str, str]]) -> list[str]:
    """The summary figures as images; the timelines, one per fault scenario, as one line of links."""
    images = [f"![{caption}]({path})" for path, caption in figures if not Path(path).stem.startswith("timeline-")]
    timelines = [
        f"[{Path(path).stem.removeprefix('timeline-')}]({path})" for path, _ in figures if Path(path).stem.startswith("timeline-")
    ]
    lines = ["## Figures", "", *[line for image in images for line in (image, "")]]
    if timelines:
        lines += ["Timelines of each fault: " + ", ".join(timelines) + ".", ""]
    return lines


def summary_markdown(matrix: dict[str, Any], figures: list[tuple[str, str]]) -> str:
    """``figures``: (path relative to the run directory, caption), in the report's order."""
    run = matrix["run"]
    errors = [c for c in matrix["cells"] if c["verdict"] == "error"]
    parts = [
        f"# llmchaos chaos test: `{Path(str(run['directory'])).name}`",
        "",
        gate_line(matrix),
        "",
        counts_line(matrix),
        "",
        f"Profile {run['profile']}, runtime {run['runtime']}, seed {run['seed']}, {run['repeat']} repetition(s), {run['started']} to {run['finished']}.",
        "",
    ]
    if "regressions" in matrix:
        parts += ["## Regressions", "", *(regression_lines(matrix)[1:] or ["None."]), ""]  # [0] repeats the gate line
    if errors:
        parts += ["## Cells in error", "", *[f"- {c['stack']}/{c['scenario']}: {c.get('reason', '')}" for c in errors], ""]
    parts += [
        "## Matrix",
        "",
        md_table(*narrow_matrix(matrix)),
        "",
        VERDICTS,
        "",
        ELSEWHERE,
        "",
        *_figures(figures),
    ]
    return "\n".join(parts)
