"""How to talk to each stack's API, independent of the HTTP client that carries it.

An adapter (``stacks.common.api_shapes.StackAPI``: the shape a stack's ``stack.yaml`` names)
builds the requests and reads the answers of one shape; Locust users, the tests'
``APIClient`` and the stacks' Chainlit pages share them, so all poll exactly the same way:
submit, then ``chunks?from_id=N`` until a terminal status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from stacks.common.api_shapes import CHAT_API, SHAPES, WORKFLOW_API, Page, StackAPI
from stacks.common.api_shapes import api_for as adapter_for

__all__ = ["CHAT_API", "SHAPES", "WORKFLOW_API", "APIClient", "Page", "StackAPI", "adapter_for", "read_answer"]


class APIClient:
    """A small synchronous client over an adapter (tests, probes, scripts)."""

    def __init__(self, api: StackAPI, base_url: str, timeout: float = 30.0) -> None:
        self.api = api
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def submit(self, prompt: str, provider: str = "openai", model: str = "gpt-4o", **extra: Any) -> tuple[str, dict[str, Any]]:
        response = self.http.post(self.api.submit_path(), json={"prompt": prompt, "provider": provider, "model": model, **extra})
        response.raise_for_status()
        body = response.json()
        return self.api.task_id(body), body

    def page(self, task_id: str, from_id: int = 0) -> Page:
        response = self.http.get(self.api.chunks_path(task_id), params={"from_id": from_id})
        response.raise_for_status()
        return self.api.page(response.json())

    def status(self, task_id: str) -> dict[str, Any]:
        response = self.http.get(self.api.status_path(task_id))
        response.raise_for_status()
        return response.json()


def read_answer(response: Any, parse: Callable[[Any], Any]) -> tuple[Any, str | None]:
    """What a 200 answer of a Locust response says, parsed by ``parse``, or why the request
    failed: an error status, no answer at all, or a body that is not what the API promises
    (a backend killed mid-answer behind Docker's port proxy can leave a 200 with an empty
    body: seen). The one place where a user's answer becomes a failure (here, not in the
    Locust user, so that it is tested without importing Locust, which patches the standard
    library)."""
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}: {(response.text or '')[:300]}" if response.status_code else f"{response.error}"
    try:
        return parse(response.json()), None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return None, f"HTTP 200 with an unreadable body ({type(exc).__name__}: {exc}): {(response.text or '')[:100]!r}"
