"""The cell metrics on hand-made histories and ledgers whose right answer is known."""

from __future__ import annotations

import pytest

from llmchaos.checker import expectation, request_results
from llmchaos.history import Event
from llmchaos.metrics import HOWS, Expectations, cell_metrics, faults_of, hit_points, percentile, verdict
from stacks.llm.text import text_sha256

EXPECT = expectation(output_tokens=12, llm_seed=0)
PROMPT = "Explain checkpoints"
ANSWER = EXPECT(PROMPT, "gpt-4o", None)
HALF = len(ANSWER) // 2


def ev(t: float, process: str, type: str, f: str, task: str | None = None, **value) -> Event:
    return Event(t, "w", process, type, f, "mvp", task, value)


def submit(t: float, request: str, task: str, cached: bool = False) -> list[Event]:
    client = f"client-{request}"
    return [
        ev(t, client, "invoke", "submit", None, request=request, prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None),
        ev(t + 0.01, client, "ok", "submit", task, request=request, status="completed" if cached else "running", cached=cached),
    ]


def shown(t: float, request: str, task: str, first: int, text: str, status: str = "running") -> Event:
    return ev(t, f"client-{request}", "ok", "chunks", task, request=request, status=status, chunks=[{"chunk_id": first, "text": text}])


def ended(t: float, request: str, task: str, status: str = "completed") -> Event:
    return ev(t, f"client-{request}", "ok", "status", task, request=request, status=status)


def row(call: str, task: str, outcome: str, cost: float, end: float, text: str = ANSWER, tokens: int = 12) -> dict:
    return {"call_id": call, "task_id": task, "outcome": outcome, "cost_usd": cost, "end": end, "text_sha256": text_sha256(text), "completion_tokens": tokens}


FAULT = [
    ev(1.0, "nemesis", "invoke", "kill", fault=0, action="kill", phase="fire"),
    ev(1.02, "nemesis", "ok", "kill", fault=0, action="kill", phase="fire", confirmed="process dead"),  # the fault moment
    ev(1.1, "probe", "info", "health", fault=0, healthy=False, services={"backend": False}),
    ev(2.0, "nemesis", "ok", "start", fault=0, action="kill", phase="recover"),
    ev(2.52, "probe", "info", "health", fault=0, healthy=True, recovered=True, services={"backend": True}),
]


def canary(t: float, n: int, served: float | None, fault: int = 0) -> list[Event]:
    """One canary request: refused (``served`` None) or served whole ``served`` later."""
    request, prompt = f"canary-{fault}-{n}", f"Canary {fault}-{n}: are you there?"
    out = [ev(t, "canary", "invoke", "submit", None, request=request, prompt=prompt, provider="openai", model="gpt-4o", max_tokens=8)]
    if served is None:
        return out + [ev(t + 0.001, "canary", "fail", "submit", None, request=request, error="ConnectError")]
    text = EXPECT(prompt, "gpt-4o", 8)
    return out + [
        ev(t + 0.01, "canary", "ok", "submit", f"k{n}", request=request, status="running"),
        ev(t + served - 0.01, "canary", "ok", "chunks", f"k{n}", request=request, asked_t=t + served - 0.02, status="completed", chunks=[{"chunk_id": 0, "text": text}]),
        ev(t + served, "canary", "ok", "status", f"k{n}", request=request, status="completed"),
    ]


def test_the_four_recovery_times_of_a_crash_that_a_task_survives():
    events = [
        *submit(0.2, "a", "t1"),
        shown(0.5, "a", "t1", 0, ANSWER[:HALF]),
        *FAULT,
        *canary(1.02, 0, None), *canary(1.52, 1, None), *canary(2.02, 2, None),
        *canary(2.52, 3, 0.5),  # the first canary served whole: at +2.0 from the fault moment
        shown(3.02, "a", "t1", 1, ANSWER[HALF:]),  # in flight at the fault: resumes at +2.0
        ended(3.52, "a", "t1"),  # and completes at +2.5
        *submit(2.8, "b", "t2"),
        shown(3.3, "b", "t2", 0, ANSWER),
        ended(4.0, "b", "t2"),  # a user's request after the fault: not what (b) measures
    ]
    [fault] = faults_of(events)
    assert (fault.fired_t, fault.effective_t, fault.recovered_t, fault.healthy_t) == (1.0, 1.02, 2.0, 2.52)
    m = cell_metrics(events, [], EXPECT)
    assert m["recovery_s"] == [{"health": 1.5, "first_ok": 2.0, "inflight_resume": 2.0, "inflight_complete": 2.5, "fault": 0, "action": "kill"}]
    assert (m["tasks_correct"], m["tasks_lost"], m["data_loss_pct"]) == (2, 0, 0.0)
    assert m["canaries"] == {"requests": 4, "correct": 1} and m["tasks_submitted"] == 2, "canaries are not users"


