"""The stacks' provider clients (stacks/common) against the running fake provider."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from stacks.common import llm_clients
from stacks.common.llm_clients import LLMClients, ProviderSettings
from stacks.llm import expected_text

from conftest import OUTPUT_TOKENS

ROOT = Path(__file__).resolve().parents[1]


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


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_only_a_refusal_that_no_retry_can_change_is_final(sdk):
    module = importlib.import_module(sdk)
    request = httpx.Request("POST", "http://127.0.0.1:8100/v1/chat/completions")

    def error(status: int) -> Exception:
        return module.APIStatusError(f"HTTP {status}", response=httpx.Response(status, request=request), body=None)

    assert [llm_clients.refused_status(error(s)) for s in (400, 401, 404, 422)] == [400, 401, 404, 422]
    assert [llm_clients.refused_status(error(s)) for s in (408, 409, 429, 500, 503)] == [None] * 5
    assert llm_clients.refused_status(module.APIConnectionError(request=request)) is None
    assert llm_clients.refused_status(ValueError("not a provider's")) is None


@pytest.mark.parametrize(
    "module", ["stacks.common.frontend_server", "stacks.temporal.backend", "stacks.temporal_streams.backend", "stacks.dbos.backend"]
)
def test_a_service_that_never_calls_a_provider_does_not_import_the_sdks(module):
    """Their import costs seconds of CPU at every start and restart (deploy and recovery
    times); a service that only serves pages or enqueues work must not pay it."""
    code = f"import sys, {module}; print(sorted({{'openai', 'anthropic'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
