"""Injected faults, client aborts and in-flight progress, observed through the SDKs."""

from __future__ import annotations

import asyncio
import time

import anthropic
import httpx2  # the transport both SDKs use
import openai
import pytest

from stacks.llm import expected_text

from conftest import OUTPUT_TOKENS, wait_until
from sdk_calls import MODELS, complete_text, read_tokens, stream_text

FLAVOURS = ["openai", "anthropic"]
# What each SDK raises when the connection drops or stalls mid-body. The openai SDK wraps
# transport errors (APIConnectionError, APITimeoutError); the anthropic SDK let the
# transport's own exception through once the stream had started, up to 2.16, and wraps a
# dropped body as APIConnectionError since 2.17 (pyproject allows both). Stacks must
# catch all of them.
DROPPED = {"openai": openai.APIConnectionError, "anthropic": (anthropic.APIConnectionError, httpx2.RemoteProtocolError)}
TIMED_OUT = {"openai": openai.APITimeoutError, "anthropic": (anthropic.APITimeoutError, httpx2.ReadTimeout)}


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_dropped_stream_raises_in_the_sdk_after_exactly_k_tokens(provider, task_id, flavour):
    provider.configure(faults=[{"action": "cut", "after_tokens": 5}])
    with pytest.raises(DROPPED[flavour]):
        await read_tokens(provider, flavour, "cut me", task_id, count=OUTPUT_TOKENS)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["completion_tokens"]) == ("fault", "cut", 5)
    assert row["cost_usd"] > 0, "the tokens sent before the cut are billed"


@pytest.mark.parametrize("flavour,error_class", [("openai", openai.APIError), ("anthropic", anthropic.APIStatusError)])
async def test_a_mid_stream_error_event_raises_the_sdk_error(provider, task_id, flavour, error_class):
    provider.configure(faults=[{"action": "cut", "after_tokens": 4, "mode": "error"}])
    with pytest.raises(error_class):
        await stream_text(provider, flavour, "fail mid-stream", task_id)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["completion_tokens"]) == ("fault", "error_event", 4)


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_cut_non_streaming_call_raises(provider, task_id, flavour):
    provider.configure(faults=[{"action": "cut", "after_tokens": 3}])
    with pytest.raises((openai.APIConnectionError, anthropic.APIConnectionError, anthropic.APIResponseValidationError)):
        await complete_text(provider, flavour, "cut the whole answer", task_id)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["completion_tokens"]) == ("fault", "cut", 3)


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_client_that_aborts_is_billed_exactly_the_tokens_sent(provider, task_id, flavour):
    # Slow tokens: the client's close reaches the server long before the 4th token is due.
    provider.configure(ttft_ms=0, itl_ms=400)
    got = await read_tokens(provider, flavour, "abort me", task_id, count=3)
    assert "".join(got) == expected_text("abort me", MODELS[flavour], output_tokens=OUTPUT_TOKENS, max_tokens=3)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["completion_tokens"], row["planned_tokens"]) == ("client_aborted", 3, OUTPUT_TOKENS)
    assert row["end"] - row["start"] < 3.0, "the disconnect should end the call at once, not at its planned end"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("after", [0, 2])
async def test_a_hang_leaves_the_client_to_time_out(provider, task_id, flavour, after):
    provider.configure(faults=[{"action": "hang", "after_tokens": after}])
    with pytest.raises(TIMED_OUT[flavour]):
        await stream_text(provider, flavour, "hang", task_id, timeout=1.0)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["completion_tokens"]) == ("fault", "hang", after)


async def test_a_bounded_hang_before_any_byte_ends_in_a_500(provider, task_id):
    provider.configure(faults=[{"action": "hang", "seconds": 0.3}])
    with pytest.raises(openai.InternalServerError):
        await complete_text(provider, "openai", "hang a little", task_id)
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"], row["status"]) == ("fault", "hang", 500)