def test_a_chunk_served_before_the_fault_took_effect_is_not_a_resume():
    events = [
        *submit(0.2, "a", "t1"), shown(0.5, "a", "t1", 0, ANSWER[:10]), *FAULT,
        # asked at 1.01, before the kill was confirmed at 1.02: answered by the dying backend, recorded after
        ev(1.025, "client-a", "ok", "chunks", "t1", request="a", asked_t=1.01, status="running", chunks=[{"chunk_id": 1, "text": ANSWER[10:20]}]),
        ev(3.0, "client-a", "ok", "chunks", "t1", request="a", asked_t=2.9, status="completed", chunks=[{"chunk_id": 2, "text": ANSWER[20:]}]),
        ended(3.1, "a", "t1"),
    ]  # fmt: skip
    m = cell_metrics(events, [], EXPECT)
    assert m["recovery_s"][0]["inflight_resume"] == pytest.approx(3.0 - 1.02)
    assert m["recovery_s"][0]["first_ok"] is None, "no canary in this history"


def test_a_task_lost_at_the_crash_never_resumes_and_its_generation_is_wasted():
    events = [*submit(0.2, "a", "t1"), *FAULT,
              shown(2.6, "a", "t1", 0, ANSWER[:HALF]),  # saved before the crash, read after the restart: not a resume
              ev(20.0, "client-a", "fail", "status", "t1", request="a", error="no new chunk for 20s")]  # fmt: skip
    ledger = [row("c1", "t1", "client_aborted", 0.004, 1.0)]
    m = cell_metrics(events, ledger, EXPECT)
    assert m["tasks_lost"] == 1 and m["data_loss_pct"] == pytest.approx(100 * (len(ANSWER) - HALF) / len(ANSWER))
    assert m["recovery_s"][0]["inflight_resume"] is None and m["recovery_s"][0]["first_ok"] is None
    assert (m["llm_cost_usd"], m["wasted_cost_usd"], m["cost_per_correct_usd"]) == (0.004, 0.004, None)
    assert m["e2e_p50_s"] == pytest.approx(19.8) and m["e2e_completed_p50_s"] is None, "the lost request counts among the accepted only"


def test_a_regeneration_is_paid_twice_and_the_first_call_is_wasted():
    events = [*submit(0.2, "a", "t1"), shown(3.0, "a", "t1", 0, ANSWER, status="completed"), ended(3.1, "a", "t1")]
    ledger = [row("c1", "t1", "client_aborted", 0.001, 1.0, ANSWER[:HALF]), row("c2", "t1", "completed", 0.002, 2.9)]
    m = cell_metrics(events, ledger, EXPECT)
    assert (m["regenerations"], m["llm_calls"], m["tasks_correct"]) == (1, 2, 1)
    assert (m["llm_cost_usd"], m["wasted_cost_usd"], m["cost_per_correct_usd"]) == (0.003, 0.001, 0.003)


def test_a_re_ask_after_f5_counts_as_a_regeneration_of_the_same_request():
    events = [
        *submit(0.2, "a", "t1"), shown(0.6, "a", "t1", 0, ANSWER[:HALF]),
        ev(0.7, "client-a", "info", "refresh", "t1", request="a", mode="reask"),
        ev(0.71, "client-a", "invoke", "submit", None, request="a", prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None, refresh_of="t1"),
        ev(0.72, "client-a", "ok", "submit", "t2", request="a", status="running"),
        shown(2.0, "a", "t2", 0, ANSWER, status="completed"), ended(2.1, "a", "t2"),
    ]  # fmt: skip
    ledger = [row("c1", "t1", "completed", 0.002, 1.5), row("c2", "t2", "completed", 0.002, 2.0)]
    m = cell_metrics(events, ledger, EXPECT)
    assert (m["regenerations"], m["wasted_cost_usd"], m["tasks_correct"]) == (1, 0.002, 1)


