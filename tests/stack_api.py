"""Talking to a deployed stack's API in tests, through the load generator's adapters."""

from __future__ import annotations

import time
from typing import Any

import httpx

from loadtests.adapters import APIClient, adapter_for


def client_for(runtime) -> APIClient:
    return APIClient(adapter_for(runtime.stack.name), runtime.url("backend"))


def submit(runtime, prompt: str, provider: str = "openai", model: str = "gpt-4o", **extra: Any) -> str:
    return client_for(runtime).submit(prompt, provider, model, **extra)[0]


def read_all(runtime, task_id: str, timeout: float = 90.0, interval: float = 0.05, through_outages: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """Poll ``chunks?from_id=`` like the seeds' front end until the task ends.

    Returns the chunks received, in order, and each distinct status seen along the way.
    With ``through_outages``, a 503 or a timeout (a server down or restarting) is waited
    out instead of failing.
    """
    client = client_for(runtime)
    chunks: list[dict[str, Any]] = []
    statuses: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            page = client.page(task_id, from_id=len(chunks))
        except httpx.HTTPStatusError as exc:
            if through_outages and exc.response.status_code == 503:
                time.sleep(0.2)
                continue
            raise
        except httpx.TimeoutException:
            if through_outages:
                continue
            raise
        chunks.extend(page.chunks)
        if not statuses or statuses[-1] != page.status:
            statuses.append(page.status)
        if page.status in client.api.terminal:
            return chunks, statuses
        time.sleep(interval)
    raise AssertionError(f"task {task_id} did not end within {timeout}s; statuses {statuses}, {len(chunks)} chunks")


def ledger(runtime, task: str | None = None) -> list[dict[str, Any]]:
    params = {"task": task} if task else {}
    return httpx.get(runtime.url("llm") + "/admin/ledger", params=params).json()["rows"]


def status_of(runtime, task_id: str) -> tuple[int, dict[str, Any]]:
    """The task's status answer and its HTTP status (a 503 while a server it needs is down)."""
    response = httpx.get(runtime.url("backend") + client_for(runtime).api.status_path(task_id), timeout=30)
    return response.status_code, response.json()


def chunks_count(runtime, task_id: str) -> int:
    """Chunks the stack holds for the task now (0 while its status cannot be read)."""
    code, body = status_of(runtime, task_id)
    return body.get("chunks_count", 0) if code == 200 else 0


def assert_exact_answer(runtime, task_id: str, prompt: str, tokens: int, model: str = "gpt-4o") -> None:
    """Read the task to its end like a page: completed, every 50-character chunk once, in order."""
    from stacks.common.chat_api import split_into_chunks
    from stacks.llm import expected_text

    chunks, statuses = read_all(runtime, task_id, through_outages=True)
    assert statuses[-1] == "completed", statuses
    assert [c["text"] for c in chunks] == split_into_chunks(expected_text(prompt, model, output_tokens=tokens)), "each chunk once, in order"
