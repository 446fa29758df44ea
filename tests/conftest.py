"""Shared fixtures: the fake provider as a real server process, driven over HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