def test_a_cache_hit_costs_nothing_and_saves_what_the_same_answer_cost():
    events = [
        *submit(0.1, "a", "t1"), shown(1.0, "a", "t1", 0, ANSWER, status="completed"), ended(1.1, "a", "t1"),
        *submit(2.0, "b", "t2", cached=True), shown(2.2, "b", "t2", 0, ANSWER, status="completed"), ended(2.3, "b", "t2"),
    ]  # fmt: skip
    m = cell_metrics(events, [row("c1", "t1", "completed", 0.003, 1.0)], EXPECT)
    assert (m["cache_hits"], m["cache_savings_usd"], m["regenerations"], m["wasted_cost_usd"]) == (1, 0.003, 0, 0.0)
    assert m["cache_hit_e2e_p50_s"] == pytest.approx(0.3)
    assert m["cost_per_correct_usd"] == 0.0015


def test_duplicated_chunks_are_counted_and_acknowledged_loss_comes_from_final_reads():
    events = [
        *submit(0.1, "a", "t1"),
        shown(0.5, "a", "t1", 0, ANSWER[:HALF]),
        shown(0.6, "a", "t1", 0, ANSWER[:HALF]),  # the same chunk shown again
        shown(0.7, "a", "t1", 1, ANSWER[HALF:], status="completed"), ended(0.8, "a", "t1"),
        *submit(1.0, "b", "t2"), shown(1.2, "b", "t2", 0, ANSWER[:HALF]),
        ev(20.0, "client-b", "fail", "status", "t2", request="b", error="no new chunk for 20s"),
        ev(30.0, "auditor", "ok", "final-read", "t1", request="a", found=True, status="completed",
           chunks=[{"chunk_id": 0, "text": ANSWER[:HALF]}, {"chunk_id": 1, "text": ANSWER[HALF:]}]),
        ev(30.1, "auditor", "ok", "final-read", "t2", request="b", found=False, chunks=[]),  # the stack forgot t2
    ]  # fmt: skip
    m = cell_metrics(events, [], EXPECT)
    assert m["outcomes"]["duplicated"] == 1 and m["duplicate_chunks"] == 1
    assert m["acknowledged_loss_chunks"] == 1 and m["final_status"] == {"completed": 1, "missing": 1} and m["unreadable_tasks"] == 0


def test_no_final_read_means_acknowledged_loss_not_measured():
    events = [*submit(0.1, "a", "t1"), shown(0.5, "a", "t1", 0, ANSWER, status="completed"), ended(0.8, "a", "t1")]
    m = cell_metrics(events, [], EXPECT)
    assert m["acknowledged_loss_chunks"] is None and m["final_status"] == {"not read": 1}


def test_a_refusal_before_any_token_is_a_free_provider_retry_not_a_regeneration():
    events = [*submit(0.2, "a", "t1"), shown(3.0, "a", "t1", 0, ANSWER, status="completed"), ended(3.1, "a", "t1")]
    ledger = [row("c1", "t1", "fault", 0.0, 1.0, tokens=0), row("c2", "t1", "fault", 0.0, 1.5, tokens=0), row("c3", "t1", "completed", 0.002, 2.9)]
    m = cell_metrics(events, ledger, EXPECT)
    assert (m["provider_retries"], m["regenerations"], m["llm_calls"], m["llm_cost_usd"]) == (2, 0, 3, 0.002)


def test_every_ledger_row_is_attributed_or_the_cell_is_incomplete():
    events = [*submit(0.2, "a", "t1"), shown(1.0, "a", "t1", 0, ANSWER, status="completed"), ended(1.1, "a", "t1"), *canary(2.0, 0, 0.4)]
    ledger = [row("c1", "t1", "completed", 0.002, 1.0), row("c2", "k0", "completed", 0.0001, 2.3, tokens=8)]
    m = cell_metrics(events, ledger, EXPECT, Expectations(planned=1, locust_exit_code=0))
    assert (m["llm_calls"], m["llm_cost_usd"], m["canary_calls"], m["canary_cost_usd"], m["unattributed_calls"]) == (1, 0.002, 1, 0.0001, 0)
    assert m["errors"] == []
    stray = cell_metrics(events, [*ledger, row("c3", "nobody", "completed", 0.002, 3.0, text="not asked by anyone")], EXPECT, Expectations(planned=1, locust_exit_code=0))
    assert stray["unattributed_calls"] == 1 and stray["unattributed_cost_usd"] == 0.002
    assert stray["errors"] == ["1 LLM calls of the ledger map to no request of the history"]


