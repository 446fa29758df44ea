"""The API contract every stack keeps, each in its API shape (its stack.yaml), on both runtimes.

Every folder of stacks/ is tested: a new stack is held to the same contract by existing.
"""

from __future__ import annotations

import httpx
import pytest

from stacks.common.chat_api import split_into_chunks
from stacks.llm import expected_text

from stacks.spec import known_stacks

from conftest import FAST_LLM, deployed
from stack_api import client_for, ledger, read_all

STACKS = known_stacks()
# what a task's status may be on its way to "completed", on any stack (the seeds' words)
STATUSES = {"started", "running", "validating", "generating", "saving", "completed"}


@pytest.fixture(scope="module", params=STACKS)
def stack_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def stack(stack_name: str, module_runtime_kind: str):
    """One deployment per stack and runtime for the whole module: these tests only ask and read."""
    with deployed(stack_name, module_runtime_kind) as runtime:
        yield runtime


def chunked_as_a_stack_may(chunks: list[dict], text: str) -> bool:
    """A chunk per provider delta (token: the MVP and Redis stacks), or 50 characters each
    (the seeds' Temporal, and the stacks that log chunks)."""
    texts = [c["text"] for c in chunks]
    return len(texts) == int(FAST_LLM["LLM_OUTPUT_TOKENS"]) or texts == split_into_chunks(text)


@pytest.mark.parametrize("provider,model", [("openai", "gpt-4o"), ("anthropic", "claude-3.5-sonnet")])
def test_a_task_streams_to_completion_with_the_exact_answer(stack, stack_name, provider, model):
    client = client_for(stack)
    prompt = f"Explain crash recovery ({provider})"
    task_id, accepted = client.submit(prompt, provider, model)
    assert task_id and accepted["status"] in STATUSES
    chunks, statuses = read_all(stack, task_id)
    text = expected_text(prompt, model, output_tokens=int(FAST_LLM["LLM_OUTPUT_TOKENS"]))
    assert statuses[-1] == "completed" and set(statuses) <= STATUSES
    assert [c["chunk_id"] for c in chunks] == list(range(len(chunks))) and chunked_as_a_stack_may(chunks, text)
    assert "".join(c["text"] for c in chunks) == text
    status = client.status(task_id)
    assert (status["status"], status["total_chunks"], status["chunks_count"]) == ("completed", len(chunks), len(chunks))
    assert [(r["stack"], r["outcome"]) for r in ledger(stack, task_id)] == [(stack_name, "completed")]


def test_reading_from_an_offset_returns_only_later_chunks(stack):
    client = client_for(stack)
    task_id, _ = client.submit("offsets")
    chunks, _ = read_all(stack, task_id)
    half = len(chunks) // 2
    assert client.page(task_id, from_id=half).chunks == chunks[half:]


def test_unknown_tasks_and_bad_bodies_are_refused(stack, stack_name):
    api = client_for(stack).api
    base = stack.url("backend")
    assert httpx.get(base + api.status_path("no-such-task"), timeout=30).status_code == 404
    assert httpx.get(base + api.chunks_path("no-such-task"), timeout=30).status_code == 404
    for body in ({}, {"prompt": ""}, {"prompt": "x", "provider": "mistral"}, {"prompt": "x", "temperature": 5}, {"prompt": "x", "max_tokens": 0}):
        assert httpx.post(base + api.submit_path(), json=body).status_code == 422, body
    assert httpx.get(base + api.chunks_path("x"), params={"from_id": -1}).status_code == 422
    assert httpx.get(f"{base}/").json()["service"] == f"chatbot-{stack_name.replace('_', '-')}"
    assert httpx.get(f"{base}/health").json()["status"] == "healthy"
