"""Runtime faults on both runtimes, each effect checked through the OS or the Docker engine.

The runtime's own bookkeeping is never the witness: a process is gone when /proc says so,
a container is exited or paused when the engine's inspect says so.
"""

from __future__ import annotations

import time

import httpx
import pytest

from llmchaos.runtime.procfs import group_members, process_state

from stack_api import read_all, submit
from conftest import wait_until


def alive(pid: int) -> bool:
    return process_state(pid) not in (None, "Z")


def main_pid(runtime, service: str) -> int:
    return runtime.pid(service) if runtime.name == "local" else runtime.main_pid(service)


def engine_state(runtime, service: str) -> dict:
    return runtime.client.api.inspect_container(runtime.container_name(service))["State"]


def restart_count(runtime, service: str) -> int:
    if runtime.name == "local":
        return runtime.restarts(service)
    return runtime.client.api.inspect_container(runtime.container_name(service))["RestartCount"]


def assert_gone(runtime, service: str, pid: int) -> None:
    """The service's processes are dead, as the kernel (and the engine, for Docker) says."""
    wait_until(lambda: not alive(pid), timeout=20, what=f"pid {pid} of {service} to die")
    if runtime.name == "local":
        assert group_members(pid) == []
    else:
        state = wait_until(lambda: (s := engine_state(runtime, service))["Status"] == "exited" and s, timeout=20, what="exited")
        assert state["Pid"] == 0


