"""The fake LLM provider: OpenAI and Anthropic on the wire, deterministic, with a cost ledger.

The checker imports ``expected_text`` from here to know the exact answer of any request.
"""

from .prices import CURRENT_PRICE_TABLE, cost_usd, price_of
from .text import DEFAULT_OUTPUT_TOKENS, count_tokens, expected_text, expected_tokens, text_sha256

__all__ = [
    "CURRENT_PRICE_TABLE",
    "DEFAULT_OUTPUT_TOKENS",
    "cost_usd",
    "count_tokens",
    "expected_text",
    "expected_tokens",
    "price_of",
    "text_sha256",
]
