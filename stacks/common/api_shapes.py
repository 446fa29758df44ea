"""The API shapes of the stacks: where to submit, where to read chunks and status, when a
task is over.

Two shapes come from the seeds: the chat API of the MVP and Redis stacks
(``/api/chat/...``, a ``task_id``) and the workflow API of the Temporal stack
(``/api/workflows/...``, a ``workflow_id``); a stack names its shape, or gives its own
paths, in its ``stack.yaml`` (``api``). Here, in ``stacks/``, because both sides of the page
read them: the load generator's users and the tests (``loadtests.adapters``), and the
stacks' Chainlit front ends, which run inside the stack images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def api_for(stack: str) -> StackAPI:
    """The API shape ``stacks/<stack>/stack.yaml`` names, or the one it spells out."""
    from stacks.spec import load_manifest

    api = load_manifest(stack).api
    if isinstance(api, str):
        return SHAPES[api]
    return StackAPI(stack, api.submit, api.chunks, api.status, api.id_key, frozenset(api.terminal))
