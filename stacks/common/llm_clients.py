"""Calling the LLM providers the way every stack does: through the official SDKs.

``stream_openai`` and ``stream_anthropic`` keep the seeds' names; ``generate_full_text``
is the one non-streaming call (the seeds' Temporal activity). Each call carries the
stack's name and the task id as ``X-LLMChaos-Stack`` / ``X-LLMChaos-Task`` headers, so the
fake provider's ledger can bill each generation to the task that asked for it.

Where the calls go is decided once, from the environment (see ``ProviderSettings``):
the fake provider by default, the real APIs when real keys are set and no fake provider
URL is given.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import anthropic
import openai

FAKE_PROVIDER_URL = "http://127.0.0.1:8100"
FAKE_KEY = "llmchaos-fake-key"
STACK_HEADER = "X-LLMChaos-Stack"
TASK_HEADER = "X-LLMChaos-Task"
ANTHROPIC_DEFAULT_MAX_TOKENS = 4096  # the Messages API requires max_tokens; the seeds set none
# 4xx answers worth another attempt: a timeout, a conflict, a rate limit. Any other 4xx
# (unknown model 404, bad parameters 400, bad key 401/403) will be refused again.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 429})


def refused_status(exc: BaseException) -> int | None:
    """The HTTP status when ``exc`` is a provider refusing the request itself (a 4xx other
    than 408, 409 and 429), which no retry can change; ``None`` for anything else (an
    outage, a 5xx, a timeout), which a retry may get through."""
    if isinstance(exc, (openai.APIStatusError, anthropic.APIStatusError)):
        if 400 <= exc.status_code < 500 and exc.status_code not in RETRYABLE_CLIENT_ERRORS:
            return exc.status_code
    return None


@dataclass(frozen=True)
class ProviderSettings:
    """Where provider calls go and how patiently they are made.

    From the environment:
    - ``LLMCHAOS_LLM_URL``: the fake provider's root URL. Set: every call goes there.
    - otherwise ``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY`` set: that provider's real API
      (the SDKs' own ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` still apply);
    - otherwise: the fake provider at http://127.0.0.1:8100.
    - ``LLMCHAOS_STACK``: the caller's name in the ledger.
    - ``LLM_TIMEOUT_S`` (default 600, the SDKs' own) and ``LLM_MAX_RETRIES`` (default 2,
      the SDKs' own): they decide how a stack lives through a provider outage.
    """

    stack: str = "unknown"
    openai_base_url: str | None = FAKE_PROVIDER_URL + "/v1"
    anthropic_base_url: str | None = FAKE_PROVIDER_URL
    openai_api_key: str = FAKE_KEY
    anthropic_api_key: str = FAKE_KEY
    timeout_s: float = 600.0
    max_retries: int = 2

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ProviderSettings":
        fake_url = env.get("LLMCHAOS_LLM_URL")
        openai_key = env.get("OPENAI_API_KEY")
        anthropic_key = env.get("ANTHROPIC_API_KEY")
        common = {
            "stack": env.get("LLMCHAOS_STACK", "unknown"),
            "timeout_s": float(env.get("LLM_TIMEOUT_S", "600")),
            "max_retries": int(env.get("LLM_MAX_RETRIES", "2")),
        }
        if fake_url or not (openai_key or anthropic_key):
            root = (fake_url or FAKE_PROVIDER_URL).rstrip("/")
            return cls(openai_base_url=root + "/v1", anthropic_base_url=root, **common)
        return cls(
            openai_base_url=None,
            anthropic_base_url=None,
            openai_api_key=openai_key or FAKE_KEY,
            anthropic_api_key=anthropic_key or FAKE_KEY,
            **common,
        )


class LLMClients:
    """One OpenAI and one Anthropic async client, shared by all calls of a process."""

    def __init__(self, settings: ProviderSettings | None = None) -> None:
        self.settings = settings or ProviderSettings.from_env()
        s = self.settings
        self.openai = openai.AsyncOpenAI(
            api_key=s.openai_api_key, base_url=s.openai_base_url, timeout=s.timeout_s, max_retries=s.max_retries
        )
        self.anthropic = anthropic.AsyncAnthropic(
            api_key=s.anthropic_api_key, base_url=s.anthropic_base_url, timeout=s.timeout_s, max_retries=s.max_retries
        )

    def _headers(self, task_id: str | None) -> dict[str, str]:
        headers = {STACK_HEADER: self.settings.stack}
        if task_id:
            headers[TASK_HEADER] = task_id
        return headers

    async def stream_openai(
        self, prompt: str, model: str = "gpt-4o", temperature: float = 0.7, max_tokens: int | None = None, task_id: str | None = None
    ) -> AsyncIterator[str]:
        """Yield the answer's text deltas as the provider streams them."""
        kwargs = {"max_tokens": max_tokens} if max_tokens is not None else {}
        stream = await self.openai.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            temperature=temperature,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=self._headers(task_id),
            **kwargs,
        )
        try:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        finally:
            await stream.close()

    async def stream_anthropic(
        self,
        prompt: str,
        model: str = "claude-3.5-sonnet",
        temperature: float = 0.7,
        max_tokens: int | None = None,
        task_id: str | None = None,
    ) -> AsyncIterator[str]:
        """Yield the answer's text deltas as the provider streams them.

        ``temperature`` is accepted for the seeds' signature but not sent: the anthropic
        SDK 2.x has no such parameter any more.
        """
        async with self.anthropic.messages.stream(
            model=model,
            max_tokens=max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
            messages=[{"role": "user", "content": prompt}],
            extra_headers=self._headers(task_id),
        ) as stream:
            async for text in stream.text_stream:
                if text:
                    yield text

    def stream(
        self,
        provider: str,
        prompt: str,
        model: str,
        temperature: float = 0.7,
        max_tokens: int | None = None,
        task_id: str | None = None,
    ) -> AsyncIterator[str]:
        """``stream_openai`` or ``stream_anthropic``, by provider name."""
        if provider == "openai":
            return self.stream_openai(prompt, model, temperature, max_tokens, task_id)
        if provider == "anthropic":
            return self.stream_anthropic(prompt, model, temperature, max_tokens, task_id)
        raise ValueError(f"unknown provider {provider!r}: expected 'openai' or 'anthropic'")

    async def generate_full_text(
        self,
        provider: str,
        prompt: str,
        model: str,
        temperature: float = 0.7,
        max_tokens: int | None = None,
        task_id: str | None = None,
    ) -> str:
        """One non-streaming call; returns the whole answer."""
        headers = self._headers(task_id)
        if provider == "openai":
            kwargs = {"max_tokens": max_tokens} if max_tokens is not None else {}
            response = await self.openai.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": prompt}],
                temperature=temperature,
                extra_headers=headers,
                **kwargs,
            )
            return response.choices[0].message.content or ""
        if provider == "anthropic":
            message = await self.anthropic.messages.create(
                model=model,
                max_tokens=max_tokens or ANTHROPIC_DEFAULT_MAX_TOKENS,
                messages=[{"role": "user", "content": prompt}],
                extra_headers=headers,  # no temperature: see stream_anthropic
            )
            return "".join(block.text for block in message.content if block.type == "text")
        raise ValueError(f"unknown provider {provider!r}: expected 'openai' or 'anthropic'")

    async def aclose(self) -> None:
        await self.openai.close()
        await self.anthropic.close()


