"""OpenAI chat completions on the wire: ``POST /v1/chat/completions``, streamed or not.

Shapes follow what the official ``openai`` SDK parses: data-only SSE events of
``chat.completion.chunk`` objects, the role in the first delta, ``finish_reason`` in the
last, with ``stream_options.include_usage`` one more chunk with empty ``choices`` and the
usage, then ``data: [DONE]``. Errors use ``{"error": {message, type, param, code}}``.
"""

from __future__ import annotations

import time
from typing import Any

from .text import count_tokens
from .wire import ChatRequest, WireError, compact, content_text, json_str, require_bool, require_int, unicode_problem

name = "openai"
failure_status = 500

_FINGERPRINT = "fp_llmchaos"


def _error(status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None, headers: dict[str, str] | None = None) -> WireError:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return WireError(status, body, headers or {}, kind="invalid_request" if status < 429 else "fault")


def _bad(message: str, param: str | None = None) -> WireError:
    return _error(400, message, "invalid_request_error", param=param)


def parse(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise _bad("We could not parse the JSON body of your request: expected a JSON object.")
    problem = unicode_problem(body)
    if problem:
        raise _bad(f"{problem}: send valid UTF-8 text.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty array of message objects", "messages")
    prompt: str | None = None
    tokens = 0
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise _bad(f"messages[{i}]: expected an object with a 'role'", f"messages.[{i}]")
        text = content_text(message.get("content"))
        if text is None:
            raise _bad(f"messages[{i}].content: expected a string or an array of text parts", f"messages.[{i}].content")
        tokens += count_tokens(text)
        if message["role"] == "user" or prompt is None:
            prompt = text
    max_tokens = require_int(body, "max_completion_tokens", minimum=1, required=False, bad=_bad)
    if max_tokens is None:
        max_tokens = require_int(body, "max_tokens", minimum=1, required=False, bad=_bad)
    stream = require_bool(body, "stream", _bad)
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _bad("stream_options: expected an object", "stream_options")
    if options and not stream:
        raise _bad("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options")
    seed = require_int(body, "seed", minimum=-(2**63), required=False, bad=_bad)
    return ChatRequest(
        model=model,
        prompt=prompt or "",
        prompt_tokens=tokens,
        max_tokens=max_tokens,
        stream=stream,
        include_usage=bool(options.get("include_usage")),
        seed=seed,
    )


def error(status: int, message: str | None = None, *, model: str = "", retry_after_s: float = 1.0) -> WireError:
    if status == 400:
        return _bad(message or "Invalid request")
    if status == 404:
        return _error(404, message or f"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", code="model_not_found")
    if status == 429:
        message = message or f"Rate limit reached for {model} (injected by llmchaos). Please try again in {retry_after_s:g}s."
        return _error(429, message, "requests", code="rate_limit_exceeded", headers={"retry-after": f"{retry_after_s:g}", "x-ratelimit-remaining-requests": "0"})
    if status in (503, 529):  # OpenAI has no 529: it answers 503 when overloaded
        return _error(503, message or "The server is overloaded or not ready yet.", "server_error")
    return _error(500, message or "The server had an error while processing your request. Sorry about that!", "server_error")


def response_id(call_id: str) -> str:
    return "chatcmpl-llmchaos-" + call_id.removeprefix("call-")


class _Chunks:
    """Pre-rendered pieces of one stream's chunks; only the token text varies per event."""

    def __init__(self, req: ChatRequest, rid: str) -> None:
        usage = ',"usage":null' if req.include_usage else ""
        self.head = (
            f'{{"id":"{rid}","object":"chat.completion.chunk","created":{int(time.time())},'
            f'"model":{json_str(req.model).decode()},"system_fingerprint":"{_FINGERPRINT}","choices":'
        ).encode()
        self.usage = usage.encode()


def stream_head(req: ChatRequest, rid: str) -> tuple[bytes, _Chunks]:
    chunks = _Chunks(req, rid)
    first = (
        b"data: " + chunks.head
        + b'[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]'
        + chunks.usage + b"}\n\n"
    )
    return first, chunks


def stream_token(chunks: _Chunks, token: str) -> bytes:
    return (
        b"data: " + chunks.head + b'[{"index":0,"delta":{"content":' + json_str(token)
        + b'},"logprobs":null,"finish_reason":null}]' + chunks.usage + b"}\n\n"
    )


def stream_tail(chunks: _Chunks, req: ChatRequest, completion_tokens: int, truncated: bool) -> bytes:
    finish = b'"length"' if truncated else b'"stop"'
    out = (
        b"data: " + chunks.head + b'[{"index":0,"delta":{},"logprobs":null,"finish_reason":' + finish + b"}]"
        + chunks.usage + b"}\n\n"
    )
    if req.include_usage:
        usage = compact(_usage(req, completion_tokens))
        out += b"data: " + chunks.head + b'[],"usage":' + usage + b"}\n\n"
    return out + b"data: [DONE]\n\n"


def stream_error() -> bytes:
    body = error(500, "The server had an error while streaming your response (injected by llmchaos).").body
    return b"data: " + compact(body) + b"\n\n"


def _usage(req: ChatRequest, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": req.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": req.prompt_tokens + completion_tokens,
    }


def full_response(req: ChatRequest, rid: str, text: str, completion_tokens: int, truncated: bool) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": req.model,
        "system_fingerprint": _FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "length" if truncated else "stop",
            }
        ],
        "usage": _usage(req, completion_tokens),
    }