def test_a_call_for_a_submit_whose_answer_never_came_back_is_attributed_by_the_text_it_generated():
    # the backend was frozen: the canary's submit timed out, and the thawed backend still created the task
    refused = canary(2.0, 0, None)
    prompt = refused[0].value["prompt"]
    events = [*submit(0.2, "a", "t1"), shown(1.0, "a", "t1", 0, ANSWER, status="completed"), ended(1.1, "a", "t1"), *refused]
    ledger = [row("c1", "t1", "completed", 0.002, 1.0), row("c2", "unseen", "completed", 0.0001, 9.0, text=EXPECT(prompt, "gpt-4o", 8))]
    ledger.append(row("c3", "unseen-2", "completed", 0.002, 9.5))  # a user's submit lost the same way: the same answer, generated again
    m = cell_metrics(events, ledger, EXPECT, Expectations(planned=1, locust_exit_code=0))
    assert (m["canary_calls"], m["unattributed_calls"], m["llm_calls"], m["regenerations"], m["wasted_cost_usd"]) == (1, 0, 2, 1, 0.002)


def test_an_empty_cell_a_short_load_a_crashed_load_generator_are_incomplete():
    assert cell_metrics([], [], EXPECT, Expectations(planned=20))["errors"] == ["the history holds no user operation: the load generator sent nothing"]
    one = [*submit(0.2, "a", "t1"), shown(1.0, "a", "t1", 0, ANSWER, status="completed"), ended(1.1, "a", "t1")]
    assert cell_metrics(one, [], EXPECT, Expectations(planned=2))["errors"] == ["only 1 of the 2 planned requests ran"]
    crashed = cell_metrics([*submit(0.2, "a", "t1")], [], EXPECT, Expectations(planned=1, locust_exit_code=1))["errors"]
    assert crashed == ["the load generator (Locust) exited with code 1: see locust/*.log", "1 accepted requests never ended: the load generator stopped before them"]


def test_what_users_lived_through():
    events = [
        *submit(0.0, "a", "t1"),
        shown(0.5, "a", "t1", 0, ANSWER[:10]), shown(0.7, "a", "t1", 1, ANSWER[10:20]),
        ev(1.0, "client-a", "fail", "chunks", "t1", request="a", error="HTTP 503"),
        ev(1.2, "client-a", "fail", "chunks", "t1", request="a", error="HTTP 503"),
        shown(4.7, "a", "t1", 2, ANSWER[20:], status="completed"), ended(4.8, "a", "t1"),  # a 4 s wait between two chunks
        ev(5.0, "client-b", "invoke", "submit", None, request="b", prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None),
        ev(5.1, "client-b", "fail", "submit", None, request="b", error="HTTP 503"),
    ]  # fmt: skip
    m = cell_metrics(events, [], EXPECT)
    assert (m["failed_polls"], m["failed_submits"]) == (2, 1)
    assert m["error_s"] == pytest.approx(3.7) and m["no_progress_s"] == pytest.approx(4.0)
    assert (m["chunk_gap_max_p50_s"], m["chunk_gap_max_s"]) == (pytest.approx(4.0), pytest.approx(4.0))
    assert m["outcomes"]["rejected"] == 1 and m["tasks_accepted"] == 1


def test_a_stale_cache_hit_is_neither_a_hit_nor_a_saving():
    other = EXPECT("Another prompt", "gpt-4o", None)
    events = [*submit(2.0, "b", "t2", cached=True), shown(2.2, "b", "t2", 0, other, status="completed"), ended(2.3, "b", "t2")]
    m = cell_metrics(events, [row("c1", "t9", "completed", 0.003, 1.0)], EXPECT)
    assert (m["cache_hits"], m["stale_cache_hits"], m["cache_savings_usd"], m["outcomes"]["corrupt"]) == (0, 1, 0.0, 1)


