"""Prices, timing schedules, fault decisions and settings validation, without a server."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stacks.llm.config import FaultRule, ProviderConfig, describe_validation_error
from stacks.llm.faults import FaultInjector
from stacks.llm.prices import CURRENT_PRICE_TABLE, PRICE_TABLES, UnknownModelError, cost_usd, models, price_of
from stacks.llm.schedule import token_offsets, tokens_due


def test_the_seed_models_are_priced():
    for model in ("gpt-4o", "gpt-4", "claude-3.5-sonnet"):
        assert price_of(model).output_per_mtok > price_of(model).input_per_mtok > 0
    assert set(models("openai")).isdisjoint(models("anthropic"))
    assert all(p.flavour in ("openai", "anthropic") for t in PRICE_TABLES.values() for p in t.values())


def test_cost_is_tokens_times_price():
    # gpt-4o: $2.50 in, $10.00 out per million tokens
    assert cost_usd("gpt-4o", 1_000_000, 0) == pytest.approx(2.50)
    assert cost_usd("gpt-4o", 1000, 500) == pytest.approx(0.0025 + 0.005)
    assert cost_usd("claude-3.5-sonnet", 0, 2000, CURRENT_PRICE_TABLE) == pytest.approx(0.03)
    with pytest.raises(UnknownModelError):
        cost_usd("gpt-9-imaginary", 1, 1)
    with pytest.raises(UnknownModelError, match="no price table"):
        price_of("gpt-4o", table="1999-01-01")


def test_offsets_follow_ttft_then_gaps():
    assert token_offsets(4, 100, 20, 0, "k") == pytest.approx([0.1, 0.12, 0.14, 0.16])
    assert token_offsets(0, 100, 20, 0, "k") == []


def test_jitter_is_bounded_and_seeded():
    a = token_offsets(200, 50, 20, 5, ("seed", 1))
    assert a == token_offsets(200, 50, 20, 5, ("seed", 1))
    assert a != token_offsets(200, 50, 20, 5, ("seed", 2))
    gaps = [a[0]] + [b - c for b, c in zip(a[1:], a)]
    assert 0.045 <= gaps[0] <= 0.055
    assert all(0.015 - 1e-9 <= g <= 0.025 + 1e-9 for g in gaps[1:])
    assert len({round(g, 6) for g in gaps[1:]}) > 100


def test_tokens_due_counts_offsets_passed():
    offsets = [0.1, 0.2, 0.3]
    assert [tokens_due(offsets, t) for t in (0, 0.1, 0.25, 5)] == [0, 1, 2, 3]


def test_a_schedule_counts_only_matching_calls():
    injector = FaultInjector([FaultRule(action="error", status=500, calls=[0, 2], flavour="openai")])
    decisions = [injector.decide(flavour, "gpt-4o") for flavour in ("anthropic", "openai", "openai", "anthropic", "openai")]
    assert [d is not None for d in decisions] == [False, True, False, False, True]


def test_probability_draws_repeat_with_the_seed_and_respect_max_fires():
    rule = FaultRule(action="cut", probability=0.3, after_tokens=2)
    one = FaultInjector([rule], seed=3)
    pattern = [one.decide("openai", "gpt-4o") is not None for _ in range(200)]
    again = FaultInjector([rule], seed=3)
    assert pattern == [again.decide("openai", "gpt-4o") is not None for _ in range(200)]
    assert 30 < sum(pattern) < 90
    other = FaultInjector([rule], seed=4)
    assert pattern != [other.decide("openai", "gpt-4o") is not None for _ in range(200)]
    capped = FaultInjector([FaultRule(action="error", status=429, max_fires=2)])
    assert [capped.decide("openai", "m") is not None for _ in range(4)] == [True, True, False, False]
    assert capped.fired_counts() == [2]


def test_the_first_firing_rule_wins_but_every_rule_counts_the_call():
    injector = FaultInjector([
        FaultRule(action="error", status=429, calls=[0]),
        FaultRule(action="error", status=500, calls=[0, 1]),
    ])
    assert injector.decide("openai", "m").status == 429
    assert injector.decide("openai", "m").status == 500
    assert injector.decide("openai", "m") is None


@pytest.mark.parametrize(
    "rule,message",
    [
        ({"action": "error"}, "needs 'status'"),
        ({"action": "error", "status": 418}, "needs 'status'"),
        ({"action": "cut", "status": 500}, "only applies to action 'error'"),
        ({"action": "cut", "calls": [1], "probability": 0.5}, "not both"),
        ({"action": "explode"}, "action"),
        ({"action": "cut", "probability": 2}, "probability"),
        ({"action": "cut", "colour": "red"}, "colour"),
    ],
)
def test_bad_fault_rules_are_rejected_with_the_field_named(rule, message):
    with pytest.raises(ValidationError) as caught:
        ProviderConfig(faults=[rule])
    assert message in describe_validation_error(caught.value)
    assert describe_validation_error(caught.value).startswith("faults.0")


def test_settings_updates_are_revalidated():
    config = ProviderConfig()
    assert config.updated({"itl_ms": 5}).itl_ms == 5
    with pytest.raises(ValidationError, match="ttft_ms"):
        config.updated({"ttft_ms": -1})
    with pytest.raises(ValidationError, match="itl"):
        config.updated({"itl": 5})
