"""``junit.xml``: the matrix as test results, so a CI system shows a regression as a failed test.

CI systems (GitHub checks, GitLab merge requests, Jenkins) display JUnit XML, not a run's
stderr: a regression that is only a log line is one nobody reads. So what the regression
gate judges becomes test cases:

- suite ``cells``: one case per stack/scenario of the matrix. It **fails** with every
  regressed metric of the cell (measured value, baseline, allowed bound, as
  ``reports.regression.Regression`` gives them); it is an **error** when the cell measured
  nothing trustworthy (with its reason); **skipped** when not applicable (with its
  reason). A baseline cell the run planned but never measured is a failed case of its
  own; one that a deliberately narrowed run left out is skipped.
- suite ``claims``: one case per seed claim. It **fails** when its verdict changed from
  the baseline's; it is **skipped** when the run could not measure it.

A case judges the gate, not the stack: a cell whose verdict is ``loss`` (the MVP loses
the generations in flight when its backend is killed: a finding, not a bug) passes as
long as it is no worse than the baseline. Without a baseline nothing is compared, so
every case passes unless it is an error or skipped, and the file still lists every cell
and claim. Each case's ``system-out`` carries its matrix row or the claim's measurement.

Built with ``xml.etree`` from the matrix ``write_report`` builds (its ``regressions``
block included); ``tests/data/junit.xsd`` is the schema the tests check it against.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .render import matrix_rows

CELLS, CLAIMS = "llmchaos.cells", "llmchaos.claims"
COUNTS = {"failures": "failure", "errors": "error", "skipped": "skipped"}  # suite attribute: the case's child it counts
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold, escaped or not


def _text(value: str) -> str:
    """A reason may quote a service's log (terminal colours included): ElementTree would write it, unparseable."""
    return NOT_XML.sub("\N{REPLACEMENT CHARACTER}", value)


def _message(found: list[dict[str, Any]]) -> str:
    """The one line a CI system lists: every regressed metric of the case, as the gate prints it."""
    return "; ".join(f"{r['metric']} {r['measured']} (baseline {r['baseline']}, allowed {r['allowed']})" for r in found)


def _details(found: list[dict[str, Any]]) -> str:
    """The failure's body: one regressed metric a line, each field named."""
    return "\n".join(f"{r['metric']}: measured {r['measured']}, baseline {r['baseline']}, allowed {r['allowed']}" for r in found)


def _case(
    suite: ET.Element, classname: str, name: str, kind: str = "", message: str = "", details: str = "", out: str = ""
) -> None:
    """One ``testcase``; ``kind`` (failure, error or skipped) when it did not simply pass."""
    case = ET.SubElement(suite, "testcase", classname=classname, name=_text(name), time="0")
    if kind:
        outcome = ET.SubElement(case, kind, message=_text(message))
        if kind != "skipped":
            outcome.set("type", {"failure": "regression", "error": "error"}[kind])
        if details:
            outcome.text = _text(details)
    if out:
        ET.SubElement(case, "system-out").text = _text(out)


def _counted(element: ET.Element, cases: list[ET.Element], skipped: bool = True) -> None:
    """tests / failures / errors (/ skipped: a ``testsuite`` attribute only) from the cases themselves."""
    element.set("tests", str(len(cases)))
    for attribute, tag in COUNTS.items():
        if attribute != "skipped" or skipped:
            element.set(attribute, str(sum(case.find(tag) is not None for case in cases)))
    element.set("time", "0")


def _cells(suite: ET.Element, matrix: dict[str, Any], regressions: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    header, rows = matrix_rows(matrix)
    for cell, row in zip(matrix["cells"], rows, strict=True):
        name, found = f"{cell['stack']}/{cell['scenario']}", regressions.pop((cell["stack"], cell["scenario"]), [])
        reason = cell.get("reason", "")
        out = "\n".join(f"{h}: {v}" for h, v in zip(header, row)) if "tasks_submitted" in cell else ""
        if cell["verdict"] == "error":
            details = reason + (f"\nregressions:\n{_details(found)}" if found else "")
            _case(suite, CELLS, name, "error", f"error: {reason}", details, out)
        elif found:
            _case(suite, CELLS, name, "failure", _message(found), _details(found), out)
        elif cell["verdict"] == "not applicable":
            _case(suite, CELLS, name, "skipped", f"not applicable: {reason}")
        else:
            _case(suite, CELLS, name, out=out)
    for (stack, scenario), found in regressions.items():  # baseline cells the run planned but never measured
        _case(suite, CELLS, f"{stack}/{scenario}", "failure", _message(found), _details(found))
    for name in (matrix.get("regressions") or {}).get("not_in_run", []):
        if not name.startswith("claim "):
            _case(suite, CELLS, name, "skipped", "not in this run's plan: not compared with the baseline")


def _claims(suite: ET.Element, matrix: dict[str, Any], regressions: dict[str, list[dict[str, Any]]]) -> None:
    for claim in matrix.get("claims", []):
        found = regressions.pop(claim["id"], [])
        out = f"{claim['claim']}\nverdict: {claim['verdict']}\nmeasured: {claim.get('measured', '')}\nsource: {claim.get('source', '')}"
        if found:
            _case(suite, CLAIMS, claim["id"], "failure", _message(found), _details(found), out)
        elif claim["verdict"] == "not measured":
            _case(suite, CLAIMS, claim["id"], "skipped", f"not measured: {claim.get('measured', '')}", out=out)
        else:
            _case(suite, CLAIMS, claim["id"], out=out)
    for claim_id, found in regressions.items():  # a baseline claim this run does not judge at all
        _case(suite, CLAIMS, claim_id, "failure", _message(found), _details(found))


def junit_xml(matrix: dict[str, Any]) -> str:
    """The JUnit document of a matrix: suites ``cells`` and ``claims`` under one ``testsuites``."""
    cell_regressions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    claim_regressions: dict[str, list[dict[str, Any]]] = {}
    for r in (matrix.get("regressions") or {}).get("found", []):
        if r["stack"] == "claims":  # how reports.regression names a claim: stack "claims", scenario its id
            claim_regressions.setdefault(r["scenario"], []).append(r)
        else:
            cell_regressions.setdefault((r["stack"], r["scenario"]), []).append(r)
    run = matrix["run"]
    root = ET.Element("testsuites", name=f"llmchaos {Path(str(run['directory'])).name}")
    suites = []
    for name, fill, regressions in (("cells", _cells, cell_regressions), ("claims", _claims, claim_regressions)):
        suite = ET.SubElement(root, "testsuite", name=name)
        if run.get("started"):
            suite.set("timestamp", str(run["started"]))
        fill(suite, matrix, regressions)
        _counted(suite, suite.findall("testcase"))
        suites.append(suite)
    _counted(root, [case for suite in suites for case in suite.findall("testcase")], skipped=False)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
