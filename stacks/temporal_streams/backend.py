"""The backend: starts workflows on Temporal, reads answers from the chunk log.

The same workflow API as the seeds' Temporal stack (``POST /api/workflows/start``,
``GET /api/workflows/{id}/status``, ``GET /api/workflows/{id}/chunks?from_id=N``), so the
same front end and load users drive both. The difference is where reads go: PostgreSQL,
not workflow queries. A refreshed page (or any reader) gets its task's status and chunks
while every worker is down, and while the Temporal server is down; only starting a new
answer needs Temporal. Every page carries the task's ``generation``: when it changes, the
answer was rewritten by a retry whose text differed, and the page must read it from
chunk 0 again.

- ``GET /health``: 200 when PostgreSQL and the Temporal server answer, with the number of
  workflow pollers; 503 naming what is down otherwise.
"""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from stacks.common.chat_api import ChatRequest
from stacks.common.temporal_client import LazyClient, Unavailable
from stacks.common.web import FromId, TaskId, install_error_handlers, responses
from stacks.temporal.shared import prompt_too_large  # Temporal's payload limits: the prompt travels in the workflow input

from .chunk_log import ChunkLog, LogDown
from .shared import TASK_QUEUE, StreamInput, StreamPolicy
from .workflows import StreamingChatWorkflow

ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233")
NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")
RPC_TIMEOUT = timedelta(seconds=5)
log = ChunkLog(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
_temporal = LazyClient(ADDRESS, NAMESPACE)


@asynccontextmanager
async def lifespan(app: FastAPI):
    await log.open()
    yield
    await log.close()


app = FastAPI(title="Chatbot Temporal streams backend", version="1.0.0", lifespan=lifespan)
install_error_handlers(app)


@app.exception_handler(Unavailable)
@app.exception_handler(LogDown)
async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def client() -> Client:
    """The Temporal client, connected on first use (the server may start after us)."""
    return await _temporal.get()


@app.get("/")
async def root() -> dict[str, Any]:
    return {
        "service": "chatbot-temporal-streams",
        "version": app.version,
        "endpoints": ["POST /api/workflows/start", "GET /api/workflows/{id}/status", "GET /api/workflows/{id}/chunks", "GET /health"],
    }


@app.get("/health", responses=responses(503))
async def health() -> JSONResponse:
    try:
        await log.ping()
        service = (await client()).workflow_service
        await service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=2))
        described = await service.describe_task_queue(
            DescribeTaskQueueRequest(namespace=NAMESPACE, task_queue=TaskQueue(name=TASK_QUEUE), task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            timeout=timedelta(seconds=2),
        )
    except (Unavailable, LogDown, RPCError) as exc:
        return JSONResponse({"status": "degraded", "service": "backend", "down": str(exc)}, status_code=503)
    return JSONResponse({"status": "healthy", "service": "backend", "postgres": "ok", "temporal": "ok", "workflow_pollers": len(described.pollers)})


@app.post("/api/workflows/start", responses=responses(400, 413, 503))
async def start(request: ChatRequest) -> dict[str, Any]:
    problem = prompt_too_large(request.prompt)
    if problem:
        raise HTTPException(status_code=413, detail=problem)
    task_id = f"stream-{uuid.uuid4()}"
    policy = StreamPolicy.from_env()
    chat = StreamInput(task_id, request.prompt, request.provider, request.model, request.temperature, request.max_tokens, policy)
    await log.create(task_id, request.provider, request.model)  # first: the worker's first write finds its row
    try:
        handle = await (await client()).start_workflow(
            StreamingChatWorkflow.run,
            chat,
            id=task_id,
            task_queue=TASK_QUEUE,
            execution_timeout=timedelta(seconds=policy.execution_timeout_s),
            rpc_timeout=RPC_TIMEOUT,
        )
    except (RPCError, Unavailable) as exc:
        await log.forget(task_id)
        raise Unavailable(f"temporal unavailable: {getattr(exc, 'message', exc)}") from exc
    return {"workflow_id": task_id, "run_id": handle.result_run_id, "status": "started"}


async def _task(task_id: str) -> dict[str, Any]:
    task = await log.task(task_id)
    if task is None:
        raise HTTPException(status_code=404, detail=f"workflow {task_id} not found")
    done, total = task["chunks_count"], task["total_chunks"]
    return {
        "workflow_id": task_id,
        "status": task["status"],
        "progress": round(100 * done / total) if total else 0,
        "chunks_count": done,
        "total_chunks": total or 0,
        "generation": task["generation"],
        "attempt": task["attempt"],
        **({"error": task["error"]} if task["error"] else {}),
    }


@app.get("/api/workflows/{workflow_id}/status", responses=responses(404, 503))
async def status(workflow_id: TaskId) -> dict[str, Any]:
    return await _task(workflow_id)


@app.get("/api/workflows/{workflow_id}/chunks", responses=responses(404, 503))
async def chunks(workflow_id: TaskId, from_id: FromId = 0) -> dict[str, Any]:
    state = await _task(workflow_id)  # status first: once "completed", every chunk is there
    return {**state, "chunks": await log.chunks(workflow_id, from_id)}
