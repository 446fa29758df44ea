"""The checker on hand-made histories whose right answer is known."""

from __future__ import annotations

import pytest

from llmchaos.checker import expectation, request_results, summarize
from llmchaos.history import Event

EXPECT = expectation(output_tokens=12, llm_seed=0)
PROMPT = "Explain checkpoints"
ANSWER = EXPECT(PROMPT, "gpt-4o", None)


def chunks_of(text: str, size: int = 10) -> list[tuple[int, str]]:
    return [(i, text[i * size : (i + 1) * size]) for i in range((len(text) + size - 1) // size)]


class History:
    """Builds a client's events with increasing times."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.t = 0.0

    def add(self, type: str, f: str, task: str | None = None, request: str = "r-0-0", process: str = "client-0-0", **value) -> "History":
        self.t += 0.1
        self.events.append(Event(self.t, "w", process, type, f, "mvp", task, {"request": request, **value}))
        return self

    def submit(self, task: str | None, request: str = "r-0-0", status: str = "running") -> "History":
        self.add("invoke", "submit", None, request, prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None)
        if task is None:
            return self.add("fail", "submit", None, request, error="HTTP 503")
        return self.add("ok", "submit", task, request, status=status)

    def chunks(self, task: str, pieces: list[tuple[int, str]], status: str = "running", request: str = "r-0-0") -> "History":
        return self.add("ok", "chunks", task, request, status=status, chunks=[{"chunk_id": i, "text": t} for i, t in pieces])

    def end(self, task: str, status: str = "completed", request: str = "r-0-0") -> "History":
        return self.add("ok", "status", task, request, status=status)

    def result(self):
        [result] = request_results(self.events, EXPECT)
        return result


def test_a_complete_answer_is_correct():
    pieces = chunks_of(ANSWER)
    r = History().submit("t1").chunks("t1", pieces[:2]).chunks("t1", pieces[2:], status="completed").end("t1").result()
    assert r.outcome == "correct" and r.delivered_chars == len(ANSWER) and r.tasks == ["t1"]
    assert r.first_chunk_t is not None and r.first_chunk_t > r.submitted_t


def test_a_task_that_never_ends_is_lost_with_what_was_shown_counted():
    pieces = chunks_of(ANSWER)
    h = History().submit("t1").chunks("t1", pieces[:2]).add("fail", "status", "t1", error="gave up after 60s")
    r = h.result()
    assert r.outcome == "lost" and r.gave_up and r.delivered_chars == 20
    summary = summarize([r])
    assert summary["lost"] == 1 and summary["data_loss_pct"] == pytest.approx(100 * (len(ANSWER) - 20) / len(ANSWER))


def test_a_run_that_ends_before_the_task_is_lost_too():
    assert History().submit("t1").chunks("t1", chunks_of(ANSWER)[:1]).result().outcome == "lost"


def test_completed_but_short_is_truncated():
    pieces = chunks_of(ANSWER)
    r = History().submit("t1").chunks("t1", pieces[:-1], status="completed").end("t1").result()
    assert r.outcome == "truncated" and r.delivered_chars == len(ANSWER) - len(pieces[-1][1])


def test_a_chunk_shown_twice_is_duplicated():
    pieces = chunks_of(ANSWER)
    r = History().submit("t1").chunks("t1", pieces[:3]).chunks("t1", pieces[2:], status="completed").end("t1").result()
    assert r.outcome == "duplicated" and r.final.repeated_ids == 1 and r.duplicate_chunks == 1
    assert r.delivered_chars == len(ANSWER), "a repeated id delivers nothing more, and loses nothing"


def test_the_answer_appended_again_under_new_ids_is_duplicated_not_corrupt():
    # an SDK retry after a cut stream: the answer streamed again from its start, the page appends it
    pieces = chunks_of(ANSWER)
    again = [(len(pieces) - 1 + i, text) for i, (_, text) in enumerate(pieces)]
    r = History().submit("t1").chunks("t1", pieces[:-1]).chunks("t1", again, status="completed").end("t1").result()
    assert r.outcome == "duplicated" and r.final.repeated_ids == 0
    assert r.duplicate_chunks == len(pieces) - 1 and r.delivered_chars == len(ANSWER)


def test_chunks_received_out_of_order_deliver_the_answer_in_chunk_id_order():
    pieces = chunks_of(ANSWER)
    swapped = [pieces[1], pieces[0], *pieces[2:]]
    r = History().submit("t1").chunks("t1", swapped, status="completed").end("t1").result()
    assert r.outcome == "correct" and r.delivered_chars == len(ANSWER)
    assert summarize([r])["data_loss_pct"] == 0.0


def test_a_missing_chunk_in_the_middle_costs_its_own_characters_only():
    pieces = chunks_of(ANSWER)
    r = History().submit("t1").chunks("t1", [pieces[0], *pieces[2:]], status="completed").end("t1").result()
    assert r.outcome == "truncated", "everything shown is the answer's; part of it is missing"
    assert r.delivered_chars == len(ANSWER) - len(pieces[1][1])
    assert summarize([r])["data_loss_pct"] == pytest.approx(100 * len(pieces[1][1]) / len(ANSWER))


def test_foreign_text_is_corrupt():
    pieces = chunks_of(ANSWER)
    wrong = [(0, "0123456789"), *pieces[1:]]
    r = History().submit("t1").chunks("t1", wrong, status="completed").end("t1").result()
    assert r.outcome == "corrupt" and r.delivered_chars == len(ANSWER) - 10


def test_a_cache_hit_with_another_prompts_answer_is_corrupt_even_when_it_looks_truncated():
    other = EXPECT("Another prompt", "gpt-4o", None)
    h = History().add("invoke", "submit", None, prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None)
    h.add("ok", "submit", "t1", status="completed", cached=True)
    r = h.chunks("t1", chunks_of(other), status="completed").end("t1").result()
    assert r.cached and r.outcome == "corrupt"
    stale_prefix = History().add("invoke", "submit", None, prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None)
    stale_prefix.add("ok", "submit", "t1", status="completed", cached=True)
    r = stale_prefix.chunks("t1", chunks_of(ANSWER)[:2], status="completed").end("t1").result()
    assert r.outcome == "corrupt", "a cached answer cut short is a wrong cache entry, not a truncated stream"


def test_the_stack_saying_failed_is_failed():
    assert History().submit("t1").chunks("t1", chunks_of(ANSWER)[:1]).end("t1", "failed").result().outcome == "failed"


def test_a_refused_submit_is_rejected_not_a_task():
    results = request_results(History().submit(None).events, EXPECT)
    assert [r.outcome for r in results] == ["rejected"]
    assert summarize(results)["accepted"] == 0 and summarize(results)["data_loss_pct"] == 0.0


def test_a_reask_after_refresh_is_judged_on_the_new_task():
    pieces = chunks_of(ANSWER)
    h = History().submit("t1").chunks("t1", pieces[:2]).add("info", "refresh", "t1", mode="reask", chunks_shown=2)
    h.submit("t2").chunks("t2", pieces, status="completed").end("t2")
    r = h.result()
    assert r.outcome == "correct" and r.tasks == ["t1", "t2"] and r.refreshes == 1 and r.acknowledged_loss_chunks is None


def test_a_reattach_that_comes_back_without_a_chunk_is_truncated_and_only_a_final_read_says_it_was_taken_back():
    pieces = chunks_of(ANSWER)
    h = History().submit("t1").chunks("t1", pieces[:3]).add("info", "refresh", "t1", mode="reattach").add("invoke", "resume", "t1")
    h.chunks("t1", [pieces[0], *pieces[2:]], status="completed").end("t1")  # chunk 1 is gone after recovery
    r = h.result()
    assert r.outcome == "truncated" and len(r.views) == 2
    assert r.acknowledged_loss_chunks is None, "nothing was read back: not measured, not zero"
    h.events.append(Event(h.t + 1, "w", "auditor", "ok", "final-read", "mvp", "t1", {"request": "r-0-0", "found": True, "status": "completed",
                                                                              "chunks": [{"chunk_id": i, "text": t} for i, t in [pieces[0], *pieces[2:]]]}))  # fmt: skip
    assert h.result().acknowledged_loss_chunks == 1


def _read(t: float, task: str, chunks: list[tuple[int, str]] | None, status: str = "completed", found: bool = True) -> Event:
    if chunks is None:
        return Event(t, "w", "auditor", "fail", "final-read", "mvp", task, {"request": "r-0-0", "error": "HTTP 503 for 30s"})
    value = {"request": "r-0-0", "found": found, "status": status if found else None, "chunks": [{"chunk_id": i, "text": x} for i, x in chunks]}
    return Event(t, "w", "auditor", "ok", "final-read", "mvp", task, value)


def test_final_reads_measure_what_the_stack_took_back():
    pieces = chunks_of(ANSWER)
    lost = History().submit("t1").chunks("t1", pieces[:3]).add("fail", "status", "t1", error="no new chunk for 20s")
    keeps = lost.events + [_read(99, "t1", pieces[:3], status="running")]
    assert request_results(keeps, EXPECT)[0].acknowledged_loss_chunks == 0
    changed = lost.events + [_read(99, "t1", [pieces[0], (1, "XXXXXXXXXX")])]
    assert request_results(changed, EXPECT)[0].acknowledged_loss_chunks == 2, "chunk 1 changed, chunk 2 gone"
    forgotten = lost.events + [_read(99, "t1", [], found=False)]
    [r] = request_results(forgotten, EXPECT)
    assert r.acknowledged_loss_chunks == 3 and r.final_reads["t1"].final_status == "missing"
    unreadable = lost.events + [_read(99, "t1", None)]
    [r] = request_results(unreadable, EXPECT)
    assert r.acknowledged_loss_chunks is None and r.unreadable_tasks == 1 and r.final_reads["t1"].final_status == "unreadable"


def test_time_in_error_runs_from_a_failed_operation_to_the_next_success():
    pieces = chunks_of(ANSWER)
    h = History().submit("t1").chunks("t1", pieces[:1])
    h.t = 1.0
    h.add("fail", "chunks", "t1", error="HTTP 502")  # t = 1.1
    h.add("fail", "chunks", "t1", error="HTTP 502")  # t = 1.2
    h.t = 3.0
    r = h.chunks("t1", pieces[1:], status="completed").end("t1").result()  # ok at t = 3.1
    assert (r.failed_polls, r.error_s, r.outcome) == (2, pytest.approx(2.0), "correct")


def test_requests_are_kept_apart_and_in_submission_order():
    pieces = chunks_of(ANSWER)
    h = History().submit("a", request="r-0-0").submit("b", request="r-1-0")
    h.chunks("b", pieces, "completed", request="r-1-0").end("b", request="r-1-0")
    results = request_results(h.events, EXPECT)
    assert [(r.request, r.outcome) for r in results] == [("r-0-0", "lost"), ("r-1-0", "correct")]
    assert summarize(results)["correct"] == 1


def test_non_client_events_are_ignored():
    h = History().submit("t1").chunks("t1", chunks_of(ANSWER), "completed").end("t1")
    h.events.append(Event(9.0, "w", "nemesis", "info", "kill", "mvp", None, {"service": "backend"}))
    assert [r.outcome for r in request_results(h.events, EXPECT)] == ["correct"]
