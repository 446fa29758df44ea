"""What both wire flavours share: the parsed request, wire errors, and the interface.

Why an interface: the timing, fault and billing logic (``generation.py``) is the same for
OpenAI and Anthropic; only the bytes differ. Each flavour module turns a request body into
a ``ChatRequest`` and renders events, errors and final responses in its own dialect.
"""

from __future__ import annotations

import json
import reprlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol


@dataclass(frozen=True)
class ChatRequest:
    """A chat request reduced to what decides the answer and the bill."""

    model: str
    prompt: str  # the last user message: the text the answer is derived from
    prompt_tokens: int  # every message and the system prompt, counted by ``count_tokens``
    max_tokens: int | None
    stream: bool
    include_usage: bool = False
    seed: int | None = None


@dataclass
class WireError(Exception):
    """An HTTP error answer in a flavour's own JSON envelope."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "invalid_request"

    def __str__(self) -> str:
        return f"HTTP {self.status}: {json.dumps(self.body)}"


class Flavour(Protocol):
    """A wire dialect: ``wire_openai`` and ``wire_anthropic`` are modules that satisfy it.

    ``stream_head`` returns the events sent before the first token and a per-stream state
    passed back to ``stream_token`` and ``stream_tail`` (pre-rendered event prefixes).
    ``failure_status`` is the status a non-streaming call gets for an ``error``-mode cut.
    """

    name: str
    failure_status: int

    def parse(self, body: Any) -> ChatRequest: ...

    def error(self, status: int, message: str | None = None, *, model: str = "", retry_after_s: float = 1.0) -> WireError: ...

    def response_id(self, call_id: str) -> str: ...

    def stream_head(self, req: ChatRequest, response_id: str) -> tuple[bytes, Any]: ...

    def stream_token(self, state: Any, token: str) -> bytes: ...

    def stream_tail(self, state: Any, req: ChatRequest, completion_tokens: int, truncated: bool) -> bytes: ...

    def stream_error(self) -> bytes: ...

    def full_response(self, req: ChatRequest, response_id: str, text: str, completion_tokens: int, truncated: bool) -> dict[str, Any]: ...


def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()  # keyword arguments only from Python 3.12
    short.maxlevel, short.maxstring, short.maxother = 3, 60, 60
    return short


brief = _short_repr().repr  # a refused value quoted in a message: bounded, even for a deep or huge one


def unicode_problem(value: Any) -> str | None:
    """Where ``value`` (a parsed JSON body) holds a string UTF-8 cannot encode, or None.

    Why: JSON lets a client escape a lone UTF-16 surrogate (``"\\ud800"``) and Python's
    ``json`` decodes it into a string no UTF-8 answer, log line or ledger row can hold.
    Refused at the door with a 400, it never reaches an error message or the ledger.
    Iterative, not recursive: a body nested nearly as deep as ``json`` parses must not
    hit the recursion limit here.
    """
    pending: list[tuple[Any, str]] = [(value, "body")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"{where[:200]}: the string holds an unpaired UTF-16 surrogate ({item[exc.start]!a}) at index {exc.start}, which is no Unicode text"
        elif isinstance(item, dict):
            pending.extend((v, f"{where}.{k}") for k, v in reversed(item.items()))
            pending.extend((k, f"{where} (a key)") for k in item)
        elif isinstance(item, list):
            pending.extend((v, f"{where}[{i}]") for i, v in reversed(list(enumerate(item))))
    return None


def require_int(body: dict[str, Any], name: str, *, minimum: int, required: bool, bad) -> int | None:
    """Validate an optional integer field; ``bad(message, param)`` builds the 400 error.

    A number with no fractional part (``97.0``) is an integer, as JSON Schema counts.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise bad(f"{name}: Field required", name)
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad(f"{name}: must be an integer >= {minimum}, got {brief(value)}", name)
    return value


def require_bool(body: dict[str, Any], name: str, bad) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad(f"{name}: must be a boolean, got {brief(value)}", name)
    return value


def content_text(content: Any) -> str | None:
    """The text of a message's content: a string, or a list of text parts/blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict):
                return None
            if part.get("type") == "text":
                if not isinstance(part.get("text"), str):
                    return None
                parts.append(part["text"])
        return "".join(parts)
    return None


@lru_cache(maxsize=8192)
def json_str(text: str) -> bytes:
    """A JSON string literal, cached: answers reuse a small vocabulary of tokens."""
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


def compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
