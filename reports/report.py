"""``llmchaos report RUN_DIR``: matrix.json, matrix.md, summary.md, report.html and figures/*.png.

Everything is computed from the run directory by ``reports.matrix.load_run`` (the same
functions the notebooks use), then written next to the cells. With a baseline, the
regressions are part of the matrix and of every rendering, and the caller exits 1.
``summary.md`` is what a CI job summary shows; ``junit`` (``--junit PATH``) writes the
matrix as JUnit XML for the CI's test results view (``reports.junit``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import figures
from .junit import junit_xml
from .matrix import build_matrix, load_run
from .regression import Regression, baseline_from, compare, load_baseline, version_drift
from .render import first_shots, markdown, report_html
from .summary import summary_markdown


@dataclass
class Written:
    directory: Path
    files: list[Path] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    versions_differ: list[str] = field(default_factory=list)


def write_report(directory: Path, baseline: Path | None = None, write_baseline: Path | None = None, junit: Path | None = None) -> Written:
    run = load_run(directory)
    matrix = build_matrix(run)
    out = Written(Path(directory))
    if baseline is not None:
        reference = load_baseline(baseline)
        out.regressions, out.missing = compare(matrix, reference)
        out.versions_differ = version_drift(matrix, reference)
        matrix["regressions"] = {
            "baseline": str(baseline),
            "found": [asdict(r) for r in out.regressions],
            "not_in_run": out.missing,
            "versions_differ": out.versions_differ,
        }
    stacks, scenarios = run.stacks, run.scenarios
    drawn: list[tuple[str, str, bytes]] = []
    for scenario in scenarios:
        fig = figures.timeline(run, scenario)
        if fig is not None:
            drawn.append((f"timeline-{scenario}", f"{scenario}: chunks per second across all users; fault to health shaded", figures.png(fig)))
    drawn.append(("data-loss", "Data loss per stack and scenario", figures.png(figures.data_loss(matrix, stacks, scenarios))))
    drawn.append(("cost", "LLM cost per stack and scenario, useful and wasted", figures.png(figures.cost(matrix, stacks, scenarios))))
    drawn.append(("latency", "TTFT and end-to-end latency of correct requests", figures.png(figures.latency(run, stacks, scenarios))))
    for name, _, data in drawn:
        path = out.directory / "figures" / f"{name}.png"
        figures.save(data, path)
        out.files.append(path)
    for name, text in (
        ("matrix.json", json.dumps(matrix, indent=2, ensure_ascii=False, default=str)),
        ("matrix.md", markdown(matrix)),
        ("summary.md", summary_markdown(matrix, [(f"figures/{name}.png", caption) for name, caption, _ in drawn])),
        ("report.html", report_html(matrix, drawn, _shots(out.directory, matrix))),
    ):
        (out.directory / name).write_text(text, encoding="utf-8")
        out.files.append(out.directory / name)
    if junit is not None:
        Path(junit).parent.mkdir(parents=True, exist_ok=True)
        Path(junit).write_text(junit_xml(matrix), encoding="utf-8")
        out.files.append(Path(junit))
    if write_baseline is not None:
        Path(write_baseline).write_text(json.dumps(baseline_from(matrix), indent=2, ensure_ascii=False, default=str) + "\n")
        out.files.append(Path(write_baseline))
    return out


def _shots(directory: Path, matrix: dict) -> dict[str, bytes]:
    """The screenshots the report shows, read from the run directory (a missing one is left out)."""
    found = {}
    for _, shot in first_shots(matrix):
        for key in ("before", "after"):
            path = directory / shot[key]
            if path.is_file():
                found[shot[key]] = path.read_bytes()
    return found
