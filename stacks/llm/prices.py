"""Versioned LLM price tables and the cost function.

Why versioned: a cost figure in a report is only comparable with another computed from
the same prices. Every ledger row and every run records the table version it used; a new
price list is added as a new version, old versions stay so an old run re-costs the same.

Prices are list prices in USD per million tokens, standard (non-batch, non-cached) tier,
as published by OpenAI (platform.openai.com/docs/pricing) and Anthropic
(docs.anthropic.com/en/docs/about-claude/pricing) on the table's date.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelPrice:
    """What one model costs, and which wire protocol ("flavour") serves it."""

    flavour: str  # "openai" or "anthropic"
    input_per_mtok: float
    output_per_mtok: float


class UnknownModelError(KeyError):
    """The model is not in the price table (the fake provider answers 404 for it)."""


_OPENAI = "openai"
_ANTHROPIC = "anthropic"

PRICE_TABLES: dict[str, dict[str, ModelPrice]] = {
    "2025-11-01": {
        # OpenAI. gpt-4o and gpt-4 are the seeds' models.
        "gpt-4o": ModelPrice(_OPENAI, 2.50, 10.00),
        "gpt-4o-mini": ModelPrice(_OPENAI, 0.15, 0.60),
        "gpt-4": ModelPrice(_OPENAI, 30.00, 60.00),
        "gpt-4-turbo": ModelPrice(_OPENAI, 10.00, 30.00),
        "gpt-4.1": ModelPrice(_OPENAI, 2.00, 8.00),
        "gpt-4.1-mini": ModelPrice(_OPENAI, 0.40, 1.60),
        "gpt-4.1-nano": ModelPrice(_OPENAI, 0.10, 0.40),
        "gpt-5": ModelPrice(_OPENAI, 1.25, 10.00),
        "gpt-5-mini": ModelPrice(_OPENAI, 0.25, 2.00),
        "gpt-5-nano": ModelPrice(_OPENAI, 0.05, 0.40),
        "o3": ModelPrice(_OPENAI, 2.00, 8.00),
        "o4-mini": ModelPrice(_OPENAI, 1.10, 4.40),
        # Anthropic. "claude-3.5-sonnet" is the seeds' spelling of claude-3-5-sonnet.
        "claude-3.5-sonnet": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-3-5-sonnet-20241022": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-3-5-sonnet-latest": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-3-5-haiku-20241022": ModelPrice(_ANTHROPIC, 0.80, 4.00),
        "claude-3-7-sonnet-20250219": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-sonnet-4-20250514": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-opus-4-20250514": ModelPrice(_ANTHROPIC, 15.00, 75.00),
        "claude-opus-4-1-20250805": ModelPrice(_ANTHROPIC, 15.00, 75.00),
        "claude-sonnet-4-5": ModelPrice(_ANTHROPIC, 3.00, 15.00),
        "claude-haiku-4-5": ModelPrice(_ANTHROPIC, 1.00, 5.00),
        "claude-opus-4-5": ModelPrice(_ANTHROPIC, 5.00, 25.00),
    },
}

CURRENT_PRICE_TABLE = "2025-11-01"


def price_of(model: str, table: str = CURRENT_PRICE_TABLE) -> ModelPrice:
    """The price of ``model`` in ``table``; raises ``UnknownModelError`` if it has none."""
    try:
        prices = PRICE_TABLES[table]
    except KeyError:
        raise UnknownModelError(f"no price table {table!r}; known: {', '.join(PRICE_TABLES)}") from None
    try:
        return prices[model]
    except KeyError:
        raise UnknownModelError(model) from None


def models(flavour: str | None = None, table: str = CURRENT_PRICE_TABLE) -> list[str]:
    """Model names in ``table``, optionally only those served by one flavour."""
    return [m for m, p in PRICE_TABLES[table].items() if flavour is None or p.flavour == flavour]


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int, table: str = CURRENT_PRICE_TABLE) -> float:
    """prompt tokens x input price + completion tokens x output price, in USD."""
    p = price_of(model, table)
    return (prompt_tokens * p.input_per_mtok + completion_tokens * p.output_per_mtok) / 1_000_000
