"""When each token of an answer is due: time to first token, then inter-token gaps.

Why offsets from the call's start rather than sleeps between tokens: sleeping ``itl``
after each send accumulates every scheduling delay into the next gap; aiming each token at
its own deadline keeps the error of every gap at the event loop's wake-up error.
"""

from __future__ import annotations

import bisect

from .text import _SplitMix64, derive_seed


def token_offsets(count: int, ttft_ms: float, itl_ms: float, jitter_ms: float, key: object) -> list[float]:
    """Seconds from the start of the call at which token 0..count-1 is sent.

    Every delay (the first-token one and each gap) is moved by a uniform draw in
    [-jitter, +jitter], seeded by ``key``, and never goes below zero.
    """
    rng = _SplitMix64(derive_seed("timing", key)) if jitter_ms > 0 else None

    def delay(base_ms: float) -> float:
        if rng is None:
            return base_ms / 1000.0
        return max(0.0, base_ms + (2.0 * rng.unit() - 1.0) * jitter_ms) / 1000.0

    offsets: list[float] = []
    t = 0.0
    for i in range(count):
        t += delay(ttft_ms if i == 0 else itl_ms)
        offsets.append(t)
    return offsets


def tokens_due(offsets: list[float], elapsed_s: float) -> int:
    """How many tokens are due after ``elapsed_s`` (a non-streaming call's progress)."""
    return bisect.bisect_right(offsets, elapsed_s)
