"""A real power cut on a stack (scenario host-kill): its durable volumes on the lazy
filesystem, every process killed, what no one synced dropped, the stack started again.

The MVP never calls fsync (it rewrites its JSON files in place), so a real cut leaves its
storage as it was when the stack started: empty. The chunks its users had been shown are
gone when read back after the recovery (acknowledged loss), where the kill-only
``host-kill-processes`` keeps them (the kernel's page cache survives a SIGKILL). On both
runtimes: with Docker the volumes are bind mounts of the host's lazy mount, filled as
Docker fills a new volume (PostgreSQL's data folder keeps its user). Skipped where FUSE
is missing.
"""

from __future__ import annotations

import json

import pytest

from chaos.lazyfs.mount import fuse_missing

pytestmark = pytest.mark.skipif(fuse_missing() is not None, reason=f"no FUSE here: {fuse_missing()}")


@pytest.mark.timeout(300)
def test_a_power_cut_takes_what_the_mvp_never_synced_and_the_history_says_what(runtime_kind, traversable_tmp):
    import yaml

    from chaos.orchestrator import Orchestrator, Plan
    from chaos.scenario import SCENARIOS_DIR
    from reports.matrix import build_matrix, load_run

    scenario = yaml.safe_load((SCENARIOS_DIR / "host-kill.yaml").read_text())
    scenario["load"].update(users=4, spawn_rate=4, tasks_per_user=2)
    scenario["faults"][0]["trigger"] = {"progress": 0.5, "min_inflight": 2}
    path = traversable_tmp / "host-kill.yaml"
    path.write_text(yaml.safe_dump(scenario))
    [cell] = Orchestrator(Plan(["mvp"], [str(path)], traversable_tmp / "run", runtime=runtime_kind)).run()
    assert cell.status == "complete", cell.error
    events = [json.loads(line) for line in (cell.directory / "history.jsonl").read_text().splitlines()]
    [back] = [e for e in events if e["f"] == "start" and e["type"] == "ok" and e["value"].get("phase") == "recover"]
    cut = back["value"]["power_cut"]
    assert cut["files_with_unsynced_data"] >= 1 and cut["unsynced_bytes"] > 0, cut
    assert all(f["path"].startswith("backend-storage/") for f in cut["files"]), "only the stack's volume is on the lazy filesystem"
    left = cut["left"]
    assert left["missing"] + left["empty"] >= 1 and set(left["by_volume"]) == {"backend-storage"}, left
    [m] = build_matrix(load_run(traversable_tmp / "run"))["cells"]
    assert m["acknowledged_loss_chunks"] > 0, "chunks users saw before the cut were never synced: the final read cannot return them"
    assert m["power_cut"]["cuts"] == 1 and m["power_cut"]["left"]["missing"] == left["missing"]
    assert not (cell.directory / "runtime" / "lazyfs").exists(), "the mount and its state are gone with the deployment"


@pytest.mark.docker
@pytest.mark.timeout(300)
def test_postgresql_in_its_container_runs_on_the_lazy_filesystem_and_recovers_from_a_cut(traversable_tmp):
    """The dbos stack with its volumes on the host's lazy mount: PostgreSQL starts as its
    own user (the folder was filled with the image's owners), writes through FUSE, and
    after a kill of every container and the cut it replays its WAL and serves again."""
    import uuid

    from chaos.recovery_log import said
    from llmchaos.ports import free_port_plan
    from llmchaos.runtime import make_runtime
    from stacks.spec import load_stack

    stack = load_stack("dbos")
    runtime = make_runtime("docker", stack, ports=free_port_plan(stack.default_ports()), project=f"llmchaos-test-{uuid.uuid4().hex[:8]}",
                           workdir=traversable_tmp / "dbos", power_cut=True)  # fmt: skip
    with runtime:
        mount = traversable_tmp / "dbos" / "lazyfs" / "mnt"
        assert runtime.compose.durable_volumes() == ["postgres-data"]
        assert (mount / "postgres-data" / "PG_VERSION").exists(), "initdb wrote through the lazy filesystem"
        runtime.kill_all([s for s in runtime.services() if s != "llm"])
        cut = runtime.cut_power()
        assert cut["unsynced_bytes"] > 0 and all(f["path"].startswith("postgres-data/") for f in cut["files"]), cut
        runtime.restart_all(timeout=120)
        assert runtime.is_healthy("postgres") and runtime.is_healthy("backend")
        # the container's log spans both starts; what a cell counts in it says PostgreSQL recovered once
        seen = said(runtime.logs("postgres"), runtime.compose.services["postgres"].recovery_log)["said"]
        assert seen["crash recovery"] == 1 and seen["WAL replayed"] + seen["nothing to replay"] == 1, seen
    assert not mount.exists(), "the mount and its state are gone with the deployment"
