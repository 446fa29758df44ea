"""Properties of the checker and the metrics, on generated histories (hypothesis).

- The order of the lines in a history file does not change any result: several processes
  append to it, and only the times say what happened when.
- A loss injected into a correct history (a chunk the user never received) is always found:
  the request is no longer correct and the data loss is above zero.
- The alignment's shortcut (an answer delivered whole or cut short) gives what the full
  matcher gives, on any text.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from llmchaos.checker import align, expectation, matched_alignment, request_results, summarize
from llmchaos.history import Event
from llmchaos.metrics import cell_metrics

EXPECT = expectation(output_tokens=20, llm_seed=0)
PROMPTS = ["alpha", "beta", "gamma", "delta", "epsilon"]


def _history(seed: int, requests: int) -> list[Event]:
    """Correct, interleaved requests: each answer split at random points, read in random polls."""
    rng = random.Random(seed)
    events: list[Event] = []
    clock = iter(sorted(rng.sample(range(1, 10_000_000), 2000)))  # distinct times
    pending = []
    for n in range(requests):
        prompt = PROMPTS[n % len(PROMPTS)]
        answer = EXPECT(prompt, "gpt-4o", None)
        cuts = sorted(rng.sample(range(1, len(answer)), rng.randint(1, min(8, len(answer) - 1))))
        chunks = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)])]
        polls, i = [], 0
        while i < len(chunks):
            size = rng.randint(1, 3)
            polls.append(list(enumerate(chunks))[i : i + size])
            i += size
        pending.append((f"r-{n}", f"t{n}", prompt, polls))
    steps = []
    for request, task, prompt, polls in pending:
        steps.append([("submit", request, task, prompt)] + [("chunks", request, task, poll) for poll in polls] + [("end", request, task, None)])
    while any(steps):
        queue = rng.choice([s for s in steps if s])
        kind, request, task, data = queue.pop(0)
        process = f"client-{request}"
        if kind == "submit":
            v = {"request": request, "prompt": data, "provider": "openai", "model": "gpt-4o", "max_tokens": None}
            events.append(Event(next(clock) / 1000, "w", process, "invoke", "submit", "mvp", None, v))
            events.append(Event(next(clock) / 1000, "w", process, "ok", "submit", "mvp", task, {"request": request, "status": "running"}))
        elif kind == "chunks":
            chunks = [{"chunk_id": cid, "text": text} for cid, text in data]
            events.append(Event(next(clock) / 1000, "w", process, "ok", "chunks", "mvp", task, {"request": request, "status": "running", "chunks": chunks}))
        else:
            events.append(Event(next(clock) / 1000, "w", process, "ok", "status", "mvp", task, {"request": request, "status": "completed"}))
    return events


def _key(events: list[Event]):
    results = request_results(events, EXPECT)
    return [(r.request, r.outcome, r.delivered_chars, r.first_chunk_t, r.ended_t) for r in results], summarize(results), cell_metrics(events, [], EXPECT)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), requests=st.integers(1, 5), shuffle=st.integers(0, 10_000))
def test_the_order_of_history_lines_does_not_change_any_result(seed, requests, shuffle):
    events = _history(seed, requests)
    shuffled = list(events)
    random.Random(shuffle).shuffle(shuffled)
    assert _key(shuffled) == _key(events)
    assert summarize(request_results(events, EXPECT))["correct"] == requests


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), requests=st.integers(1, 5), pick=st.integers(0, 10_000))
def test_a_chunk_the_user_never_received_is_always_found(seed, requests, pick):
    events = _history(seed, requests)
    chunk_events = [i for i, e in enumerate(events) if e.f == "chunks"]
    index = chunk_events[pick % len(chunk_events)]
    event = events[index]
    chunks = list(event.value["chunks"])
    lost = chunks.pop(pick % len(chunks))
    events[index] = Event(event.t, event.wall, event.process, event.type, event.f, event.stack, event.task_id, {**event.value, "chunks": chunks})
    results = {r.request: r for r in request_results(events, EXPECT)}
    victim = results[event.value["request"]]
    assert victim.outcome != "correct" and victim.delivered_chars < len(victim.expected), lost
    assert summarize(list(results.values()))["data_loss_pct"] > 0
    assert cell_metrics(events, [], EXPECT)["tasks_correct"] == requests - 1


@settings(max_examples=200, deadline=None)
@given(expected=st.text(alphabet="ab c.", max_size=40), cut=st.integers(0, 40), tail=st.text(alphabet="ab c.", max_size=6))
def test_the_alignment_shortcut_agrees_with_the_matcher(expected, cut, tail):
    for delivered in (expected, expected[:cut], expected[:cut] + tail, tail + expected[cut:]):
        assert align(expected, delivered) == matched_alignment(expected, delivered)
