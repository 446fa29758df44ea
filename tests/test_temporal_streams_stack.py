"""The Temporal-streams stack on both runtimes: what a durable chunk log changes, tested.

The provider's ledger is the witness of re-generation (one row per LLM call, billed to
the workflow id); the page's chunks are the witness of continuity (each chunk once, the
exact answer). Heartbeat and retry timeouts are shortened through the stack's STREAMS_*
variables so a retry after a crash comes within seconds.
"""

from __future__ import annotations

import httpx
from conftest import wait_until
from stack_api import assert_exact_answer, chunks_count, ledger, status_of, submit

from stacks.common.chat_api import split_into_chunks
from stacks.llm import expected_text

STACK = "temporal_streams"
# 200 tokens (about 1,100 characters, some 22 chunks) at 30 ms a token: 6 s of streaming
SLOW = {"LLM_OUTPUT_TOKENS": "200", "LLM_ITL_MS": "30", "STREAMS_HEARTBEAT_S": "1", "STREAMS_RETRY_INITIAL_S": "0.5"}


def test_a_worker_killed_mid_stream_leaves_the_page_readable_and_the_answer_completes(deploy):
    stack = deploy(STACK, **SLOW)
    prompt = "Stream me through a crash"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 3, timeout=60, what="chunks being written")
    stack.kill("worker")
    code, body = status_of(stack, workflow_id)
    assert code == 200 and body["status"] == "generating" and body["chunks_count"] >= 3, "read from PostgreSQL with no worker"
    page = httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/chunks", timeout=30).json()
    assert len(page["chunks"]) == body["chunks_count"]
    stack.start("worker")
    assert_exact_answer(stack, workflow_id, prompt, 200)
    rows = ledger(stack, workflow_id)
    assert [r["outcome"] for r in rows] == ["client_aborted", "completed"], "the stream is generated again (no provider resumes one)"
    assert status_of(stack, workflow_id)[1]["generation"] == 0, "the same text again: the log kept its chunks, no reset"


def test_a_worker_killed_after_its_last_chunk_generates_nothing_again(deploy):
    stack = deploy(STACK, LLM_OUTPUT_TOKENS="60")
    prompt = "Finish, then crash"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: status_of(stack, workflow_id)[1].get("status") == "completed", timeout=60, what="the answer complete")
    stack.kill("worker")
    stack.start("worker")
    assert_exact_answer(stack, workflow_id, prompt, 60)
    assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"]


def test_streams_go_on_and_pages_stay_readable_while_the_temporal_server_is_down(deploy):
    stack = deploy(STACK, **SLOW)
    prompt = "Keep streaming without the server"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 2, timeout=60, what="chunks being written")
    stack.kill("temporal")
    before = chunks_count(stack, workflow_id)
    wait_until(lambda: chunks_count(stack, workflow_id) > before + 2, timeout=30, what="chunks still written and read without Temporal")
    assert httpx.post(stack.url("backend") + "/api/workflows/start", json={"prompt": "a new one"}, timeout=30).status_code == 503, "only starting needs Temporal"
    stack.start("temporal")
    stack.wait_healthy(["temporal"])
    assert_exact_answer(stack, workflow_id, prompt, 200)
    assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"], "the stream never stopped"


def test_a_postgres_restart_mid_stream_pauses_the_stream_and_costs_nothing(deploy):
    stack = deploy(STACK, **SLOW)
    prompt = "Lose the database for a moment"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 3, timeout=60, what="chunks being written")
    stack.kill("postgres")
    assert httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/status", timeout=30).status_code == 503
    stack.start("postgres")
    stack.wait_healthy(["postgres"])
    assert_exact_answer(stack, workflow_id, prompt, 200)
    assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"], "the writes waited for PostgreSQL; the stream went on"


def test_a_retry_whose_text_differs_rewrites_the_log_under_a_new_generation(deploy):
    """A real LLM seldom answers twice alike: the fake provider's seed is changed while the
    worker is down, so the retried stream differs from the chunks already logged."""
    stack = deploy(STACK, **SLOW)
    prompt = "Answer differently the second time"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: chunks_count(stack, workflow_id) >= 3, timeout=60, what="chunks being written")
    stack.kill("worker")
    assert httpx.post(stack.url("llm") + "/admin/config", json={"seed": 7}, timeout=10).status_code == 200
    stack.start("worker")
    wait_until(lambda: status_of(stack, workflow_id)[1].get("status") == "completed", timeout=90, what="the retried answer")
    state = status_of(stack, workflow_id)[1]
    page = httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/chunks", timeout=30).json()
    assert state["generation"] == 1 and page["generation"] == 1, "readers are told to start again"
    assert [c["text"] for c in page["chunks"]] == split_into_chunks(expected_text(prompt, "gpt-4o", 7, output_tokens=200))
