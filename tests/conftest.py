"""Shared fixtures: the fake provider as a real server process, driven over HTTP."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

# The provider every test starts with; tests change it through the admin API, and the
# `provider` fixture puts it back.
TTFT_MS = 30
ITL_MS = 3
OUTPUT_TOKENS = 60


def free_port() -> int:
    """One free port; successive calls never repeat one (``llmchaos.ports`` remembers what it
    handed out), so tests that build a plan port by port cannot give two services the same."""
    from llmchaos.ports import free_port as _free_port

    return _free_port()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class FakeProvider:
    """A running ``llmchaos llm serve`` process and helpers to drive it."""

    url: str
    ledger_path: Path
    process: subprocess.Popen

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, timeout=10, **kwargs)

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = self.admin("POST", "/admin/config", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        assert self.admin("POST", "/admin/reset").status_code == 200

    def ledger(self, task: str | None = None, stack: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"task": task, "stack": stack}.items() if v is not None}
        return self.admin("GET", "/admin/ledger", params=params).json()["rows"]

    def wait_ledger(self, task: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The task's ledger rows, once there are ``count`` of them (calls end asynchronously)."""
        return wait_until(lambda: (rows := self.ledger(task)) and len(rows) >= count and rows, timeout, what=f"{count} ledger row(s) for {task}")

    def inflight(self) -> list[dict[str, Any]]:
        return self.admin("GET", "/admin/inflight").json()["calls"]

    def openai(self, **kwargs: Any) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=self.url + "/v1", api_key="test", **{"max_retries": 0, **kwargs})

    def anthropic(self, **kwargs: Any) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(base_url=self.url, api_key="test", **{"max_retries": 0, **kwargs})


@pytest.fixture(scope="session")
def provider_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeProvider]:
    workdir = tmp_path_factory.mktemp("provider")
    port = free_port()
    log = (workdir / "server.log").open("w")
    command = [
        sys.executable, "-m", "llmchaos", "llm", "serve",
        "--port", str(port),
        "--ttft-ms", str(TTFT_MS),
        "--itl-ms", str(ITL_MS),
        "--output-tokens", str(OUTPUT_TOKENS),
        "--ledger", str(workdir / "ledger.jsonl"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    provider = FakeProvider(f"http://127.0.0.1:{port}", workdir / "ledger.jsonl", process)

    def healthy() -> bool:
        assert process.poll() is None, (workdir / "server.log").read_text()
        try:
            return httpx.get(provider.url + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=30, interval=0.05, what="the fake provider to answer /health")
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def provider(provider_process: FakeProvider) -> Iterator[FakeProvider]:
    provider_process.reset()
    yield provider_process
    provider_process.reset()


@pytest.fixture
def task_id(request: pytest.FixtureRequest) -> str:
    """A task id no other test uses, so ledger rows can be told apart."""
    return f"{request.node.name}-{uuid.uuid4().hex[:8]}"


# -- deployed stacks on both runtimes ----------------------------------------------------

# Fast answers for stack tests: 40 tokens, 20 ms to the first, 5 ms apart.
FAST_LLM = {"LLM_TTFT_MS": "20", "LLM_ITL_MS": "5", "LLM_OUTPUT_TOKENS": "40"}
_docker = {"skip": None}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docker: needs a Docker engine and the stack images (built once per session)")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs: if Docker tests are selected, reach the engine and build images."""
    if not any(item.get_closest_marker("docker") for item in session.items):
        return
    from llmchaos.errors import NoDockerEngineError
    from llmchaos.runtime.docker import docker_client
    from llmchaos.runtime.images import build_all
    from stacks.spec import known_stacks

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    try:
        docker_client().close()
    except NoDockerEngineError as exc:
        _docker["skip"] = f"no Docker engine could be started ({exc})"
        return
    # two test sessions at once (two checkouts, or pytest-xdist workers) would build the
    # same images at once: one builds, the others wait on the lock and find them up to date.
    with open(Path(tempfile.gettempdir()) / f"llmchaos-test-images-{os.getuid()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if reporter:
            reporter.write_line("building stack images (skipped when up to date)...")
        build_all(known_stacks(), lambda line: reporter.write_line(f"  {line}") if reporter else None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") and _docker["skip"]:
        pytest.skip(_docker["skip"])


RUNTIMES = ["local", pytest.param("docker", marks=pytest.mark.docker)]


@pytest.fixture(params=RUNTIMES)
def runtime_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def traversable_tmp() -> Iterator[Path]:
    """A temporary folder every user can traverse: PostgreSQL runs as ``postgres`` when
    the tests run as root, and pytest's own tmp_path is private to root."""
    path = Path(tempfile.mkdtemp(prefix="llmchaos-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def deploy(runtime_kind: str, traversable_tmp: Path, monkeypatch: pytest.MonkeyPatch):
    """``deploy(stack, restart=..., **env)``: the stack up on this test's runtime, free ports,
    fast fake-provider settings; everything it deployed is taken down after the test."""
    from llmchaos.ports import free_port_plan
    from llmchaos.runtime import make_runtime
    from stacks.spec import load_stack

    deployed = []

    def _deploy(stack_name: str, restart: str = "no", **env: str):
        for key, value in {**FAST_LLM, **env}.items():
            monkeypatch.setenv(key, value)
        stack = load_stack(stack_name)
        ports = free_port_plan(stack.default_ports())  # chosen together: distinct by construction
        extra = {"workdir": traversable_tmp / stack_name} if runtime_kind == "local" else {"project": f"llmchaos-test-{uuid.uuid4().hex[:8]}"}
        runtime = make_runtime(runtime_kind, stack, ports=ports, restart=restart, **extra)
        deployed.append(runtime)
        runtime.up()
        return runtime

    yield _deploy
    for runtime in deployed:
        runtime.down()


@pytest.fixture(scope="module", params=RUNTIMES)
def module_runtime_kind(request: pytest.FixtureRequest) -> str:
    """The runtime, for fixtures that keep a stack up across a module's tests (pytest then
    runs those tests grouped by runtime, one deployment alive at a time)."""
    return request.param


@contextlib.contextmanager
def deployed(stack_name: str, runtime_kind: str) -> Iterator[Any]:
    """A stack up with ``FAST_LLM`` settings until the block ends, for tests that only ask
    and read (they share it: each uses its own prompts and task ids)."""
    from llmchaos.ports import free_port_plan
    from llmchaos.runtime import make_runtime
    from stacks.spec import load_stack

    stack = load_stack(stack_name)
    workdir = Path(tempfile.mkdtemp(prefix="llmchaos-test-"))
    workdir.chmod(0o755)
    extra = {"workdir": workdir / stack_name} if runtime_kind == "local" else {"project": f"llmchaos-test-{uuid.uuid4().hex[:8]}"}
    runtime = make_runtime(runtime_kind, stack, ports=free_port_plan(stack.default_ports()), env=dict(FAST_LLM), **extra)
    try:
        runtime.up()
        yield runtime
    finally:
        runtime.down()
        shutil.rmtree(workdir, ignore_errors=True)
