"""The fake provider on the wire, seen through the official OpenAI and Anthropic SDKs."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from stacks.llm import expected_text, text_sha256
from stacks.llm.text import count_tokens

from conftest import OUTPUT_TOKENS
from sdk_calls import MODELS, complete_text, stream_text

FLAVOURS = ["openai", "anthropic"]


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_the_same_request_always_gets_the_same_text(provider, task_id, flavour):
    prompt = "Explain write-ahead logging"
    first, _ = await stream_text(provider, flavour, prompt, task_id)
    second, _ = await stream_text(provider, flavour, prompt, task_id)
    whole, _ = await complete_text(provider, flavour, prompt, task_id)
    assert first == second == whole == expected_text(prompt, MODELS[flavour], seed=0, output_tokens=OUTPUT_TOKENS)
    other, _ = await stream_text(provider, flavour, "Another prompt", task_id)
    assert other != first


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
async def test_sdk_usage_equals_the_ledger_row(provider, task_id, flavour, streamed):
    prompt = "Count my tokens, please: one, two, three."
    call = stream_text if streamed else complete_text
    text, usage = await call(provider, flavour, prompt, task_id)
    [row] = provider.wait_ledger(task_id)
    assert usage == (row["prompt_tokens"], row["completion_tokens"])
    assert row["prompt_tokens"] == count_tokens(prompt)
    assert row["completion_tokens"] == row["planned_tokens"] == OUTPUT_TOKENS
    assert row["outcome"] == "completed" and row["status"] == 200 and row["fault"] is None
    assert row["text_sha256"] == text_sha256(text)
    assert (row["stack"], row["task_id"], row["flavour"], row["model"], row["stream"]) == ("tests", task_id, flavour, MODELS[flavour], streamed)
    assert row["start"] <= row["first_token"] <= row["end"]
    assert row["cost_usd"] > 0


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_max_tokens_caps_the_answer_and_says_so(provider, task_id, flavour):
    prompt = "Tell me everything"
    text, usage = await stream_text(provider, flavour, prompt, task_id, max_tokens=7)
    assert usage[1] == 7
    assert text == expected_text(prompt, MODELS[flavour], max_tokens=7, output_tokens=OUTPUT_TOKENS)
    assert expected_text(prompt, MODELS[flavour], output_tokens=OUTPUT_TOKENS).startswith(text)
    if flavour == "openai":
        response = await provider.openai().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": prompt}], max_tokens=7
        )
        assert response.choices[0].finish_reason == "length"
    else:
        message = await provider.anthropic().messages.create(
            model=MODELS[flavour], max_tokens=7, messages=[{"role": "user", "content": prompt}]
        )
        assert message.stop_reason == "max_tokens"


@pytest.mark.parametrize(
    "flavour,status,error_class,seen_status",
    [
        ("openai", 429, openai.RateLimitError, 429),
        ("openai", 500, openai.InternalServerError, 500),
        ("openai", 529, openai.InternalServerError, 503),  # OpenAI has no 529: overloaded is 503
        ("anthropic", 429, anthropic.RateLimitError, 429),
        ("anthropic", 500, anthropic.InternalServerError, 500),
        ("anthropic", 529, anthropic.OverloadedError, 529),
    ],
)
@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
async def test_injected_http_errors_raise_the_sdk_exception(provider, task_id, flavour, status, error_class, seen_status, streamed):
    provider.configure(faults=[{"action": "error", "status": status}], retry_after_s=2)
    call = stream_text if streamed else complete_text
    with pytest.raises(error_class) as caught:
        await call(provider, flavour, "hello", task_id)
    assert caught.value.status_code == seen_status
    if status == 429:
        assert caught.value.response.headers["retry-after"] == "2"
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["status"], row["completion_tokens"]) == ("fault", f"http_{status}", seen_status, 0)
    assert row["cost_usd"] == 0.0 and row["prompt_tokens"] > 0, "an error before the first token is not billed"


async def test_the_sdk_retries_a_429_and_every_attempt_is_in_the_ledger(provider, task_id):
    provider.configure(faults=[{"action": "error", "status": 429, "calls": [0, 1]}], retry_after_s=0)
    text, _ = await stream_text(provider, "openai", "retry me", task_id, max_retries=2)
    assert text == expected_text("retry me", "gpt-4o", output_tokens=OUTPUT_TOKENS)
    rows = provider.wait_ledger(task_id, count=3)
    assert [r["outcome"] for r in rows] == ["fault", "fault", "completed"]
    assert [r["cost_usd"] > 0 for r in rows] == [False, False, True], "only the answer is billed"


async def test_bad_requests_are_rejected_in_each_flavour_shape(provider, task_id):
    with pytest.raises(openai.NotFoundError) as caught:
        await provider.openai().chat.completions.create(model="gpt-9-imaginary", messages=[{"role": "user", "content": "x"}])
    assert caught.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        await provider.openai().chat.completions.create(model="gpt-4o", messages=[])
    with pytest.raises(anthropic.NotFoundError) as not_found:
        await provider.anthropic().messages.create(model="gpt-4o", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert not_found.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as bad:
        await provider.anthropic().messages.create(model="claude-3.5-sonnet", max_tokens=0, messages=[{"role": "user", "content": "x"}])
    assert bad.value.body["error"]["type"] == "invalid_request_error"

    async with httpx.AsyncClient(base_url=provider.url, headers={"X-LLMChaos-Task": task_id}) as raw:
        response = await raw.post("/v1/chat/completions", content=b"{not json")
        assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
        response = await raw.post("/v1/messages", json={"model": "claude-3.5-sonnet", "messages": [{"role": "user", "content": "x"}]})
        assert response.status_code == 400 and "max_tokens" in response.json()["error"]["message"]
    rows = provider.wait_ledger(task_id, count=2)
    assert {(r["outcome"], r["status"]) for r in rows} == {("rejected", 400)}


async def test_models_are_listed(provider):
    async with provider.openai() as client:
        names = [m.id async for m in client.models.list()]
    assert {"gpt-4o", "gpt-4", "claude-3.5-sonnet"} <= set(names)