def test_latency_percentiles_are_exact_nearest_rank_values():
    assert (percentile([4.0, 1.0, 3.0, 2.0], 50), percentile([4.0, 1.0, 3.0, 2.0], 99), percentile([], 50)) == (2.0, 4.0, None)
    events = []
    for i, (first, end) in enumerate([(0.3, 1.0), (0.5, 2.0), (0.4, 1.5)]):
        events += [*submit(10.0 * i, str(i), f"t{i}"), shown(10.0 * i + first, str(i), f"t{i}", 0, ANSWER, status="completed"), ended(10.0 * i + end, str(i), f"t{i}")]
    events += [*submit(40.0, "lost", "t9"), ev(60.0, "client-lost", "fail", "status", "t9", request="lost", error="gave up")]
    m = cell_metrics(events, [], EXPECT)
    assert (m["ttft_completed_p50_s"], m["ttft_completed_p99_s"], m["e2e_completed_p50_s"], m["e2e_completed_p99_s"]) == pytest.approx((0.4, 0.5, 1.5, 2.0))
    assert (m["ttft_p50_s"], m["e2e_p50_s"], m["e2e_p99_s"]) == pytest.approx((0.4, 1.5, 20.0)), "every accepted request, the lost one included"


def paged(t: float, request: str, task: str, first: int, texts: list[str], asked: float, status: str = "running") -> Event:
    chunks = [{"chunk_id": first + i, "text": text} for i, text in enumerate(texts)]
    return ev(t, f"client-{request}", "ok", "chunks", task, request=request, asked_t=asked, status=status, chunks=chunks)


PIECES = [ANSWER[i : i + 5] for i in range(0, len(ANSWER), 5)]  # the answer as chunks of 5 characters


def test_hit_points_say_where_the_fault_hit_each_page_and_where_it_went_on():
    assert len(PIECES) > 5, "the test needs an answer of more than five chunks"
    events = [
        *FAULT,
        # a: 3 chunks before the fault, then the 4th and the rest: continued
        *submit(0.1, "a", "ta"), paged(0.5, "a", "ta", 0, PIECES[:3], 0.45), paged(3.0, "a", "ta", 3, PIECES[3:], 2.95), ended(3.1, "a", "ta"),
        # b: 2 chunks; a poll sent before the fault and answered after it brings 2 more (served before: not the resume)
        *submit(0.1, "b", "tb"), paged(0.6, "b", "tb", 0, PIECES[:2], 0.55), paged(1.2, "b", "tb", 2, PIECES[2:4], 1.0),
        paged(3.0, "b", "tb", 4, PIECES[4:5], 2.9), ended(9.0, "b", "tb", "running"),  # then nothing: stopped
        # c: re-asked after the crash, a new task from chunk 0: restarted
        *submit(0.1, "c", "tc"), paged(0.7, "c", "tc", 0, PIECES[:4], 0.65),
        *submit(3.0, "c", "tc2")[1:], paged(3.5, "c", "tc2", 0, PIECES, 3.45, "completed"), ended(3.6, "c", "tc2"),
        # d: chunks 2..3 never shown, the page jumps to chunk 4: skipped
        *submit(0.1, "d", "td"), paged(0.8, "d", "td", 0, PIECES[:2], 0.75), paged(3.0, "d", "td", 4, PIECES[4:], 2.95, "completed"),
        ended(3.1, "d", "td"),
        # e: nothing after the fault; f: ended before the fault, not in flight; g: accepted after it
        *submit(0.1, "e", "te"), paged(0.8, "e", "te", 0, PIECES[:1], 0.75),
        *submit(0.1, "f", "tf"), paged(0.5, "f", "tf", 0, PIECES, 0.45, "completed"), ended(0.6, "f", "tf"),
        *submit(2.0, "g", "tg"), paged(2.5, "g", "tg", 0, PIECES, 2.45, "completed"), ended(2.6, "g", "tg"),
    ]
    [fault] = faults_of(events)
    points = {p.request: (p.chunks_shown, p.resumed_at, p.how) for p in hit_points(fault, request_results(events, EXPECT))}
    assert points == {"a": (3, 3, "continued"), "b": (4, 4, "stopped"), "c": (4, 0, "restarted"), "d": (2, 4, "skipped"), "e": (1, None, "never")}
    [summary] = cell_metrics(events, [], EXPECT)["hit_points"]
    assert summary["inflight"] == 5 and summary["chunks_shown"] == {"min": 1, "median": 3, "max": 4}
    assert summary["resumed_at"] == {"min": 0, "median": 3.5, "max": 4}
    assert {how: summary[how] for how in HOWS} == {"continued": 1, "stopped": 1, "restarted": 1, "skipped": 1, "never": 1}


