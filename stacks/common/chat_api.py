"""What the seeds' chat backends share: the request body and the 50-character chunking."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CHUNK_SIZE = 50  # the seeds split cached and whole answers into 50-character chunks


class ChatRequest(BaseModel):
    """The request body of every stack: ``{prompt, provider, model, temperature, max_tokens?}``."""

    prompt: str = Field(min_length=1)
    provider: Literal["openai", "anthropic"] = "openai"
    model: str = "gpt-4o"
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)


def split_into_chunks(text: str, size: int = CHUNK_SIZE) -> list[str]:
    """``text`` cut every ``size`` characters (the last chunk may be shorter)."""
    return [text[i : i + size] for i in range(0, len(text), size)]
