"""One way to call either flavour through its official SDK, so tests run on both.

Each helper returns the answer text and the usage as the SDK reports it, as
(prompt tokens, completion tokens).
"""

from __future__ import annotations

from typing import Any

MODELS = {"openai": "gpt-4o", "anthropic": "claude-3.5-sonnet"}
ANTHROPIC_MAX_TOKENS = 1024


def _headers(task: str, stack: str = "tests") -> dict[str, str]:
    return {"X-LLMChaos-Stack": stack, "X-LLMChaos-Task": task}


async def stream_text(provider, flavour: str, prompt: str, task: str, max_tokens: int | None = None, **client: Any) -> tuple[str, tuple[int, int] | None]:
    if flavour == "openai":
        kwargs = {} if max_tokens is None else {"max_tokens": max_tokens}
        stream = await provider.openai(**client).chat.completions.create(
            model=MODELS[flavour],
            messages=[{"role": "user", "content": prompt}],
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=_headers(task),
            **kwargs,
        )
        text, usage = "", None
        async for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage is not None:
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        return text, usage
    async with provider.anthropic(**client).messages.stream(
        model=MODELS[flavour],
        max_tokens=max_tokens or ANTHROPIC_MAX_TOKENS,
        messages=[{"role": "user", "content": prompt}],
        extra_headers=_headers(task),
    ) as stream:
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    return text, (final.usage.input_tokens, final.usage.output_tokens)


async def complete_text(provider, flavour: str, prompt: str, task: str, max_tokens: int | None = None, **client: Any) -> tuple[str, tuple[int, int]]:
    if flavour == "openai":
        kwargs = {} if max_tokens is None else {"max_tokens": max_tokens}
        response = await provider.openai(**client).chat.completions.create(
            model=MODELS[flavour], messages=[{"role": "user", "content": prompt}], extra_headers=_headers(task), **kwargs
        )
        return response.choices[0].message.content, (response.usage.prompt_tokens, response.usage.completion_tokens)
    message = await provider.anthropic(**client).messages.create(
        model=MODELS[flavour],
        max_tokens=max_tokens or ANTHROPIC_MAX_TOKENS,
        messages=[{"role": "user", "content": prompt}],
        extra_headers=_headers(task),
    )
    return message.content[0].text, (message.usage.input_tokens, message.usage.output_tokens)


async def read_tokens(provider, flavour: str, prompt: str, task: str, count: int, **client: Any) -> list[str]:
    """Open a stream, read ``count`` content deltas, then close the connection."""
    got: list[str] = []
    if flavour == "openai":
        stream = await provider.openai(**client).chat.completions.create(
            model=MODELS[flavour], messages=[{"role": "user", "content": prompt}], stream=True, extra_headers=_headers(task)
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
                if len(got) == count:
                    break
        await stream.close()
        return got
    async with provider.anthropic(**client).messages.stream(
        model=MODELS[flavour], max_tokens=ANTHROPIC_MAX_TOKENS, messages=[{"role": "user", "content": prompt}], extra_headers=_headers(task)
    ) as stream:
        async for text in stream.text_stream:
            got.append(text)
            if len(got) == count:
                break
    return got