def test_a_cell_without_a_request_in_flight_at_the_fault_says_so():
    events = [*FAULT, *submit(0.1, "a", "ta"), paged(0.5, "a", "ta", 0, PIECES, 0.45, "completed"), ended(0.6, "a", "ta")]
    assert cell_metrics(events, [], EXPECT)["hit_points"] == [{"fault": 0, "action": "kill", "inflight": 0}]


# -- the browser users' pages (f5-browser) ------------------------------------------------

WORDS = " ".join(ANSWER.split())  # the answer as a page renders it


def page_submit(t: float, n: int, task: str, refresh_of: str | None = None) -> list[Event]:
    who, request = f"browser-{n}", f"r-page-{n}-0"
    return [
        ev(t, who, "invoke", "submit", None, request=request, prompt=PROMPT, provider="openai", model="gpt-4o", max_tokens=None, refresh_of=refresh_of),
        ev(t + 0.01, who, "ok", "submit", task, request=request, status=None),
    ]


def page(t: float, n: int, task: str, answer: str, status: str | None = "running", **more) -> Event:
    return ev(t, f"browser-{n}", "ok", "page", task, request=f"r-page-{n}-0", answer=answer, status=status, **more)


def f5(t: float, n: int, task: str, mode: str) -> Event:
    return ev(t, f"browser-{n}", "info", "refresh", task, request=f"r-page-{n}-0", mode=mode, chars_shown=HALF, shot=f"pages/shots/{n}-before.png")


def page_end(t: float, n: int, task: str, status: str = "completed") -> Event:
    return ev(t, f"browser-{n}", "ok", "status", task, request=f"r-page-{n}-0", status=status)


def users_done() -> list[Event]:
    return [*submit(0.0, "u", "tu"), shown(0.5, "u", "tu", 0, ANSWER, "completed"), ended(0.6, "u", "tu")]


def test_a_page_that_asked_again_after_f5_is_correct_and_its_second_generation_is_counted():
    events = [
        *users_done(),
        *page_submit(1.0, 0, "p1"), page(1.5, 0, "p1", WORDS[:HALF]), f5(1.6, 0, "p1", "reask"),
        page(1.8, 0, "p1", "", None, after_refresh=True, shot="pages/shots/0-after.png"),
        *page_submit(2.0, 0, "p2", refresh_of="p1"), page(2.5, 0, "p2", WORDS[:10]), page(3.0, 0, "p2", WORDS, "completed"), page_end(3.1, 0, "p2"),
    ]  # fmt: skip
    ledger = [row("c0", "tu", "completed", 0.001, 0.5), row("c1", "p1", "completed", 0.001, 1.9), row("c2", "p2", "completed", 0.001, 3.0)]
    m = cell_metrics(events, ledger, EXPECT, Expectations(planned=1, locust_exit_code=0, pages_planned=1, pages_exit_code=0))
    p = m["pages"]
    assert m["errors"] == [] and m["unattributed_calls"] == 0 and m["llm_calls"] == 1  # the users' figures stay the users'
    assert (p["correct"], p["refreshes"], p["llm_calls"], p["regenerations"], p["data_loss_pct"]) == (1, 1, 2, 1, 0.0)
    assert p["ttft_p50_s"] == pytest.approx(0.5) and p["e2e_p50_s"] == pytest.approx(2.1)
    assert p["shots"] == [{"request": "r-page-0-0", "process": "browser-0", "before": "pages/shots/0-before.png", "before_chars": HALF,
                           "after": "pages/shots/0-after.png", "after_chars": 0}]  # fmt: skip


