"""What the seeds' chat backends share: the request body and the 50-character chunking.

Why the body refuses more than its types say: whatever a stack accepts, it must store
(PostgreSQL ``text``, JSON files, Temporal payloads), send to the provider (UTF-8 JSON)
and echo back in its answers. Some values pass Python's ``json`` and pydantic's type
checks yet break one of those later, as a 500 or a stuck task instead of a 422:
``NaN``/``Infinity`` (not JSON, so no response can contain them), lone UTF-16 surrogates
such as ``"\\ud800"`` (valid JSON escapes that are no Unicode text: UTF-8 cannot encode
them), and NUL characters (PostgreSQL ``text`` refuses them). They are refused here, for
every stack alike, with a message naming the field; so are strings and booleans given for
numbers (``"5"``, ``true``), which the OpenAPI document says are none.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

CHUNK_SIZE = 50  # the seeds split cached and whole answers into 50-character chunks
MAX_TOKENS_LIMIT = 1_000_000  # the fake provider's own cap on an answer's length
NO_NUL = {"pattern": "^[^\\u0000]*$"}  # in the OpenAPI document; ``text_problem`` checks it, with a clearer message


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored and sent as UTF-8 text, or None when it can."""
    if "\x00" in text:
        return f"contains a NUL character (\\x00) at index {text.index(chr(0))}, which PostgreSQL text cannot store: remove it"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"contains an unpaired UTF-16 surrogate ({text[exc.start]!a}) at index {exc.start}, which is no Unicode text: "
            "send valid UTF-8 (escape astral characters as a surrogate pair)"
        )
    return None


def _json_number(value: Any) -> Any:
    """A JSON number only: pydantic would take ``"5"`` or ``true`` for 5 or 1, which the
    OpenAPI document says is no integer (``5.0`` is one, as JSON Schema counts)."""
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"expected a JSON number, not {type(value).__name__}")  # noqa: TRY004 (pydantic reports ValueError, not TypeError)
    return value


# (Field before the validator: the other order puts "ge"/"le", no JSON Schema words, in the OpenAPI document)
MaxTokens = Annotated[int, Field(ge=1, le=MAX_TOKENS_LIMIT), BeforeValidator(_json_number)]


class ChatRequest(BaseModel):
    """The request body of every stack: ``{prompt, provider, model, temperature, max_tokens?}``."""

    model_config = ConfigDict(allow_inf_nan=False)  # NaN/Infinity: "Input should be a finite number"

    prompt: str = Field(min_length=1, json_schema_extra=NO_NUL)
    provider: Literal["openai", "anthropic"] = "openai"
    model: str = Field("gpt-4o", json_schema_extra=NO_NUL)
    temperature: float = Field(0.7, ge=0, le=2, strict=True)  # strict: ints too, but no "0.5" nor true
    max_tokens: MaxTokens | None = None

    @field_validator("prompt", "model")
    @classmethod
    def _storable_text(cls, value: str) -> str:
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value


def split_into_chunks(text: str, size: int = CHUNK_SIZE) -> list[str]:
    """``text`` cut every ``size`` characters (the last chunk may be shorter)."""
    return [text[i : i + size] for i in range(0, len(text), size)]
