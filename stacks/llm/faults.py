"""Deciding, call by call, which fault (if any) the fake provider injects.

Why a separate, pure piece: fault decisions must be reproducible from the seed, so two
runs with the same seed hit the same calls, and they must be testable without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import FaultRule
from .text import _SplitMix64, derive_seed


@dataclass
class _RuleState:
    rule: FaultRule
    rng: _SplitMix64
    seen: int = 0
    fired: int = 0


@dataclass
class FaultInjector:
    """Holds the installed rules and their counters; ``decide`` is called once per call."""

    rules: list[FaultRule]
    seed: int = 0
    _states: list[_RuleState] = field(init=False)

    def __post_init__(self) -> None:
        self._states = [
            _RuleState(rule, _SplitMix64(derive_seed("fault", self.seed, i, rule.model_dump_json())))
            for i, rule in enumerate(self.rules)
        ]

    def decide(self, flavour: str, model: str) -> FaultRule | None:
        """The rule that hits this call, or None. Every matching rule counts the call."""
        hit: FaultRule | None = None
        for state in self._states:
            rule = state.rule
            if rule.flavour not in (None, flavour) or rule.model not in (None, model):
                continue
            number = state.seen
            state.seen += 1
            if rule.calls is not None:
                fires = number in rule.calls
            else:
                probability = 1.0 if rule.probability is None else rule.probability
                fires = state.rng.unit() < probability
            if fires and (rule.max_fires is None or state.fired < rule.max_fires) and hit is None:
                state.fired += 1
                hit = rule
        return hit

    def fired_counts(self) -> list[int]:
        """How many times each rule fired, in rule order (shown by ``GET /admin/config``)."""
        return [s.fired for s in self._states]
