"""The cell metrics on hand-made histories and ledgers whose right answer is known."""

from __future__ import annotations

import pytest

from llmchaos.checker import expectation
from llmchaos.history import Event
from llmchaos.metrics import cell_metrics, faults_of, percentile
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


def row(call: str, task: str, outcome: str, cost: float, end: float, text: str = ANSWER) -> dict:
    return {"call_id": call, "task_id": task, "outcome": outcome, "cost_usd": cost, "end": end, "text_sha256": text_sha256(text)}


FAULT = [
    ev(1.0, "nemesis", "invoke", "kill", fault=0, action="kill", phase="fire"),
    ev(1.02, "nemesis", "ok", "kill", fault=0, action="kill", phase="fire"),
    ev(1.1, "probe", "info", "health", fault=0, healthy=False, services={"backend": False}),
    ev(2.0, "nemesis", "ok", "start", fault=0, action="kill", phase="recover"),
    ev(2.5, "probe", "info", "health", fault=0, healthy=True, recovered=True, services={"backend": True}),
]


def test_the_four_recovery_times_of_a_crash_that_a_task_survives():
    events = [
        *submit(0.2, "a", "t1"),
        shown(0.5, "a", "t1", 0, ANSWER[:HALF]),
        *FAULT,
        shown(3.0, "a", "t1", 1, ANSWER[HALF:]),  # in flight at the fault: resumes at +2.0
        ended(3.5, "a", "t1"),  # and completes at +2.5
        *submit(2.8, "b", "t2"),
        shown(3.3, "b", "t2", 0, ANSWER),
        ended(4.0, "b", "t2"),  # the first request after the fault, served at +3.0
    ]
    [fault] = faults_of(events)
    assert (fault.fired_t, fault.recovered_t, fault.healthy_t) == (1.0, 2.0, 2.5)
    m = cell_metrics(events, [], EXPECT)
    assert m["recovery_s"] == [{"health": 1.5, "first_ok": 3.0, "inflight_resume": 2.0, "inflight_complete": 2.5, "fault": 0, "action": "kill"}]
    assert (m["tasks_correct"], m["tasks_lost"], m["data_loss_pct"]) == (2, 0, 0.0)


def test_a_task_lost_at_the_crash_never_resumes_and_its_generation_is_wasted():
    events = [*submit(0.2, "a", "t1"), *FAULT,
              shown(2.6, "a", "t1", 0, ANSWER[:HALF]),  # saved before the crash, read after the restart: not a resume
              ev(20.0, "client-a", "fail", "status", "t1", request="a", error="no new chunk for 20s")]  # fmt: skip
    ledger = [row("c1", "t1", "client_aborted", 0.004, 1.0)]
    m = cell_metrics(events, ledger, EXPECT)
    assert m["tasks_lost"] == 1 and m["data_loss_pct"] == pytest.approx(100 * (len(ANSWER) - HALF) / len(ANSWER))
    assert m["recovery_s"][0]["inflight_resume"] is None and m["recovery_s"][0]["first_ok"] is None
    assert (m["llm_cost_usd"], m["wasted_cost_usd"], m["cost_per_correct_usd"]) == (0.004, 0.004, None)


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


def test_duplicated_and_acknowledged_losses_are_counted_in_chunks():
    events = [
        *submit(0.1, "a", "t1"),
        shown(0.5, "a", "t1", 0, ANSWER[:HALF]),
        shown(0.6, "a", "t1", 0, ANSWER[:HALF]),  # the same chunk shown again
        shown(0.7, "a", "t1", 1, ANSWER[HALF:], status="completed"), ended(0.8, "a", "t1"),
        *submit(1.0, "b", "t2"), shown(1.2, "b", "t2", 0, ANSWER[:HALF]),
        ev(1.3, "client-b", "info", "refresh", "t2", request="b", mode="reattach"),
        shown(1.5, "b", "t2", 1, ANSWER[HALF:], status="completed"), ended(1.6, "b", "t2"),  # chunk 0 is gone after the refresh
    ]  # fmt: skip
    m = cell_metrics(events, [], EXPECT)
    assert m["outcomes"]["duplicated"] == 1 and m["duplicate_chunks"] == 1
    assert m["acknowledged_loss_chunks"] == 1 and m["outcomes"]["corrupt"] == 1


def test_latency_percentiles_are_exact_nearest_rank_values():
    assert (percentile([4.0, 1.0, 3.0, 2.0], 50), percentile([4.0, 1.0, 3.0, 2.0], 99), percentile([], 50)) == (2.0, 4.0, None)
    events = []
    for i, (first, end) in enumerate([(0.3, 1.0), (0.5, 2.0), (0.4, 1.5)]):
        events += [*submit(10.0 * i, str(i), f"t{i}"), shown(10.0 * i + first, str(i), f"t{i}", 0, ANSWER, status="completed"), ended(10.0 * i + end, str(i), f"t{i}")]
    m = cell_metrics(events, [], EXPECT)
    assert (m["ttft_p50_s"], m["ttft_p99_s"], m["e2e_p50_s"], m["e2e_p99_s"]) == pytest.approx((0.4, 0.5, 1.5, 2.0))
