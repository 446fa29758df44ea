"""The seeds' Temporal stack backend: a FastAPI app that is only a Temporal client.

- ``POST /api/workflows/start``: starts ``ChatStreamingWorkflow`` (id ``chat-<uuid>``, task
  queue ``chat-queue``, execution timeout 10 minutes by default) and returns its id.
- ``GET /api/workflows/{id}/status``: the ``get_status`` query.
- ``GET /api/workflows/{id}/chunks?from_id=N``: the ``get_status`` then ``get_chunks`` queries
  (status first: once "completed", every chunk is there).
- ``POST /api/workflows/{id}/cancel``: the ``cancel`` signal. ``POST /api/workflows/batch``:
  ``BatchChatWorkflow`` over several requests (beyond the seeds' list, same workflows).
- ``GET /health``: 200 when the Temporal server answers, with the number of workers polling.

A prompt too large for a Temporal payload is refused with a 413 naming the limits
(``shared.prompt_too_large``) before any workflow starts.

Queries are answered by a worker replaying the workflow: while no worker polls, the status
and chunks of every workflow are unreadable (503 here). That is a property of the seeds'
design the matrix measures, not something this backend hides.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from stacks.common.chat_api import ChatRequest
from stacks.common.temporal_client import LazyClient, Unavailable
from stacks.common.web import FromId, TaskId, install_error_handlers, responses

from .shared import MAX_BATCH_PAYLOAD_BYTES, TASK_QUEUE, BatchInput, ChatInput, WorkflowSettings, payload_bytes, prompt_too_large
from .workflows import BatchChatWorkflow, ChatStreamingWorkflow

ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233")
NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")
QUERY_TIMEOUT = timedelta(seconds=float(os.environ.get("TEMPORAL_QUERY_TIMEOUT_S", "5")))

app = FastAPI(title="Chatbot Temporal backend", version="1.0.0")
install_error_handlers(app)
_temporal = LazyClient(ADDRESS, NAMESPACE)


@app.exception_handler(Unavailable)
async def unavailable(request: Request, exc: Unavailable) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def client() -> Client:
    """The Temporal client, connected on first use (the server may start after us)."""
    return await _temporal.get()


def _chat_input(request: ChatRequest, which: str = "") -> ChatInput:
    """The workflow input; a prompt too large for a Temporal payload is a 413 here, before
    anything starts (Temporal itself would refuse it as an unavailable server would)."""
    problem = prompt_too_large(request.prompt)
    if problem:
        raise HTTPException(status_code=413, detail=f"{which}{problem}")
    return ChatInput(request.prompt, request.provider, request.model, request.temperature, request.max_tokens, WorkflowSettings.from_env())


async def _query(workflow_id: str, query) -> Any:
    handle = (await client()).get_workflow_handle(workflow_id)
    try:
        return await handle.query(query, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(status_code=404, detail=f"workflow {workflow_id} not found") from exc
        raise Unavailable(f"the workflow's state could not be read ({exc.status.name}: {exc.message}); a worker must be polling {TASK_QUEUE} to answer") from exc
    except WorkflowQueryFailedError as exc:
        await _not_a_chat_workflow(handle)
        raise Unavailable(f"query failed: {exc}") from exc


async def _not_a_chat_workflow(handle) -> None:
    """A 404 when the id names a workflow of another type (a batch has no chat status):
    the client asked for the wrong id, the server is fine."""
    try:
        kind = (await handle.describe(rpc_timeout=QUERY_TIMEOUT)).workflow_type
    except RPCError:
        return
    if kind != ChatStreamingWorkflow.__name__:
        raise HTTPException(
            status_code=404,
            detail=f"workflow {handle.id} is a {kind}, not a chat: only chats have a status and chunks"
            + (f" (read its children {handle.id}-0, {handle.id}-1, ...)" if kind == BatchChatWorkflow.__name__ else ""),
        )


@app.get("/")
async def root() -> dict[str, Any]:
    return {
        "service": "chatbot-temporal",
        "version": app.version,
        "endpoints": ["POST /api/workflows/start", "GET /api/workflows/{id}/status", "GET /api/workflows/{id}/chunks", "GET /health"],
    }


@app.get("/health", responses=responses(503))
async def health() -> JSONResponse:
    try:
        service = (await client()).workflow_service
        await service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=2))
        described = await service.describe_task_queue(
            DescribeTaskQueueRequest(namespace=NAMESPACE, task_queue=TaskQueue(name=TASK_QUEUE), task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            timeout=timedelta(seconds=2),
        )
    except (Unavailable, RPCError) as exc:
        return JSONResponse({"status": "degraded", "service": "backend", "temporal": f"down: {exc}"}, status_code=503)
    return JSONResponse({"status": "healthy", "service": "backend", "temporal": "ok", "workflow_pollers": len(described.pollers)})


@app.post("/api/workflows/start", responses=responses(400, 413, 503))
async def start(request: ChatRequest) -> dict[str, Any]:
    workflow_id = f"chat-{uuid.uuid4()}"
    chat = _chat_input(request)
    try:
        handle = await (await client()).start_workflow(
            ChatStreamingWorkflow.run,
            chat,
            id=workflow_id,
            task_queue=TASK_QUEUE,
            execution_timeout=timedelta(seconds=chat.settings.execution_timeout_s),
        )
    except RPCError as exc:
        raise Unavailable(f"temporal unavailable: {exc.message}") from exc
    return {"workflow_id": workflow_id, "run_id": handle.result_run_id, "status": "started"}


@app.get("/api/workflows/{workflow_id}/status", responses=responses(404, 503))
async def status(workflow_id: TaskId) -> dict[str, Any]:
    return await _query(workflow_id, ChatStreamingWorkflow.get_status)


@app.get("/api/workflows/{workflow_id}/chunks", responses=responses(404, 503))
async def chunks(workflow_id: TaskId, from_id: FromId = 0) -> dict[str, Any]:
    state = await _query(workflow_id, ChatStreamingWorkflow.get_status)
    saved = await _query(workflow_id, ChatStreamingWorkflow.get_chunks)
    return {**state, "chunks": [c for c in saved if c["chunk_id"] >= from_id]}


@app.post("/api/workflows/{workflow_id}/cancel", responses=responses(404, 503))
async def cancel(workflow_id: TaskId) -> dict[str, Any]:
    try:
        await (await client()).get_workflow_handle(workflow_id).signal(ChatStreamingWorkflow.cancel)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(status_code=404, detail=f"workflow {workflow_id} not found") from exc
        raise Unavailable(f"temporal unavailable: {exc.message}") from exc
    return {"workflow_id": workflow_id, "status": "cancelling"}


class BatchRequest(BaseModel):
    chats: list[ChatRequest] = Field(min_length=1, max_length=100)


@app.post("/api/workflows/batch", responses=responses(400, 413, 503))
async def batch(request: BatchRequest) -> dict[str, Any]:
    workflow_id = f"batch-{uuid.uuid4()}"
    chats = [_chat_input(chat, f"chats[{i}]: ") for i, chat in enumerate(request.chats)]
    total = sum(payload_bytes(chat.prompt) for chat in chats)
    if total > MAX_BATCH_PAYLOAD_BYTES:
        raise HTTPException(
            status_code=413,
            detail=f"the batch's prompts take {total:,} bytes as one Temporal payload; a batch accepts at most "
            f"{MAX_BATCH_PAYLOAD_BYTES:,} (Temporal fails at 2 MB per payload): split it into smaller batches",
        )
    try:
        await (await client()).start_workflow(
            BatchChatWorkflow.run,
            BatchInput(chats),
            id=workflow_id,
            task_queue=TASK_QUEUE,
            execution_timeout=timedelta(seconds=max(c.settings.execution_timeout_s for c in chats)),
        )
    except RPCError as exc:
        raise Unavailable(f"temporal unavailable: {exc.message}") from exc
    return {"workflow_id": workflow_id, "children": [f"{workflow_id}-{i}" for i in range(len(chats))], "status": "started"}
