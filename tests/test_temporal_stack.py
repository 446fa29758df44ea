"""The Temporal stack on both runtimes: the seeds' recovery claims, tested.

The provider's ledger is the witness of re-generation: one row per LLM call, billed to
the workflow id. Timeouts are shortened through the stack's own configuration (the
TEMPORAL_* variables) so a retry after a crash comes in seconds, not minutes.
"""

from __future__ import annotations

import time

import httpx

from stacks.common.chat_api import split_into_chunks
from stacks.llm import expected_text

from conftest import wait_until
from stack_api import client_for, ledger, read_all, submit

# 200 tokens (about 1,100 characters, some 25 chunks) saved 0.1 s apart: crashes can land
# after the generation and before the last chunk.
SLOW_SAVES = {"LLM_OUTPUT_TOKENS": "200", "TEMPORAL_CHUNK_INTERVAL_S": "0.1", "TEMPORAL_RETRY_INITIAL_S": "0.5", "TEMPORAL_SAVE_TIMEOUT_S": "3"}


def status_of(stack, workflow_id: str) -> dict:
    response = httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/status", timeout=30)
    return response.json() if response.status_code == 200 else {"status": f"http {response.status_code}"}


def assert_answer(stack, workflow_id: str, prompt: str, tokens: int) -> None:
    chunks, statuses = read_all(stack, workflow_id, through_outages=True)
    text = expected_text(prompt, "gpt-4o", output_tokens=tokens)
    assert statuses[-1] == "completed", statuses
    assert [c["text"] for c in chunks] == split_into_chunks(text)


def test_a_worker_killed_after_the_generation_resumes_without_a_new_llm_call(deploy):
    stack = deploy("temporal", **SLOW_SAVES)
    prompt = "Write an essay about AI"
    workflow_id = submit(stack, prompt)
    wait_until(lambda: status_of(stack, workflow_id).get("chunks_count", 0) >= 3, timeout=60, what="chunks being saved")
    stack.kill("worker")
    started = time.monotonic()
    # with no worker, nobody can answer the seeds' queries: a prompt 503, not a hang
    response = httpx.get(stack.url("backend") + f"/api/workflows/{workflow_id}/status", timeout=30)
    assert response.status_code == 503 and "worker" in response.json()["detail"]
    assert time.monotonic() - started < 20
    stack.start("worker")
    assert_answer(stack, workflow_id, prompt, 200)
    assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"], "no re-generation"


def test_a_worker_killed_during_the_generation_generates_again_and_completes(deploy):
    stack = deploy("temporal", LLM_ITL_MS="50", LLM_OUTPUT_TOKENS="60", TEMPORAL_GENERATE_TIMEOUT_S="5", TEMPORAL_RETRY_INITIAL_S="0.5")
    prompt = "Crash me while you think"
    workflow_id = submit(stack, prompt)
    llm = stack.url("llm")
    wait_until(
        lambda: any(c["task_id"] == workflow_id and c["tokens_sent"] >= 5 for c in httpx.get(llm + "/admin/inflight").json()["calls"]),
        timeout=60,
        what="the generation to be under way",
    )
    stack.kill("worker")
    stack.start("worker")
    assert_answer(stack, workflow_id, prompt, 60)
    rows = ledger(stack, workflow_id)
    assert [r["outcome"] for r in rows] == ["client_aborted", "completed"], "the interrupted call, then the second generation"
    assert 5 <= rows[0]["completion_tokens"] < 60


def test_running_workflows_survive_a_temporal_server_restart(deploy):
    stack = deploy("temporal", **SLOW_SAVES)
    prompts = ["first through the outage", "second through the outage"]
    ids = [submit(stack, p) for p in prompts]
    wait_until(lambda: all(status_of(stack, w).get("chunks_count", 0) >= 2 for w in ids), timeout=60, what="both workflows saving")
    stack.kill("temporal")
    stack.start("temporal")
    stack.wait_healthy(["temporal"])
    for workflow_id, prompt in zip(ids, prompts):
        assert_answer(stack, workflow_id, prompt, 200)
        assert [r["outcome"] for r in ledger(stack, workflow_id)] == ["completed"]


def test_the_web_ui_answers_and_lists_the_workflows(deploy):
    stack = deploy("temporal")
    workflow_id = submit(stack, "show me in the UI")
    read_all(stack, workflow_id)
    ui = f"http://127.0.0.1:{stack.ports['TEMPORAL_UI_PORT']}"
    page = httpx.get(ui + "/", timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()
    listed = httpx.get(ui + "/api/v1/namespaces/default/workflows", timeout=30).json()
    assert workflow_id in [e["execution"]["workflowId"] for e in listed["executions"]]


def test_a_batch_runs_each_chat_as_a_child_workflow(deploy):
    stack = deploy("temporal")
    prompts = ["batch one", "batch two"]
    response = httpx.post(stack.url("backend") + "/api/workflows/batch", json={"chats": [{"prompt": p} for p in prompts]}, timeout=30)
    assert response.status_code == 200
    children = response.json()["children"]
    for child, prompt in zip(children, prompts):
        wait_until(lambda: status_of(stack, child).get("status") == "completed", timeout=90, what=f"child {child}")
        assert_answer(stack, child, prompt, 40)
    # the batch itself has no chat status: a 404 that names the children (it was a 503 "query failed")
    response = httpx.get(stack.url("backend") + f"/api/workflows/{response.json()['workflow_id']}/status", timeout=30)
    assert response.status_code == 404 and children[0] in response.json()["detail"], response.text


def test_cancel_stops_a_workflow_between_chunks(deploy):
    stack = deploy("temporal", LLM_OUTPUT_TOKENS="200", TEMPORAL_CHUNK_INTERVAL_S="0.5")
    workflow_id = submit(stack, "cancel me")
    wait_until(lambda: status_of(stack, workflow_id).get("chunks_count", 0) >= 1, timeout=60, what="the first chunk")
    assert httpx.post(stack.url("backend") + f"/api/workflows/{workflow_id}/cancel", timeout=30).status_code == 200
    chunks, statuses = read_all(stack, workflow_id)
    assert statuses[-1] == "cancelled" and 1 <= len(chunks) < status_of(stack, workflow_id)["total_chunks"]
    assert client_for(stack).status(workflow_id)["status"] == "cancelled"
