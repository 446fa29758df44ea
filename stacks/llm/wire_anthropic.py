"""Anthropic messages on the wire: ``POST /v1/messages``, streamed or not.

Shapes follow what the official ``anthropic`` SDK parses: every SSE event has an
``event:`` line; ``message_start`` (input tokens), ``content_block_start``, a ``ping``,
one ``content_block_delta`` per token, ``content_block_stop``, ``message_delta`` with the
stop reason and the cumulative output tokens, ``message_stop``. Errors use
``{"type": "error", "error": {type, message}}``; 529 is ``overloaded_error``.
"""

from __future__ import annotations

from typing import Any

from .text import count_tokens
from .wire import ChatRequest, WireError, compact, content_text, json_str, require_bool, require_int, unicode_problem

name = "anthropic"
failure_status = 529

_ERROR_TYPES = {
    400: ("invalid_request_error", "Invalid request"),
    404: ("not_found_error", "Not found"),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit (injected by llmchaos)."),
    500: ("api_error", "Internal server error"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}


def _envelope(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _bad(message: str, param: str | None = None) -> WireError:
    return WireError(400, _envelope("invalid_request_error", message))


def parse(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise _bad("Request body must be a JSON object.")
    problem = unicode_problem(body)
    if problem:
        raise _bad(f"{problem}: send valid UTF-8 text.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages: must be a non-empty list")
    max_tokens = require_int(body, "max_tokens", minimum=1, required=True, bad=_bad)
    tokens = 0
    system = body.get("system")
    if system is not None:
        system_text = content_text(system)
        if system_text is None:
            raise _bad("system: expected a string or a list of text blocks")
        tokens += count_tokens(system_text)
    prompt: str | None = None
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise _bad(f"messages.{i}.role: expected 'user' or 'assistant'")
        text = content_text(message.get("content"))
        if text is None:
            raise _bad(f"messages.{i}.content: expected a string or a list of content blocks")
        tokens += count_tokens(text)
        if message["role"] == "user" or prompt is None:
            prompt = text
    return ChatRequest(
        model=model,
        prompt=prompt or "",
        prompt_tokens=tokens,
        max_tokens=max_tokens,
        stream=require_bool(body, "stream", _bad),
    )


def error(status: int, message: str | None = None, *, model: str = "", retry_after_s: float = 1.0) -> WireError:
    kind, default = _ERROR_TYPES.get(status, _ERROR_TYPES[500])
    if status == 404 and message is None:
        default = f"model: {model}"
    headers = {"retry-after": f"{retry_after_s:g}"} if status == 429 else {}
    return WireError(status, _envelope(kind, message or default), headers=headers, kind="invalid_request" if status < 429 else "fault")


def response_id(call_id: str) -> str:
    return "msg_llmchaos_" + call_id.removeprefix("call-")


def _event(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def _stop_reason(truncated: bool) -> str:
    return "max_tokens" if truncated else "end_turn"


def stream_head(req: ChatRequest, rid: str) -> tuple[bytes, None]:
    message = {
        "id": rid,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": req.prompt_tokens, "output_tokens": 1},
    }
    head = (
        _event("message_start", compact({"type": "message_start", "message": message}))
        + _event("content_block_start", b'{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')
        + _event("ping", b'{"type":"ping"}')
    )
    return head, None


_DELTA_HEAD = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":'


def stream_token(state: None, token: str) -> bytes:
    return _DELTA_HEAD + json_str(token) + b"}}\n\n"


def stream_tail(state: None, req: ChatRequest, completion_tokens: int, truncated: bool) -> bytes:
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(truncated), "stop_sequence": None},
        "usage": {"input_tokens": req.prompt_tokens, "output_tokens": completion_tokens},
    }
    return (
        _event("content_block_stop", b'{"type":"content_block_stop","index":0}')
        + _event("message_delta", compact(delta))
        + _event("message_stop", b'{"type":"message_stop"}')
    )


def stream_error() -> bytes:
    return _event("error", compact(_envelope("overloaded_error", "Overloaded")))


def full_response(req: ChatRequest, rid: str, text: str, completion_tokens: int, truncated: bool) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": _stop_reason(truncated),
        "stop_sequence": None,
        "usage": {"input_tokens": req.prompt_tokens, "output_tokens": completion_tokens},
    }
