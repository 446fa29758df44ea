"""The DBOS stack on both runtimes: what DBOS's recovery and durable streams give, tested.

The provider's ledger is the witness of re-generation (one row per LLM call, billed to
the workflow id); the page's chunks are the witness of continuity (each chunk once, the
exact answer).
"""

from __future__ import annotations

import httpx
from conftest import wait_until
from stack_api import assert_exact_answer, chunks_count, ledger, status_of, submit

STACK = "dbos"
# 200 tokens (about 1,100 characters, some 22 chunks) at 30 ms a token: 6 s of streaming
SLOW = {"LLM_OUTPUT_TOKENS": "200", "LLM_ITL_MS": "30"}


def test_a_worker_killed_mid_stream_leaves_the_page_readable_and_its_restart_recovers_the_answer(deploy):
    stack = deploy(STACK, **SLOW)
    prompt = "Stream me through a crash"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 3, timeout=60, what="chunks being written")
    stack.kill("worker")
    code, body = status_of(stack, workflow_id)
    assert code == 200 and body["status"] == "generating" and body["chunks_count"] >= 3, "read from PostgreSQL with no worker"
    stack.start("worker")
    assert_exact_answer(stack, workflow_id, prompt, 200)
    rows = ledger(stack, workflow_id)
    assert [r["outcome"] for r in rows] == ["client_aborted", "completed"], "the recovered step streams the answer again"


def test_a_worker_killed_after_the_answer_generates_nothing_again(deploy):
    stack = deploy(STACK, LLM_OUTPUT_TOKENS="60")
    prompt = "Finish, then crash"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: status_of(stack, workflow_id)[1].get("status") == "completed", timeout=60, what="the answer complete")
    stack.kill("worker")
    stack.start("worker")
    assert_exact_answer(stack, workflow_id, prompt, 60)
    assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"]


def test_a_task_started_while_no_worker_runs_waits_in_the_queue_and_completes(deploy):
    stack = deploy(STACK)
    stack.kill("worker")
    prompt = "Queued while the workers are down"
    workflow_id = submit(stack, prompt)
    assert status_of(stack, workflow_id)[1]["status"] == "started", "accepted and queued in PostgreSQL"
    stack.start("worker")
    assert_exact_answer(stack, workflow_id, prompt, 40)


def test_a_postgres_restart_mid_stream_does_not_lose_the_answer(deploy):
    stack = deploy(STACK, **SLOW)
    prompt = "Lose the database for a moment"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 3, timeout=60, what="chunks being written")
    stack.kill("postgres")
    assert httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/status", timeout=30).status_code == 503
    stack.start("postgres")
    stack.wait_healthy(["postgres"])
    assert_exact_answer(stack, workflow_id, prompt, 200)
    assert [r["outcome"] for r in ledger(stack, workflow_id)][-1] == "completed"