# One LLMClients per event loop: the SDKs' connection pools belong to the loop that made them.
_per_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LLMClients]" = weakref.WeakKeyDictionary()


def default_clients() -> LLMClients:
    """The process's clients for the running event loop, configured from the environment."""
    loop = asyncio.get_running_loop()
    clients = _per_loop.get(loop)
    if clients is None:
        clients = _per_loop[loop] = LLMClients()
    return clients


def stream_openai(
    prompt: str, model: str = "gpt-4o", temperature: float = 0.7, max_tokens: int | None = None, task_id: str | None = None
) -> AsyncIterator[str]:
    """The seeds' ``stream_openai()``: the answer's text deltas, via the official SDK."""
    return default_clients().stream_openai(prompt, model, temperature, max_tokens, task_id)


def stream_anthropic(
    prompt: str, model: str = "claude-3.5-sonnet", temperature: float = 0.7, max_tokens: int | None = None, task_id: str | None = None
) -> AsyncIterator[str]:
    """The seeds' ``stream_anthropic()``: the answer's text deltas, via the official SDK."""
    return default_clients().stream_anthropic(prompt, model, temperature, max_tokens, task_id)


async def generate_full_text(
    provider: str, prompt: str, model: str, temperature: float = 0.7, max_tokens: int | None = None, task_id: str | None = None
) -> str:
    """One non-streaming call returning the whole answer (the seeds' Temporal activity)."""
    return await default_clients().generate_full_text(provider, prompt, model, temperature, max_tokens, task_id)