@pytest.mark.parametrize("mode", ["reattach", "remember"])  # the id kept in the address, or in the browser's storage
def test_a_reattached_page_that_shows_the_answer_twice_or_stops_short_is_a_loss(mode):
    def cell(last: str) -> dict:
        events = [
            *users_done(),
            *page_submit(1.0, 0, "p1"), page(1.5, 0, "p1", WORDS[:HALF]), f5(1.6, 0, "p1", mode), page(1.8, 0, "p1", "", None, after_refresh=True),
            page(2.5, 0, "p1", last, "completed"), page_end(2.6, 0, "p1"),
        ]  # fmt: skip
        return cell_metrics(events, [row("c0", "tu", "completed", 0.001, 0.5), row("c1", "p1", "completed", 0.001, 1.0)], EXPECT, Expectations(1, 0, 1, 0))

    whole, twice, short = cell(WORDS), cell(WORDS + " " + WORDS), cell(WORDS[:HALF])
    assert whole["pages"]["outcomes"]["correct"] == 1 and whole["pages"]["regenerations"] == 0 and whole["errors"] == []
    assert twice["pages"]["outcomes"]["duplicated"] == 1
    assert short["pages"]["outcomes"]["truncated"] == 1 and short["pages"]["data_loss_pct"] > 40

    assert [verdict(m) for m in (whole, twice, short)] == ["ok", "loss", "loss"]  # what a page showed counts in the cell's verdict


def test_pages_that_did_not_all_run_or_whose_browser_failed_make_the_cell_an_error():
    events = [*users_done(), *page_submit(1.0, 0, "p1"), page(1.5, 0, "p1", WORDS, "completed"), page_end(1.6, 0, "p1")]
    ledger = [row("c0", "tu", "completed", 0.001, 0.5), row("c1", "p1", "completed", 0.001, 1.0)]
    assert cell_metrics(events, ledger, EXPECT, Expectations(1, 0, 1, 0))["errors"] == []
    assert cell_metrics(events, ledger, EXPECT, Expectations(1, 0, 2, 0))["errors"] == ["only 1 of the 2 planned browser requests ran: see pages/pages.log"]
    assert "the browser users exited with code 1" in cell_metrics(events, ledger, EXPECT, Expectations(1, 0, 1, 1))["errors"][0]
    unended = [e for e in events if e.f != "status" or e.process.startswith("client-")]
    assert cell_metrics(unended, ledger, EXPECT, Expectations(1, 0, 1, 0))["errors"] == ["1 accepted browser requests never ended: the browser users stopped before them"]


def _cut(unsynced: int, **left: int) -> dict:
    by_volume = {"storage": {k: left.get(k, 0) for k in ("missing", "empty", "truncated", "reverted", "back")}}
    return {"namespace_ops_dropped": 2, "files_with_unsynced_data": 1, "unsynced_bytes": unsynced, "files": [], "ops": [],
            "left": {"files_compared": 3, **left, "by_volume": by_volume, "examples": [{"path": "storage/a", "kind": "empty"}]}}


def test_power_cuts_are_read_from_the_recovery_lines_and_summed_per_cell_and_over_repetitions():
    from llmchaos.metrics import cut_records, power_cuts

    events = [
        ev(1.0, "nemesis", "ok", "power-cut", None, fault=0, phase="fire"),
        ev(2.0, "nemesis", "ok", "start", None, fault=0, phase="recover", power_cut=_cut(100, empty=1, truncated=1)),
        ev(3.0, "nemesis", "ok", "start", None, fault=1, phase="recover"),  # a plain restart: no cut
    ]
    one = power_cuts(cut_records(events))
    assert one["cuts"] == 1 and one["unsynced_bytes"] == 100 and one["namespace_ops_dropped"] == 2
    assert one["left"]["empty"] == 1 and one["left"]["truncated"] == 1 and one["left"]["missing"] == 0
    two = power_cuts([one, power_cuts([_cut(50, missing=2)])])  # a cell's repetitions pooled
    assert two["cuts"] == 2 and two["unsynced_bytes"] == 150 and two["left"]["files_compared"] == 6
    assert two["left"]["by_volume"] == {"storage": {"missing": 2, "empty": 1, "truncated": 1, "reverted": 0, "back": 0}}
    assert power_cuts(cut_records(events[2:])) is None and power_cuts([None, None]) is None
