"""The contract of the seeds' chat API, against every stack that serves it, on both runtimes."""

from __future__ import annotations

import httpx
import pytest

from stacks.llm import expected_text

from chat_api import read_all, submit
from conftest import FAST_LLM

CHAT_STACKS = ["mvp", "redis"]


@pytest.fixture(params=CHAT_STACKS)
def chat_stack(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("provider,model", [("openai", "gpt-4o"), ("anthropic", "claude-3.5-sonnet")])
def test_a_task_streams_to_completion_with_the_exact_answer(deploy, chat_stack, provider, model):
    stack = deploy(chat_stack)
    base = stack.url("backend")
    prompt = f"Explain crash recovery ({provider})"
    accepted = submit(base, prompt, provider, model)
    assert accepted["status"] == "running" and accepted["task_id"]
    chunks, statuses = read_all(base, accepted["task_id"])
    assert statuses[-1] == "completed" and set(statuses) <= {"running", "completed"}
    assert [c["chunk_id"] for c in chunks] == list(range(len(chunks)))
    assert "".join(c["text"] for c in chunks) == expected_text(prompt, model, output_tokens=int(FAST_LLM["LLM_OUTPUT_TOKENS"]))
    status = httpx.get(f"{base}/api/chat/status/{accepted['task_id']}").json()
    assert (status["status"], status["total_chunks"], status["chunks_count"]) == ("completed", len(chunks), len(chunks))
    ledger = httpx.get(stack.url("llm") + "/admin/ledger", params={"task": accepted["task_id"]}).json()["rows"]
    assert [(r["stack"], r["outcome"]) for r in ledger] == [(chat_stack, "completed")]


def test_reading_from_an_offset_returns_only_later_chunks(deploy, chat_stack):
    base = deploy(chat_stack).url("backend")
    task = submit(base, "offsets")["task_id"]
    read_all(base, task)
    page = httpx.get(f"{base}/api/chat/chunks/{task}", params={"from_id": 30}).json()
    assert [c["chunk_id"] for c in page["chunks"]] == list(range(30, 40))


def test_unknown_tasks_and_bad_bodies_are_refused(deploy, chat_stack):
    base = deploy(chat_stack).url("backend")
    assert httpx.get(f"{base}/api/chat/status/no-such-task").status_code == 404
    assert httpx.get(f"{base}/api/chat/chunks/no-such-task").status_code == 404
    for body in ({}, {"prompt": ""}, {"prompt": "x", "provider": "mistral"}, {"prompt": "x", "temperature": 5}, {"prompt": "x", "max_tokens": 0}):
        assert httpx.post(f"{base}/api/chat/generate", json=body).status_code == 422, body
    assert httpx.get(f"{base}/api/chat/chunks/x", params={"from_id": -1}).status_code == 422
    assert httpx.get(f"{base}/").json()["service"] == f"chatbot-{chat_stack}"
    assert httpx.get(f"{base}/health").json()["status"] == "healthy"