@pytest.mark.parametrize("flavour", FLAVOURS)
async def test_a_non_streaming_call_takes_as_long_as_streaming_and_shows_progress(provider, task_id, flavour):
    ttft_ms, itl_ms, tokens = 100, 25, 40
    provider.configure(ttft_ms=ttft_ms, itl_ms=itl_ms, output_tokens=tokens)
    planned_s = (ttft_ms + (tokens - 1) * itl_ms) / 1000
    started = time.monotonic()
    call = asyncio.create_task(complete_text(provider, flavour, "take your time", task_id))

    def mine():
        return [c for c in provider.inflight() if c["task_id"] == task_id]

    seen = await asyncio.to_thread(wait_until, lambda: (c := mine()) and 0 < c[0]["tokens_sent"] < tokens and c, 20, 0.01, "progress")
    assert seen[0]["planned_tokens"] == tokens and seen[0]["stream"] is False
    assert 0 < seen[0]["progress"] < 1
    text, usage = await call
    elapsed = time.monotonic() - started
    assert elapsed >= planned_s - 0.005
    assert usage[1] == tokens
    assert not mine()


async def test_a_stream_shows_its_progress_in_flight(provider, task_id):
    provider.configure(ttft_ms=0, itl_ms=40, output_tokens=50)
    stream = await provider.openai().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True, extra_headers={"X-LLMChaos-Task": task_id}
    )
    received = 0
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += 1
            if received == 10:
                break
    [call] = [c for c in provider.inflight() if c["task_id"] == task_id]
    assert call["planned_tokens"] == 50 and 10 <= call["tokens_sent"] < 50
    assert call["progress"] == pytest.approx(call["tokens_sent"] / 50)
    await stream.close()


async def test_a_scheduled_fault_hits_exactly_the_listed_calls(provider, task_id):
    provider.configure(faults=[{"action": "error", "status": 500, "calls": [1, 3]}])
    outcomes = []
    for _ in range(5):
        try:
            await complete_text(provider, "openai", "scheduled", task_id)
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("500")
    assert outcomes == ["ok", "500", "ok", "500", "ok"]
    assert provider.admin("GET", "/admin/config").json()["faults_fired"] == [2]


async def test_probabilistic_faults_repeat_with_the_seed(provider, task_id):
    async def pattern() -> list[bool]:
        hits = []
        for _ in range(24):
            try:
                await complete_text(provider, "anthropic", "coin", task_id)
                hits.append(False)
            except anthropic.RateLimitError:
                hits.append(True)
        return hits

    rule = {"action": "error", "status": 429, "probability": 0.5}
    provider.configure(ttft_ms=0, itl_ms=0, seed=7, faults=[rule])
    first = await pattern()
    provider.configure(seed=7, faults=[rule])  # re-installing the rule restarts its generator
    assert await pattern() == first
    assert 0 < sum(first) < 24
    provider.configure(seed=8, faults=[rule])
    assert await pattern() != first


async def test_a_fault_rule_can_target_one_flavour_and_stop_after_max_fires(provider, task_id):
    provider.configure(faults=[{"action": "error", "status": 529, "flavour": "anthropic", "max_fires": 1}])
    await complete_text(provider, "openai", "not me", task_id)
    with pytest.raises(anthropic.OverloadedError):
        await complete_text(provider, "anthropic", "me", task_id)
    await complete_text(provider, "anthropic", "not me any more", task_id)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("streamed", [True, False], ids=["stream", "whole"])
async def test_cutting_the_calls_in_flight_stops_them_where_they_are(provider, task_id, flavour, streamed):
    provider.configure(ttft_ms=0, itl_ms=50, output_tokens=60)
    call = asyncio.create_task((stream_text if streamed else complete_text)(provider, flavour, "outage", task_id))
    await asyncio.to_thread(
        wait_until, lambda: any(c["task_id"] == task_id and c["tokens_sent"] >= 5 for c in provider.inflight()), 20, 0.01, "progress"
    )
    cut = provider.admin("POST", "/admin/cut-inflight", json={"mode": "drop", "stack": "tests"}).json()["cut"]
    assert len(cut) == 1
    with pytest.raises(Exception):
        await call
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["fault"]) == ("fault", "cut") and 5 <= row["completion_tokens"] < 60
    assert provider.admin("POST", "/admin/cut-inflight", json={"mode": "sideways"}).status_code == 400
