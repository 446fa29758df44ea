"""``llmchaos report`` on a recorded run: the matrix, the pages, and the CI regression gate.

``tests/data/run-ci`` is a subset of the real ci-profile run the committed baseline
(``reports/baseline.json``) was made from: history, ledger and cell.json of a few cells.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmchaos.cli import main

RECORDED = Path(__file__).parent / "data" / "run-ci"
BASELINE = Path(__file__).resolve().parents[1] / "reports" / "baseline.json"


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(RECORDED, copy)
    return copy


def test_the_report_writes_the_matrix_and_both_renderings(run_copy):
    result = CliRunner().invoke(main, ["report", str(run_copy)])
    assert result.exit_code == 0, result.output
    matrix = json.loads((run_copy / "matrix.json").read_text())
    assert set(matrix) >= {"run", "cells", "guarantees", "claims"}
    cell = next(c for c in matrix["cells"] if c["stack"] == "mvp" and c["scenario"] == "backend-kill")
    for key in ("tasks_submitted", "tasks_correct", "tasks_lost", "data_loss_pct", "duplicate_chunks", "acknowledged_loss_chunks",
                "recovery_s", "llm_cost_usd", "wasted_cost_usd", "regenerations", "ttft_p50_s", "ttft_p99_s", "e2e_p50_s", "e2e_p99_s", "verdict"):  # fmt: skip
        assert key in cell, key
    assert cell["verdict"] == "loss" and cell["tasks_lost"] > 0 and set(cell["recovery_s"]) == {"health", "first_ok", "inflight_resume", "inflight_complete"}
    assert next(c for c in matrix["cells"] if c["scenario"] == "worker-kill" and c["stack"] == "mvp")["verdict"] == "not applicable"
    assert {c["verdict"] for c in matrix["claims"]} <= {"confirmed", "refuted", "mixed", "not measured"}
    html = (run_copy / "report.html").read_text()
    assert html.count("<table") == 5 and html.count('src="data:image/png;base64,') == len(list((run_copy / "figures").glob("*.png"))) >= 4
    assert "| mvp | backend-kill | loss |" in (run_copy / "matrix.md").read_text()


def test_the_recorded_run_measures_what_users_lost_not_what_the_harness_assumed(run_copy):
    CliRunner().invoke(main, ["report", str(run_copy)])
    cells = {(c["stack"], c["scenario"]): c for c in json.loads((run_copy / "matrix.json").read_text())["cells"]}
    mvp, redis, temporal = cells["mvp", "backend-kill"], cells["redis", "backend-kill"], cells["temporal", "worker-kill"]
    # availability from the canary: served within moments of the backend's health, not after the users' 20 s stall timeout
    assert mvp["recovery_s"]["first_ok"] - mvp["recovery_s"]["health"] < 2.0 and mvp["canaries"]["correct"] == 1
    # the final reads: what PostgreSQL kept is measured, and the tasks the crash interrupted are stuck "running"
    assert redis["acknowledged_loss_chunks"] == 0 and redis["final_status"] == {"completed": 10, "running": 10}
    # while no worker polls, the seeds' query-based API cannot serve a page: users see failed polls
    assert temporal["failed_polls"] > 0 and temporal["error_s"] > 0 and temporal["verdict"] == "ok"
    assert all(c.get("unattributed_calls", 0) == 0 for c in cells.values())


def test_the_unmodified_run_passes_its_baseline(run_copy):
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 0, result.output
    assert "no regression" in result.output


def test_an_injected_regression_fails_the_report_and_is_named(run_copy):
    history = run_copy / "mvp" / "baseline" / "0" / "history.jsonl"
    lines = history.read_text().splitlines()
    victim = next(json.loads(line)["value"]["request"] for line in lines if '"f":"chunks"' in line)
    kept, dropped = [], 0
    for line in lines:  # the user of one request never saw its last chunks: a truncated answer
        event = json.loads(line)
        if event["f"] == "chunks" and event["value"].get("request") == victim and dropped == 0 and event["value"]["status"] == "completed":
            dropped += 1
            continue
        kept.append(line)
    assert dropped == 1
    history.write_text("\n".join(kept) + "\n")
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 1, result.output
    assert "REGRESSION mvp/baseline: verdict loss (baseline ok" in result.output
    matrix = json.loads((run_copy / "matrix.json").read_text())
    assert [(r["stack"], r["scenario"], r["metric"]) for r in matrix["regressions"]["found"]][0] == ("mvp", "baseline", "verdict")
    assert "Regressions against the baseline" in (run_copy / "report.html").read_text()


def test_a_cell_that_measured_nothing_is_an_error_and_fails_the_gate(run_copy):
    (run_copy / "mvp" / "baseline" / "0" / "history.jsonl").write_text("")  # Locust never ran a user
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 1, result.output
    matrix = json.loads((run_copy / "matrix.json").read_text())
    cell = next(c for c in matrix["cells"] if c["stack"] == "mvp" and c["scenario"] == "baseline")
    assert cell["verdict"] == "error" and "no user operation" in cell["reason"]
    assert ("mvp", "baseline", "verdict") in [(r["stack"], r["scenario"], r["metric"]) for r in matrix["regressions"]["found"]]
    assert all(c["verdict"] != "error" for c in matrix["cells"] if (c["stack"], c["scenario"]) != ("mvp", "baseline"))


def test_one_unreadable_cell_is_an_error_and_the_rest_of_the_report_is_written(run_copy):
    history = run_copy / "mvp" / "backend-kill" / "0" / "history.jsonl"
    lines = history.read_text().splitlines()
    broken = json.loads(lines[3]) | {"t": -1.0}
    history.write_text("\n".join([*lines[:3], json.dumps(broken), *lines[4:]]) + "\n")
    ledger = run_copy / "redis" / "cache-repeat" / "0" / "ledger.jsonl"
    ledger.unlink()
    result = CliRunner().invoke(main, ["report", str(run_copy)])
    assert result.exit_code == 0, result.output
    cells = {(c["stack"], c["scenario"]): c for c in json.loads((run_copy / "matrix.json").read_text())["cells"]}
    assert cells["mvp", "backend-kill"]["verdict"] == "error" and "t is negative" in cells["mvp", "backend-kill"]["reason"]
    assert cells["redis", "cache-repeat"]["verdict"] == "error" and "ledger.jsonl" in cells["redis", "cache-repeat"]["reason"]
    assert cells["mvp", "baseline"]["verdict"] == "ok"
    assert "mvp" in (run_copy / "report.html").read_text()


def test_a_directory_that_is_not_a_run_is_refused_with_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output


def test_make_notebooks_runs_the_three_review_notebooks_on_a_recorded_run(run_copy):
    import subprocess

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(["make", "-s", "notebooks", f"RUN={run_copy}"], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pages = {p.name: p.read_text() for p in (run_copy / "notebooks").glob("*.html")}
    assert set(pages) == {"comparison_matrix.html", "recovery.html", "cost.html"}
    assert all("Traceback" not in page and "<Figure size" not in page for page in pages.values())
    images = {name: page.count("src=\"data:image/png;base64,") for name, page in pages.items()}
    timelines = len({d.parent.parent.name for d in run_copy.glob("*/*/0/history.jsonl") if d.parent.parent.name not in ("baseline", "cache-repeat")})
    assert images == {"comparison_matrix.html": 1, "recovery.html": timelines, "cost.html": 1}, images
    assert "backend-kill" in pages["recovery.html"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.dataset.images = images.length;
  document.body.dataset.decoded = images.filter(i => i.complete && i.naturalWidth > 100).length;
  document.body.dataset.tables = document.querySelectorAll("table").length;
  document.body.dataset.rows = document.querySelectorAll("tbody tr").length;
});
</script></body>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install chromium (.ci/run installs it)")
def test_the_html_report_renders_in_headless_chromium_with_its_tables_and_figures(run_copy, tmp_path):
    import re
    import subprocess

    assert CliRunner().invoke(main, ["report", str(run_copy)]).exit_code == 0
    page = tmp_path / "probe.html"
    page.write_text((run_copy / "report.html").read_text().replace("</body>", PROBE))
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               "--virtual-time-budget=10000", "--dump-dom", page.as_uri()]  # fmt: skip
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:2000]
    found = dict(re.findall(r'data-(\w+)="(\d+)"', body.group(1)))
    matrix = json.loads((run_copy / "matrix.json").read_text())
    figures = len(list((run_copy / "figures").glob("*.png")))
    assert found["tables"] == "5" and int(found["images"]) == figures and found["decoded"] == found["images"], found
    measured = [c for c in matrix["cells"] if "tasks_submitted" in c]  # the experience and audit tables: one row each
    assert int(found["rows"]) == len(matrix["cells"]) + 2 * len(measured) + len(matrix["guarantees"]) + len(matrix["claims"])
