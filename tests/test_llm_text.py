"""The deterministic answers: what the checker will rely on to know the right text."""

from __future__ import annotations

from stacks.llm import expected_text, expected_tokens
from stacks.llm.text import count_tokens, planned_token_count, text_sha256


def test_the_answer_is_a_pure_function_of_prompt_model_and_seed():
    assert expected_text("p", "gpt-4o") == expected_text("p", "gpt-4o")
    assert expected_text("p", "gpt-4o") != expected_text("q", "gpt-4o")
    assert expected_text("p", "gpt-4o") != expected_text("p", "gpt-4")
    assert expected_text("p", "gpt-4o", seed=1) != expected_text("p", "gpt-4o", seed=0)


def test_a_known_answer_never_changes():
    # Pinned: if this changes, every recorded run's expected answers change with it.
    assert expected_text("Hello AI", "gpt-4o", output_tokens=12) == 'Order buffer as, not, when build failure was. Frontend'
    assert text_sha256(expected_text("Hello AI", "gpt-4o")) == "4618dce165469a4b01532048c7427ee224b9734871e4fbbc55829f470fac10ea"


def test_a_shorter_answer_is_a_prefix_of_a_longer_one():
    full = expected_tokens("prefix", "claude-3.5-sonnet", output_tokens=500)
    for cap in (0, 1, 17, 499, 500, 10_000):
        capped = expected_tokens("prefix", "claude-3.5-sonnet", max_tokens=cap, output_tokens=500)
        assert capped == full[: min(cap, 500)]
    assert planned_token_count(None, 300) == 300 and planned_token_count(10, 300) == 10


def test_answers_carry_what_naive_storage_breaks():
    text = expected_text("long answer", "gpt-4o", output_tokens=3000)
    assert "\n\n" in text and "," in text and "." in text
    assert any(ord(ch) > 127 for ch in text), "non-ASCII characters expose encoding bugs"
    assert '"' in text and "\\" in text


def test_prompt_tokens_count_words_and_punctuation():
    assert count_tokens("") == 0
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("café résumé") == 2
