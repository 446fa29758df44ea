"""What a CI system shows of a run: ``junit.xml`` (read by a JUnit parser, checked against the
JUnit schema) and ``summary.md``, on the recorded run of ``tests/test_report.py``.

The schema check is how ``.ci/run`` validates the JUnit output: it runs ``make test``.
"""

from __future__ import annotations

from collections import Counter

import copy
import json
import tarfile
from pathlib import Path

import markdown
import pytest
import xmlschema
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Skipped
from test_report import BASELINE, RECORDED, _lose, _rewrite

from llmchaos.cli import main
from reports.junit import junit_xml

SCHEMA = Path(__file__).parent / "data" / "junit.xsd"


def report(run: Path, *args: str) -> int:
    result = CliRunner().invoke(main, ["report", str(run), "--junit", str(run / "junit.xml"), *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code


def cases(path: Path) -> dict[str, dict]:
    """Every test case by suite/name, as a JUnit parser reads it: its outcome and message."""
    xmlschema.XMLSchema(SCHEMA).validate(path)  # raises, naming the element, when it does not hold
    out = {}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            results = list(case.result)
            kinds = {type(r) for r in results}
            outcome = (
                "failure" if Failure in kinds else "error" if Error in kinds else "skipped" if Skipped in kinds else "passed"
            )
            out[f"{suite.name}/{case.name}"] = {"outcome": outcome, "message": results[0].message if results else None,
                                                "text": results[0].text if results else None}  # fmt: skip
    return out


def failed(found: dict[str, dict]) -> list[str]:
    return [name for name, case in found.items() if case["outcome"] == "failure"]


def unpacked(folder: Path) -> Path:
    with tarfile.open(RECORDED) as archive:
        archive.extractall(folder / "run", filter="data")
    return folder / "run"


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    """A copy of the recorded run to inject a regression into."""
    return unpacked(tmp_path)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The recorded run, reported once against the committed baseline: its directory and matrix."""
    run = unpacked(tmp_path_factory.mktemp("recorded"))
    assert report(run, "--baseline", str(BASELINE)) == 0
    return run, json.loads((run / "matrix.json").read_text())


def test_the_unmodified_run_is_a_case_per_cell_and_claim_none_failed(recorded):
    run, matrix = recorded
    found = cases(run / "junit.xml")
    measured = {(c["stack"], c["scenario"]) for c in matrix["cells"]}
    # the baseline's cells of stacks the recorded run did not plan (measured later): skipped, named
    narrowed = [c for c in json.loads(BASELINE.read_text())["cells"] if (c["stack"], c["scenario"]) not in measured]
    assert len(found) == len(matrix["cells"]) + len(matrix["claims"]) + len(narrowed)
    assert all(found[f"cells/{c['stack']}/{c['scenario']}"]["outcome"] == "skipped" for c in narrowed)
    assert failed(found) == [] and not [n for n, c in found.items() if c["outcome"] == "error"]
    for cell in matrix["cells"]:
        case = found[f"cells/{cell['stack']}/{cell['scenario']}"]
        assert case["outcome"] == ("skipped" if cell["verdict"] == "not applicable" else "passed"), (
            cell["stack"],
            cell["scenario"],
            case,
        )
    assert found["cells/mvp/worker-kill"]["message"].startswith("not applicable: the mvp stack has no worker")
    for claim in matrix["claims"]:
        assert found[f"claims/{claim['id']}"]["outcome"] == ("skipped" if claim["verdict"] == "not measured" else "passed")


def test_one_injected_regression_fails_exactly_its_case_and_names_the_metric(run_copy):
    _rewrite(run_copy / "mvp" / "backend-kill" / "0", _lose(1))  # one more request lost at the crash
    assert report(run_copy, "--baseline", str(BASELINE)) == 1
    found = cases(run_copy / "junit.xml")
    assert failed(found) == ["cells/mvp/backend-kill"], failed(found)
    case = found["cells/mvp/backend-kill"]
    assert "tasks_lost 11 (baseline 10, allowed <= 10)" in case["message"], case
    assert "tasks_lost: measured 11, baseline 10, allowed <= 10" in case["text"].splitlines(), case
    regressed = {r["metric"] for r in json.loads((run_copy / "matrix.json").read_text())["regressions"]["found"]}
    assert all(metric in case["message"] for metric in regressed)  # every regressed metric of the cell, in one failure
    summary = (run_copy / "summary.md").read_text()
    assert summary.index("## Regressions") < summary.index("## Matrix") and "- mvp/backend-kill: tasks_lost 11" in summary


def test_a_cell_that_measured_nothing_is_an_error_case_with_its_reason(run_copy):
    (run_copy / "mvp" / "baseline" / "0" / "history.jsonl").write_text("")  # Locust never ran a user
    assert report(run_copy, "--baseline", str(BASELINE)) == 1
    found = cases(run_copy / "junit.xml")
    errors = {name: c for name, c in found.items() if c["outcome"] == "error"}
    assert list(errors) == ["cells/mvp/baseline"] and "no user operation" in errors["cells/mvp/baseline"]["message"]
    assert "verdict: measured error, baseline ok" in errors["cells/mvp/baseline"]["text"]
    assert [
        name for name in failed(found) if name.startswith("cells/")
    ] == []  # (claims judged on that cell may flip: failed apart)


def test_a_flipped_claim_a_cell_never_measured_and_a_narrowed_one_are_each_a_case(recorded):
    """The gate's other findings, put in the matrix as ``reports.regression.compare`` words them."""
    matrix = copy.deepcopy(recorded[1])
    claim = matrix["claims"][0]["id"]
    matrix["cells"] = [c for c in matrix["cells"] if (c["stack"], c["scenario"]) != ("redis", "baseline")]
    broken = {
        "stack": "mvp",
        "scenario": "f5-refresh",
        "repetitions": 1,
        "verdict": "error",
        "reason": "backend: \x1b[31mTraceback\x1b[0m\x00",
    }
    matrix["cells"] = [broken if (c["stack"], c["scenario"]) == ("mvp", "f5-refresh") else c for c in matrix["cells"]]
    matrix["regressions"] = {"baseline": "reports/baseline.json", "not_in_run": ["dbos/baseline"], "found": [
        {"stack": "claims", "scenario": claim, "metric": "verdict", "baseline": "confirmed", "measured": "refuted", "allowed": "confirmed, as in the baseline"},
        {"stack": "redis", "scenario": "baseline", "metric": "cell", "baseline": "measured", "measured": "missing", "allowed": "the run's plan includes it"},
    ]}  # fmt: skip
    path = recorded[0] / "edited.xml"
    path.write_text(junit_xml(matrix))
    found = cases(path)
    assert sorted(failed(found)) == sorted([f"claims/{claim}", "cells/redis/baseline"])
    assert found[f"claims/{claim}"]["message"] == "verdict refuted (baseline confirmed, allowed confirmed, as in the baseline)"
    assert found["cells/redis/baseline"]["message"].startswith("cell missing (baseline measured")
    assert found["cells/dbos/baseline"]["outcome"] == "skipped"
    assert found["cells/mvp/f5-refresh"] == {
        "outcome": "error",
        "message": "error: backend: \ufffd[31mTraceback\ufffd[0m\ufffd",
        "text": "backend: \ufffd[31mTraceback\ufffd[0m\ufffd",
    }  # a log's colours, still XML


def test_without_a_baseline_every_cell_passes_unless_error_or_not_applicable(run_copy):
    _rewrite(run_copy / "mvp" / "backend-kill" / "0", _lose(1))  # worse, but nothing to compare it with
    assert report(run_copy) == 0
    found = cases(run_copy / "junit.xml")
    assert failed(found) == [] and {c["outcome"] for c in found.values()} == {"passed", "skipped"}
    summary = (run_copy / "summary.md").read_text()
    assert "## Regressions" not in summary and "Not compared with a baseline" in summary


def test_the_summary_renders_counts_first_then_the_matrix_and_the_figures(recorded):
    run, matrix = recorded
    text = (run / "summary.md").read_text()
    measured = len(matrix["cells"])
    verdicts = Counter(c["verdict"] for c in matrix["cells"])
    assert (verdicts["ok"], verdicts["failed"], verdicts["loss"], verdicts["not applicable"]) == (22, 2, 5, 7)  # the recorded run
    confirmed = sum(c["verdict"] == "confirmed" for c in matrix["claims"])
    assert (
        f"**{measured} cells**: 22 ok, 2 failed, 5 loss, 7 not applicable; **{len(matrix['claims'])} claims**: {confirmed} confirmed"
        in text
    )
    assert (
        text.index("**no regression** against the baseline")
        < text.index("## Regressions")
        < text.index("## Matrix")
        < text.index("## Figures")
    )
    page = markdown.markdown(text, extensions=["tables"])
    assert page.count("<table>") == 1 and page.count("<tr>") == len(matrix["cells"]) + 1
    assert "<td>mvp</td>\n<td>backend-kill</td>\n<td>loss</td>" in page
    assert '<img alt="Data loss per stack and scenario" src="figures/data-loss.png"' in page
    assert '<a href="figures/timeline-backend-kill.png">backend-kill</a>' in page
    referenced = {"figures/" + part.split(")")[0] for part in text.split("](figures/")[1:]}
    assert referenced == {
        f"figures/{p.name}" for p in (run / "figures").glob("*.png")
    }  # every figure, by its path from the run directory
