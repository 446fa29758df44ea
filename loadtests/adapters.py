"""How to talk to each stack's API, independent of the HTTP client that carries it.

Two API shapes come from the seeds: the chat API of the MVP and Redis stacks
(``/api/chat/...``, a ``task_id``) and the workflow API of the Temporal stack
(``/api/workflows/...``, a ``workflow_id``); a stack names its shape, or gives its own
paths, in its ``stack.yaml`` (``api``). An adapter builds the requests and reads the
answers of one shape; Locust users and the tests' ``APIClient`` share them, so both poll
exactly the same way: submit, then ``chunks?from_id=N`` until a terminal status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Page:
    status: str
    chunks: list[dict[str, Any]]  # each {"chunk_id", "text", ...}, in order


@dataclass(frozen=True)
class StackAPI:
    """One API shape: where to submit, where to read chunks and status, when a task is over."""

    name: str
    submit: str
    chunks: str  # with {id}
    status: str  # with {id}
    id_key: str  # where the submit answer puts the task's id
    terminal: frozenset[str]

    def submit_path(self) -> str:
        return self.submit

    def task_id(self, submitted: dict[str, Any]) -> str:
        return submitted[self.id_key]

    def chunks_path(self, task_id: str) -> str:
        return self.chunks.format(id=task_id)

    def status_path(self, task_id: str) -> str:
        return self.status.format(id=task_id)

    def page(self, answer: dict[str, Any]) -> Page:
        return Page(answer["status"], answer["chunks"])


CHAT_API = StackAPI("chat", "/api/chat/generate", "/api/chat/chunks/{id}", "/api/chat/status/{id}", "task_id", frozenset({"completed", "failed"}))
WORKFLOW_API = StackAPI(
    "workflows", "/api/workflows/start", "/api/workflows/{id}/chunks", "/api/workflows/{id}/status", "workflow_id", frozenset({"completed", "failed", "cancelled"})
)

SHAPES: dict[str, StackAPI] = {"chat": CHAT_API, "workflows": WORKFLOW_API}


def adapter_for(stack: str) -> StackAPI:
    """The API shape ``stacks/<stack>/stack.yaml`` names, or the one it spells out."""
    from stacks.spec import load_manifest

    api = load_manifest(stack).api
    if isinstance(api, str):
        return SHAPES[api]
    return StackAPI(stack, api.submit, api.chunks, api.status, api.id_key, frozenset(api.terminal))


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
