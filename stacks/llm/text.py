"""Deterministic answers: the text the fake provider sends is a pure function of the request.

Why: the checker must know, for every task, the exact answer the stack should have
delivered, without trusting the stack or storing every answer. ``expected_text`` is that
function; the server streams exactly ``expected_tokens`` and records the sha256 of their
concatenation in the ledger, so the two can always be cross-checked.

Properties the rest of the harness relies on:
- same (prompt, model, seed) -> same token sequence, on every machine and Python version
  (a hand-written splitmix64 generator, not ``random``, whose methods may change);
- a shorter answer is a prefix of a longer one, as with a real model cut by ``max_tokens``;
- the text has what real answers have and naive storage breaks: punctuation, paragraph
  breaks, quotes and non-ASCII characters.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

DEFAULT_OUTPUT_TOKENS = 200

_MASK64 = (1 << 64) - 1

_WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an have not "
    "which but all can one has more also their will when there been its they were other some "
    "time would these only into most two about after first such many over new may any between "
    "system data model answer stream token chunk server client worker state request response "
    "memory storage durable cache queue retry failure recovery latency throughput network "
    "process message history event workflow activity checkpoint replay backend frontend "
    "database table index write read commit transaction lock timeout deadline budget cost "
    "user session browser refresh crash restart replica leader follower partition clock "
    "order sequence window buffer batch record journal snapshot segment offset cursor "
    "value key hash shard region zone cluster node container volume file disk page "
    "simple clear careful robust exact small large fast slow early late every each "
    "because therefore however although while until unless since before during "
    "design measure observe compare verify explain describe build deploy operate "
    "improve reduce increase prevent detect handle preserve resume continue deliver"
).split()

# Tokens that naive pipelines mangle: non-ASCII letters, an emoji, quotes, a backslash.
_RARE = (" café", " naïve", " déjà", " résumé", " Zürich", " 🚀", ' "quoted"', " back\\slash", " 50%", " x²")

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class _SplitMix64:
    """A tiny, fully specified PRNG: its output never changes across Python versions."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def unit(self) -> float:
        """A float in [0, 1)."""
        return (self.next() >> 11) / float(1 << 53)


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes (unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def planned_token_count(max_tokens: int | None, output_tokens: int = DEFAULT_OUTPUT_TOKENS) -> int:
    """How many tokens an answer has: the provider's output length, capped by ``max_tokens``."""
    if max_tokens is None:
        return output_tokens
    return max(0, min(output_tokens, max_tokens))


def _token_stream(prompt: str, model: str, seed: int):
    """Endless token sequence for one (prompt, model, seed): sentences in paragraphs."""
    rng = _SplitMix64(derive_seed("text", model, seed, prompt))
    first = True
    while True:
        paragraph_sentences = 2 + rng.below(4)
        for s in range(paragraph_sentences):
            words = 6 + rng.below(14)
            for w in range(words):
                if rng.below(40) == 0:
                    token = _RARE[rng.below(len(_RARE))]
                else:
                    token = " " + _WORDS[rng.below(len(_WORDS))]
                if w == 0:
                    token = " " + token[1:2].upper() + token[2:]
                if first:
                    token = token[1:]
                    first = False
                yield token
                if 0 < w < words - 1 and rng.below(9) == 0:
                    yield ","
            yield "."
            if s == paragraph_sentences - 1:
                yield "\n\n"


@lru_cache(maxsize=4096)
def expected_tokens(
    prompt: str,
    model: str,
    seed: int = 0,
    max_tokens: int | None = None,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
) -> tuple[str, ...]:
    """The exact tokens the fake provider sends for this request, one per content delta."""
    count = planned_token_count(max_tokens, output_tokens)
    stream = _token_stream(prompt, model, seed)
    return tuple(next(stream) for _ in range(count))


def expected_text(
    prompt: str,
    model: str,
    seed: int = 0,
    max_tokens: int | None = None,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
) -> str:
    """The exact answer the fake provider gives: what a correct stack must deliver."""
    return "".join(expected_tokens(prompt, model, seed, max_tokens, output_tokens))


def text_sha256(text: str) -> str:
    """The fingerprint the ledger records for each call's planned answer."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def count_tokens(text: str) -> int:
    """Prompt tokens as this provider counts them: words and punctuation marks.

    Real tokenisers differ from each other; what matters here is that the SDK's usage
    figures and the ledger agree, and both come from this one function.
    """
    return len(_TOKEN_RE.findall(text))
