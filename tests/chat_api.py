"""The seeds' chat API (MVP and Redis stacks) as a test client sees it."""

from __future__ import annotations

import time
from typing import Any

import httpx


def submit(base: str, prompt: str, provider: str = "openai", model: str = "gpt-4o", **extra: Any) -> dict[str, Any]:
    response = httpx.post(f"{base}/api/chat/generate", json={"prompt": prompt, "provider": provider, "model": model, **extra}, timeout=10)
    response.raise_for_status()
    return response.json()


def read_all(base: str, task_id: str, timeout: float = 60.0, interval: float = 0.05) -> tuple[list[dict[str, Any]], list[str]]:
    """Poll ``chunks?from_id=`` like the seeds' front end until the task ends.

    Returns the chunks received, in order, and each distinct status seen along the way.
    """
    chunks: list[dict[str, Any]] = []
    statuses: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = httpx.get(f"{base}/api/chat/chunks/{task_id}", params={"from_id": len(chunks)}, timeout=10).json()
        chunks.extend(page["chunks"])
        if not statuses or statuses[-1] != page["status"]:
            statuses.append(page["status"])
        if page["status"] in ("completed", "failed"):
            return chunks, statuses
        time.sleep(interval)
    raise AssertionError(f"task {task_id} did not end within {timeout}s; statuses {statuses}, {len(chunks)} chunks")
