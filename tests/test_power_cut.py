"""A real power cut on a stack (scenario power-cut): its durable volumes on the lazy
filesystem, every process killed, what no one synced dropped, the stack started again.

The MVP never calls fsync (it rewrites its JSON files in place), so a real cut leaves its
storage as it was when the stack started: empty. The chunks its users had been shown are
gone when read back after the recovery (acknowledged loss), where the kill-only
``host-kill`` keeps them (the kernel's page cache survives a SIGKILL: the claim
power-cut-mvp-keeps-chunks, judged on host-kill, is tested in test_claims.py).
Local processes (the only runtime that mounts it so far); skipped where FUSE is missing.
"""

from __future__ import annotations

import json

import pytest

from chaos.lazyfs.mount import fuse_missing

pytestmark = pytest.mark.skipif(fuse_missing() is not None, reason=f"no FUSE here: {fuse_missing()}")


@pytest.mark.timeout(300)
def test_a_power_cut_takes_what_the_mvp_never_synced_and_the_history_says_what(traversable_tmp):
    import yaml

    from chaos.orchestrator import Orchestrator, Plan
    from chaos.scenario import SCENARIOS_DIR
    from reports.matrix import build_matrix, load_run

    scenario = yaml.safe_load((SCENARIOS_DIR / "power-cut.yaml").read_text())
    scenario["load"].update(users=4, spawn_rate=4, tasks_per_user=2)
    scenario["faults"][0]["trigger"] = {"progress": 0.5, "min_inflight": 2}
    path = traversable_tmp / "power-cut.yaml"
    path.write_text(yaml.safe_dump(scenario))
    [cell] = Orchestrator(Plan(["mvp"], [str(path)], traversable_tmp / "run", runtime="local")).run()
    assert cell.status == "complete", cell.error
    events = [json.loads(line) for line in (cell.directory / "history.jsonl").read_text().splitlines()]
    [back] = [e for e in events if e["f"] == "start" and e["type"] == "ok" and e["value"].get("phase") == "recover"]
    cut = back["value"]["power_cut"]
    assert cut["files_with_unsynced_data"] >= 1 and cut["unsynced_bytes"] > 0, cut
    assert all(f["path"].startswith("backend-storage/") for f in cut["files"]), "only the stack's volume is on the lazy filesystem"
    [m] = build_matrix(load_run(traversable_tmp / "run"))["cells"]
    assert m["acknowledged_loss_chunks"] > 0, "chunks users saw before the cut were never synced: the final read cannot return them"
    assert not (cell.directory / "runtime" / "lazyfs").exists(), "the mount and its state are gone with the deployment"