def health_ok(runtime, service: str) -> bool:
    try:
        return httpx.get(runtime.url(service) + "/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_crashes_the_service_and_start_brings_it_back(deploy):
    mvp = deploy("mvp")
    pid = main_pid(mvp, "backend")
    mvp.kill("backend")
    assert_gone(mvp, "backend", pid)
    assert not health_ok(mvp, "backend")
    time.sleep(0.5)
    assert not alive(pid) and restart_count(mvp, "backend") == 0, "restart policy 'no': it stays down"
    mvp.start("backend")
    mvp.wait_healthy(["backend"], timeout=60)
    assert health_ok(mvp, "backend") and main_pid(mvp, "backend") != pid and alive(main_pid(mvp, "backend"))


def test_a_restart_policy_brings_a_crashed_service_back_by_itself(deploy):
    mvp = deploy("mvp", restart="on-failure")
    pid = main_pid(mvp, "backend")
    mvp.kill("backend")
    wait_until(lambda: not alive(pid), timeout=20, what="the crash")
    wait_until(lambda: restart_count(mvp, "backend") >= 1 and health_ok(mvp, "backend"), timeout=60, what="the automatic restart")
    assert main_pid(mvp, "backend") != pid


def test_stop_is_graceful_and_deliberate(deploy):
    mvp = deploy("mvp", restart="always")
    pid = main_pid(mvp, "backend")
    mvp.stop("backend")
    assert_gone(mvp, "backend", pid)
    # uvicorn's own words for a graceful exit (it then re-raises SIGTERM: exit -15 as a
    # local process, 0 as a container's PID 1, which ignores the re-raised signal)
    assert "Finished server process" in mvp.logs("backend")
    if mvp.name == "docker":
        assert engine_state(mvp, "backend")["ExitCode"] == 0
    else:
        assert mvp._services["backend"].popen.returncode in (0, -15)
    time.sleep(1.0)
    assert restart_count(mvp, "backend") == 0 and not health_ok(mvp, "backend"), "a deliberate stop is not restarted"


def test_while_paused_no_chunk_arrives_and_after_unpause_they_flow(deploy):
    mvp = deploy("mvp", LLM_ITL_MS="100", LLM_OUTPUT_TOKENS="60")
    base = mvp.url("backend")
    task = submit(mvp, "pause me")
    seen = wait_until(lambda: len(c := httpx.get(f"{base}/api/chat/chunks/{task}").json()["chunks"]) >= 5 and c, what="5 chunks")
    mvp.pause("backend")
    try:
        pid = main_pid(mvp, "backend")
        if mvp.name == "local":
            assert {process_state(p) for p in group_members(pid)} == {"T"}
        else:
            assert engine_state(mvp, "backend")["Status"] == "paused"
        for _ in range(2):
            with pytest.raises(httpx.TimeoutException):
                httpx.get(f"{base}/api/chat/chunks/{task}", params={"from_id": len(seen)}, timeout=0.5)
    finally:
        mvp.unpause("backend")
    more = wait_until(lambda: len(c := httpx.get(f"{base}/api/chat/chunks/{task}").json()["chunks"]) > len(seen) + 5 and c, what="chunks after unpause")
    assert more[: len(seen)] == seen
    chunks, statuses = read_all(mvp, task)
    assert statuses[-1] == "completed" and len(chunks) == 60


def test_kill_all_leaves_nothing_alive_and_the_power_coming_back_keeps_the_files(deploy):
    mvp = deploy("mvp")
    task = submit(mvp, "survive the power cut")
    before, _ = read_all(mvp, task)
    pids = {service: main_pid(mvp, service) for service in mvp.services()}
    mvp.kill_all()
    for service, pid in pids.items():
        assert_gone(mvp, service, pid)
    if mvp.name == "docker":
        assert {c.status for c in mvp.project_containers()} == {"exited"}
    mvp.restart_all()
    after, statuses = read_all(mvp, task)
    assert statuses == ["completed"] and after == before
    llm = main_pid(mvp, "llm")
    backend = main_pid(mvp, "backend")
    mvp.kill_all(["backend"])  # the machines that lose power; the provider is elsewhere
    assert_gone(mvp, "backend", backend)
    assert mvp.is_running("llm") and main_pid(mvp, "llm") == llm and not mvp.is_running("backend")
    mvp.restart_all()
    assert read_all(mvp, task)[0] == before


def test_start_right_after_kill_brings_the_service_back(deploy):
    """``kill`` returns once the crash is complete, as the OS and the engine see it."""
    mvp = deploy("mvp")
    pid = main_pid(mvp, "backend")
    mvp.kill("backend")
    assert not alive(pid)
    mvp.start("backend")
    mvp.wait_healthy(["backend"], timeout=60)
    assert main_pid(mvp, "backend") != pid


def test_a_backend_whose_port_answers_as_the_provider_fails_up_at_once_naming_it(traversable_tmp):
    """The port collision seen in 1 deployment of 13, reproduced on purpose: the provider and
    the backend given one port. The provider's /health must not pass for the backend's; ``up``
    fails naming the service that answered, long before its timeout, and takes the stack down.
    (Local only: Docker refuses to publish one port twice before any probe runs.)"""
    from llmchaos.errors import UnhealthyError
    from llmchaos.ports import check_port_free, free_ports
    from llmchaos.runtime.local import LocalRuntime
    from stacks.spec import load_stack

    [port] = free_ports(1)
    # on-failure: the backend that cannot bind is restarted again and again, so it is
    # running (and probed) at some point whatever the machine's speed
    mvp = LocalRuntime(load_stack("mvp"), workdir=traversable_tmp / "mvp", ports={"LLM_PORT": port, "MVP_BACKEND_PORT": port}, restart="on-failure")
    started = time.monotonic()
    with pytest.raises(UnhealthyError) as caught:
        mvp.up(timeout=100)
    message = str(caught.value)
    assert f"backend: port {port} answered /health as service 'llm', not 'backend'" in message, message
    assert "Two services were given the same port" in message and time.monotonic() - started < 100
    wait_until(lambda: not mvp.is_running("llm") and not mvp.is_running("backend"), timeout=20, what="up() to take the stack down")
    check_port_free(port)


@pytest.mark.docker
def test_a_cell_deployed_after_a_killed_run_inherits_nothing_from_it():
    """A run killed with its engine leaves the project's containers and volumes; the next run
    reused them, and its Redis cache answered another cell's prompts (seen in CI: a baseline
    with one "corrupt" answer). The orchestrator clears them before it deploys."""
    import uuid

    import redis

    from llmchaos.ports import free_port_plan
    from llmchaos.runtime.docker import DockerRuntime
    from stacks.spec import load_stack

    stack, project = load_stack("redis"), f"llmchaos-test-{uuid.uuid4().hex[:8]}"
    killed = DockerRuntime(stack, project=project, ports=free_port_plan(stack.default_ports()))
    fresh = DockerRuntime(stack, project=project, ports=free_port_plan(stack.default_ports()))
    try:
        killed.up()
        redis.Redis.from_url(killed.display_url("redis")).set("left-by-the-killed-run", "1")
        killed.client.api.stop(killed.container_name("redis"))  # flushed to its volume, as a dying engine would
        removed = fresh.clear_leftovers()
        assert {f"volume {project}_redis-data", f"container {project}-redis-1", f"network {project}_default"} <= set(removed), removed
        fresh.up()
        assert redis.Redis.from_url(fresh.display_url("redis")).get("left-by-the-killed-run") is None
        fresh.down()
        assert fresh.clear_leftovers() == [], "nothing left: nothing to remove"
    finally:
        fresh.down()
        killed.down()
