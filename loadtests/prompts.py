"""The prompts users ask: seeded, with a share of repeats so the Redis cache gets hits.

Each request is named by (user key, iteration); what it asks is a pure function of that
name and the seed, so a rerun asks the same things in the same order, in one Locust
process or spread over several.
"""

from __future__ import annotations

from stacks.llm.text import _SplitMix64, derive_seed

from .config import LoadConfig, ModelChoice

TOPICS = (
    "how a write-ahead log survives a crash",
    "why a browser refresh loses a streaming answer",
    "the difference between at-least-once and exactly-once delivery",
    "how Redis persists data with an append-only file",
    "what Temporal replays after a worker crash",
    "how to measure time to first token",
    "why polling every 200 milliseconds costs requests",
    "what a checkpoint is in a durable workflow",
)


def _rng(config: LoadConfig, user_key: str, iteration: int, what: str) -> _SplitMix64:
    return _SplitMix64(derive_seed(what, config.seed, user_key, iteration))


def prompt_for(config: LoadConfig, user_key: str, iteration: int) -> str:
    rng = _rng(config, user_key, iteration, "prompt")
    if rng.unit() < config.repeat_rate:
        popular = rng.below(config.prompt_pool)
        return f"Explain {TOPICS[popular % len(TOPICS)]} (popular question {popular})."
    return f"Explain {TOPICS[rng.below(len(TOPICS))]} (question {user_key}/{iteration})."


def model_for(config: LoadConfig, user_key: str, iteration: int) -> ModelChoice:
    rng = _rng(config, user_key, iteration, "model")
    point = rng.unit() * sum(m.weight for m in config.models)
    for choice in config.models:
        point -= choice.weight
        if point < 0:
            return choice
    return config.models[-1]


def refreshes(config: LoadConfig, user_key: str, iteration: int) -> bool:
    """Whether this request is one of the ``f5.share`` that refresh."""
    return config.f5.mode != "none" and _rng(config, user_key, iteration, "f5").unit() < config.f5.share
