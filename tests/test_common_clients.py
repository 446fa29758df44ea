"""The stacks' provider clients (stacks/common) against the running fake provider."""

from __future__ import annotations

import pytest

from stacks.common import LLMClients, ProviderSettings
from stacks.common import llm_clients
from stacks.llm import expected_text

from conftest import OUTPUT_TOKENS


def test_settings_default_to_the_fake_provider():
    settings = ProviderSettings.from_env({})
    assert settings.openai_base_url == "http://127.0.0.1:8100/v1"
    assert settings.anthropic_base_url == "http://127.0.0.1:8100"
    assert (settings.timeout_s, settings.max_retries, settings.stack) == (600.0, 2, "unknown")


def test_a_fake_provider_url_wins_over_real_keys():
    settings = ProviderSettings.from_env({"LLMCHAOS_LLM_URL": "http://127.0.0.1:9999/", "OPENAI_API_KEY": "sk-real"})
    assert settings.openai_base_url == "http://127.0.0.1:9999/v1" and settings.openai_api_key == "llmchaos-fake-key"


def test_real_keys_without_a_fake_url_go_to_the_real_apis():
    settings = ProviderSettings.from_env({"OPENAI_API_KEY": "sk-real", "ANTHROPIC_API_KEY": "ak-real", "LLMCHAOS_STACK": "redis", "LLM_MAX_RETRIES": "0"})
    assert settings.openai_base_url is None and settings.anthropic_base_url is None
    assert (settings.openai_api_key, settings.anthropic_api_key, settings.stack, settings.max_retries) == ("sk-real", "ak-real", "redis", 0)


@pytest.fixture
async def clients(provider):
    clients = LLMClients(ProviderSettings.from_env({"LLMCHAOS_LLM_URL": provider.url, "LLMCHAOS_STACK": "mvp"}))
    yield clients
    await clients.aclose()


@pytest.mark.parametrize("flavour,model", [("openai", "gpt-4o"), ("anthropic", "claude-3.5-sonnet")])
async def test_streams_and_whole_answers_carry_the_caller_to_the_ledger(provider, clients, task_id, flavour, model):
    streamed = "".join([t async for t in clients.stream(flavour, "seed prompt", model, task_id=task_id)])
    whole = await clients.generate_full_text(flavour, "seed prompt", model, task_id=task_id)
    assert streamed == whole == expected_text("seed prompt", model, output_tokens=OUTPUT_TOKENS)
    rows = provider.wait_ledger(task_id, count=2)
    assert [(r["stack"], r["task_id"], r["stream"], r["outcome"]) for r in rows] == [
        ("mvp", task_id, True, "completed"),
        ("mvp", task_id, False, "completed"),
    ]


async def test_the_seed_function_names_use_the_environment(provider, task_id, monkeypatch):
    monkeypatch.setenv("LLMCHAOS_LLM_URL", provider.url)
    monkeypatch.setenv("LLMCHAOS_STACK", "temporal")
    text = "".join([t async for t in llm_clients.stream_openai("env prompt", max_tokens=5, task_id=task_id)])
    text2 = "".join([t async for t in llm_clients.stream_anthropic("env prompt", max_tokens=5, task_id=task_id)])
    full = await llm_clients.generate_full_text("openai", "env prompt", "gpt-4o", max_tokens=5, task_id=task_id)
    assert text == full == expected_text("env prompt", "gpt-4o", max_tokens=5)
    assert text2 == expected_text("env prompt", "claude-3.5-sonnet", max_tokens=5)
    assert {r["stack"] for r in provider.wait_ledger(task_id, count=3)} == {"temporal"}
    await llm_clients.default_clients().aclose()


async def test_a_consumer_that_stops_early_aborts_the_call(provider, clients, task_id):
    provider.configure(ttft_ms=0, itl_ms=300)
    stream = clients.stream_openai("stop early", task_id=task_id)
    async for _ in stream:
        break
    await stream.aclose()
    [row] = provider.wait_ledger(task_id)
    assert (row["outcome"], row["completion_tokens"]) == ("client_aborted", 1)


async def test_an_unknown_provider_is_refused(clients):
    with pytest.raises(ValueError, match="unknown provider"):
        clients.stream("mistral", "x", "m")
    with pytest.raises(ValueError, match="unknown provider"):
        await clients.generate_full_text("mistral", "x", "m")
