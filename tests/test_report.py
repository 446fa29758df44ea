"""``llmchaos report`` on a recorded run: the matrix, the pages, and the CI regression gate.

``tests/data/run-ci.tar.gz`` is the first repetition of the real ci-profile run the
committed baseline (``reports/baseline.json``) was made from: every cell of the catalogue
on every stack (history, ledger and cell.json), compressed (JSON lines compress tenfold).
Its kill-only power cut cells are named ``host-kill-processes`` since ``host-kill`` became
the real cut (``run.json``'s ``renamed`` says so): the gate compares them with that
scenario's baseline cells, and the real cut's cells are not in this run.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmchaos.cli import main

RECORDED = Path(__file__).parent / "data" / "run-ci.tar.gz"
BASELINE = Path(__file__).resolve().parents[1] / "reports" / "baseline.json"


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    with tarfile.open(RECORDED) as archive:
        archive.extractall(copy, filter="data")
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
    assert {c["verdict"] for c in matrix["claims"]} <= {"confirmed", "refuted", "mixed", "not measured", "not comparable"}
    html = (run_copy / "report.html").read_text()
    assert html.count("<table") == 7 and html.count('src="data:image/png;base64,') == len(list((run_copy / "figures").glob("*.png"))) >= 4
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
    with_faults = [json.loads(c.read_text()) for c in run_copy.glob("*/*/0/cell.json")]
    timelines = len({c["scenario"] for c in with_faults if c["status"] == "complete" and c["scenario_settings"]["faults"]})
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
    assert found["tables"] == "7" and int(found["images"]) == figures and found["decoded"] == found["images"], found
    measured = [c for c in matrix["cells"] if "tasks_submitted" in c]  # the experience and audit tables: one row each
    faulted = [c for c in measured if c.get("recovery_s") is not None]  # the "where the faults hit" table
    stacks = {c["stack"] for c in matrix["cells"]}  # the designs table: one row each
    assert int(found["rows"]) == len(matrix["cells"]) + 2 * len(measured) + len(faulted) + len(stacks) + len(matrix["guarantees"]) + len(matrix["claims"])


def test_repetitions_show_their_spread_and_a_claim_that_holds_in_some_is_mixed(run_copy):
    # a second repetition of mvp/backend-kill in which the crash took nothing: every request correct
    first, second = run_copy / "mvp" / "backend-kill" / "0", run_copy / "mvp" / "backend-kill" / "1"
    shutil.copytree(first, second)
    settings = json.loads((second / "cell.json").read_text())
    (second / "cell.json").write_text(json.dumps({**settings, "repetition": 1}))
    lines = [json.loads(line) for line in (second / "history.jsonl").read_text().splitlines()]
    lost = {e["value"]["request"] for e in lines if e["f"] == "status" and e["type"] == "fail"}
    kept = [e for e in lines if not (e["value"].get("request") in lost and e["process"].startswith("client-"))]
    kept = [e for e in kept if not (e["f"] == "final-read" and e["value"].get("request") in lost)]
    ledger = [json.loads(x) for x in (second / "ledger.jsonl").read_text().splitlines()]
    tasks = {e["task_id"] for e in kept if e["f"] == "submit" and e["type"] == "ok"}
    (second / "history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in kept))
    (second / "ledger.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ledger if r["task_id"] in tasks))
    settings["load"]["planned_requests"] = len({e["value"]["request"] for e in kept if e["f"] == "submit" and e["process"].startswith("client-")})
    (second / "cell.json").write_text(json.dumps({**settings, "repetition": 1}))
    result = CliRunner().invoke(main, ["report", str(run_copy)])
    assert result.exit_code == 0, result.output
    matrix = json.loads((run_copy / "matrix.json").read_text())
    cell = next(c for c in matrix["cells"] if (c["stack"], c["scenario"]) == ("mvp", "backend-kill"))
    assert cell["repetitions"] == 2 and cell["spread"]["tasks_lost"] == {"median": 5.0, "min": 0, "max": 10, "n": 2}
    claim = next(c for c in matrix["claims"] if c["id"] == "mvp-backend-crash-loses")
    assert claim["verdict"] == "mixed" and claim["repetitions"] == {"confirmed": 1, "refuted": 1}, claim
    assert "confirmed in 1 of 2" in claim["measured"]
    assert "Spread over repetitions" in (run_copy / "report.html").read_text() and "10 [0–10]" not in (run_copy / "matrix.md").read_text()
    assert "5 [0–10]" in (run_copy / "matrix.md").read_text()


# -- the regression gate against injected regressions (issue 14) -------------------------


def _rewrite(folder: Path, change) -> None:
    """Apply ``change(events, ledger) -> (events, ledger)`` to one recorded cell."""
    events = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    ledger = [json.loads(line) for line in (folder / "ledger.jsonl").read_text().splitlines()]
    events, ledger = change(events, ledger)
    (folder / "history.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (folder / "ledger.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ledger))


def _correct_requests(events: list[dict]) -> list[str]:
    done = [e["value"]["request"] for e in events if e["f"] == "status" and e["type"] == "ok" and e["value"].get("status") == "completed"]
    return [r for r in done if r.startswith("r-")]


def _lose(count: int):
    """``count`` more requests lost: their users never saw the last chunk nor the end, and gave up."""

    def change(events, ledger):
        victims = set(_correct_requests(events)[:count])
        out = []
        for e in events:
            request = e["value"].get("request")
            if request in victims and e["process"].startswith("client-") and e["f"] == "chunks" and e["value"].get("status") == "completed":
                continue
            if request in victims and e["process"].startswith("client-") and e["f"] == "status":
                e = {**e, "type": "fail", "value": {**e["value"], "status": None, "error": "no new chunk for 20s"}}
            out.append(e)
        return out, ledger

    return change


def _hits_to_misses(share: float):
    """A share of the cache hits paid for as misses: a generation each, no ``cached``."""

    def change(events, ledger):
        hits = [e for e in events if e["f"] == "submit" and e["type"] == "ok" and e["value"].get("cached")]
        flipped = hits[: max(1, int(len(hits) * share))]
        template = next(r for r in ledger if r["outcome"] == "completed")
        for n, e in enumerate(flipped):
            e["value"]["cached"] = False
            ledger.append({**template, "call_id": f"injected-{n}", "task_id": e["task_id"]})
        return events, ledger

    return change


def _more_regenerations(share: float):
    """Re-generations up by ``share``: an extra cut generation for that many correct requests."""

    def change(events, ledger):
        generated = [r for r in ledger if (r.get("completion_tokens") or 0) > 0]
        extra = max(1, int(share * max(1, len(generated) - len({r["task_id"] for r in generated}))))
        template = next(r for r in ledger if r["outcome"] == "completed")
        tasks = [e["task_id"] for e in events if e["f"] == "submit" and e["type"] == "ok" and e["process"].startswith("client-")]
        ledger += [{**template, "call_id": f"injected-{n}", "task_id": task, "outcome": "client_aborted"} for n, task in enumerate(tasks[:extra])]
        return events, ledger

    return change


def _refuse_every_submit(events, ledger):
    out = []
    for e in events:
        if e["f"] == "submit" and e["type"] == "ok" and e["process"].startswith("client-"):
            e = {**e, "type": "fail", "task_id": None, "value": {"request": e["value"]["request"], "error": "HTTP 503", "http_status": 503}}
        elif e["process"].startswith("client-") and e["f"] not in ("submit",):
            continue  # nothing was accepted: no page, no poll
        out.append(e)
    return out, [r for r in ledger if not any(e["task_id"] == r["task_id"] for e in out if e["f"] == "submit" and e["type"] == "ok")]


INJECTIONS = {
    "one more lost request in a loss cell": (("mvp", "backend-kill"), _lose(1), "tasks_lost"),
    "a third of the cache hits paid as misses": (("redis", "cache-repeat"), _hits_to_misses(1 / 3), "cache_hits"),
    "half again as many re-generations": (("temporal", "worker-kill"), _more_regenerations(0.5), "regenerations"),
    "every submit refused": (("redis", "baseline"), _refuse_every_submit, "verdict"),
    "one Temporal request lost": (("temporal", "baseline"), _lose(1), "tasks_lost"),
}


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_the_gate_catches_each_injected_regression_naming_the_cell_and_the_metric(run_copy, name):
    (stack, scenario), change, metric = INJECTIONS[name]
    _rewrite(run_copy / stack / scenario / "0", change)
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 1, result.output
    found = [(r["stack"], r["scenario"], r["metric"]) for r in json.loads((run_copy / "matrix.json").read_text())["regressions"]["found"]]
    assert (stack, scenario, metric) in found, found


def test_versions_that_differ_from_the_baselines_run_are_named_and_decide_nothing(run_copy):
    from reports.regression import version_drift

    assert version_drift({"run": {"versions": {"openai": "3.63.0", "dbos": "3.4.0", "redis": "8.1.0"}}},
                         {"run": {"versions": {"openai": "3.57.0", "redis": "8.1.0"}}}) == ["openai 3.63.0 (baseline 3.57.0)"]  # fmt: skip
    assert version_drift({"run": {}}, {"run": {"versions": {"openai": "3.57.0"}}}) == []
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 0 and "versions that differ" not in result.output, result.output  # the baseline's own run
    record = json.loads((run_copy / "run.json").read_text())
    record["versions"]["anthropic"] = "2.99.0"
    (run_copy / "run.json").write_text(json.dumps(record))
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 0 and "no regression" in result.output, result.output
    said = f"anthropic 2.99.0 (baseline {json.loads(BASELINE.read_text())['run']['versions']['anthropic']})"
    assert f"versions that differ from the baseline's run: {said}" in result.output
    assert json.loads((run_copy / "matrix.json").read_text())["regressions"]["versions_differ"] == [said]
    assert said in (run_copy / "summary.md").read_text() and said in (run_copy / "report.html").read_text()


def test_the_gate_fails_a_run_that_stopped_after_one_cell_and_names_a_narrowed_one(run_copy):
    for cell in run_copy.glob("*/*/0"):
        if (cell.parent.parent.name, cell.parent.name) != ("mvp", "baseline"):
            shutil.rmtree(cell.parent)
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 1 and "REGRESSION redis/baseline: cell missing" in result.output, result.output
    record = json.loads((run_copy / "run.json").read_text())
    record["plan"]["stacks"], record["plan"]["scenarios"] = ["mvp"], ["baseline"]  # deliberately narrowed
    (run_copy / "run.json").write_text(json.dumps(record))
    result = CliRunner().invoke(main, ["report", str(run_copy), "--baseline", str(BASELINE)])
    assert result.exit_code == 0, result.output
    assert "not in this run (not compared): " in result.output and "redis/baseline" in result.output


def test_the_designs_table_reads_each_stacks_own_cells_and_says_what_does_not_apply():
    """Hand-made cells: a stack with repetitions (spread medians), one with a single
    repetition (its own values), one without a worker, and one whose worker-kill cell was
    not run."""
    from reports.render import design_rows

    def measured(stack, scenario, **figures):
        return {"stack": stack, "scenario": scenario, "verdict": "ok", "tasks_submitted": 20, **figures}

    spread = {"ttft_p50_s": {"median": 4.2}, "llm_cost_usd": {"median": 0.05}}
    matrix = {"cells": [
        measured("seedish", "baseline", spread=spread, ttft_p50_s=9.9, llm_cost_usd=0.25),
        measured("seedish", "worker-kill", spread={"regenerations": {"median": 10}, "wasted_cost_usd": {"median": 0.0072},
                 "failed_polls": {"median": 17}, "recovery_inflight_resume_s": {"median": 11.9}}),
        measured("streams", "baseline", ttft_p50_s=0.31, llm_cost_usd=0.053),
        measured("streams", "worker-kill", regenerations=3, wasted_cost_usd=0.002, failed_polls=0, recovery_s={"inflight_resume": 2.5}),
        measured("plain", "baseline", ttft_p50_s=0.4, llm_cost_usd=0.053),
        {"stack": "plain", "scenario": "worker-kill", "verdict": "not applicable"},
        measured("partial", "baseline", ttft_p50_s=0.5, llm_cost_usd=0.053),
    ]}  # fmt: skip
    header, rows = design_rows(matrix)
    assert header[0] == "stack" and len(header) == 7
    assert rows == [
        ["seedish", "4.20 s", "$0.0500", "10", "$0.0072", "17", "11.9 s"],
        ["streams", "0.31 s", "$0.0530", "3", "$0.0020", "0", "2.5 s"],
        ["plain", "0.40 s", "$0.0530", "n/a", "n/a", "n/a", "n/a"],
        ["partial", "0.50 s", "$0.0530", "–", "–", "–", "–"],
    ]


def test_the_power_cut_table_sets_each_cut_beside_its_kill_only_twin_and_names_the_damaged_files():
    """Hand-made cells: the MVP's cut with its twin in the run, Redis's without it, and a
    cell without a cut (not shown)."""
    from reports.render import cut_rows

    def measured(stack, scenario, **figures):
        return {"stack": stack, "scenario": scenario, "verdict": "loss", "tasks_submitted": 20, "tasks_accepted": 20, "tasks_correct": 10,
                "tasks_lost": 10, "acknowledged_loss_chunks": 0, "final_status": {"completed": 10, "running": 10}, **figures}  # fmt: skip

    left = {"files_compared": 21, "missing": 20, "empty": 1, "truncated": 0, "reverted": 0, "back": 0,
            "by_volume": {"backend-storage": {"missing": 20, "empty": 1, "truncated": 0, "reverted": 0, "back": 0}}}  # fmt: skip
    cut = {"cuts": 1, "unsynced_bytes": 52_000, "files_with_unsynced_data": 21, "namespace_ops_dropped": 40, "left": left}
    pg_said = {"postgres": {"said": {"crash recovery": 3, "WAL replayed": 3, "nothing to replay": 0}, "lines": ["LOG:  redo done at 0/1A2B"]}}
    quiet = {"redis": {"said": {"AOF loaded": 0, "AOF cut short": 0}, "lines": []}}
    matrix = {"cells": [
        measured("mvp", "host-kill-processes"),
        measured("mvp", "host-kill", acknowledged_loss_chunks=328, final_status={"missing": 20}, power_cut=cut, compare_with="host-kill-processes"),
        measured("redis", "host-kill", power_cut={**cut, "left": {**left, "by_volume": {}}}, compare_with="host-kill-processes",
                 recovery_log=pg_said | quiet),
        measured("redis", "baseline"),
    ]}  # fmt: skip
    header, rows = cut_rows(matrix)
    assert [r[:2] for r in rows] == [["mvp", "host-kill"], ["redis", "host-kill"]] and len(header) == len(rows[0])
    mvp = dict(zip(header, rows[0]))
    assert mvp["kill only"] == "host-kill-processes: loss: 10/20 correct, 10 lost, ack. loss 0 (10 completed, 10 running)"
    assert mvp["power cut"] == "loss: 10/20 correct, 10 lost, ack. loss 328 (20 missing)"
    assert mvp["dropped"] == "52.0 kB in 21 files, 40 namespace changes"
    assert mvp["files left missing / empty / truncated / reverted / back"] == "20 / 1 / 0 / 0 / 0 of 21 compared"
    assert mvp["by volume"] == "backend-storage: 20 missing, 1 empty"
    assert mvp["datastores said (kill only)"] == mvp["datastores said (power cut)"] == "–", "the MVP has no datastore"
    redis = dict(zip(header, rows[1]))
    assert redis["kill only"] == "host-kill-processes: not in this run" and redis["datastores said (kill only)"] == "–"
    assert redis["datastores said (power cut)"] == "postgres: 3 crash recovery, 3 WAL replayed; redis: none of its recovery lines"
