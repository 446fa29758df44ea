"""The backend: enqueues chat workflows with a DBOS client, reads answers from PostgreSQL.

The seeds' workflow API (``POST /api/workflows/start``, ``GET /api/workflows/{id}/status``,
``GET /api/workflows/{id}/chunks?from_id=N``), so the same front end and load users drive
it. The backend runs no workflow: ``DBOSClient.enqueue`` puts one on the ``chat`` queue,
which a worker dequeues. Reads are one SQL statement on DBOS's system tables
(``dbos.workflow_status``, and ``dbos.streams`` whose values the workflow writes as
portable JSON for readers in any language): a page is readable whenever PostgreSQL is,
workers up or not. DBOS's own stream reader waits for new values; a polling page wants
what is there now, with a timeout of its own.

A step that ran again after a crash appends its chunks again (``workflows.py``): the first
value of each ``chunk_id`` is kept.

- ``GET /health``: 200 when PostgreSQL answers; 503 naming it otherwise.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from dbos import DBOSClient, EnqueueOptions
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from stacks.common.chat_api import ChatRequest
from stacks.common.postgres import COMMAND_TIMEOUT_S, CONNECT_TIMEOUT_S, CONNECTION_ERRORS
from stacks.common.web import FromId, TaskId, install_error_handlers, responses

from .shared import APP_NAME, APP_VERSION, QUEUE, STREAM, WORKFLOW, database_url

STATUSES = {"ENQUEUED": "started", "DELAYED": "started", "PENDING": "generating", "SUCCESS": "completed", "ERROR": "failed",
            "CANCELLED": "cancelled", "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed"}  # fmt: skip
_pool: asyncpg.Pool | None = None
_client: DBOSClient | None = None
_client_lock = asyncio.Lock()


@asynccontextmanager
async def lifespan(app: FastAPI):
    global _pool
    _pool = await asyncpg.create_pool(database_url(), min_size=0, max_size=10, timeout=CONNECT_TIMEOUT_S, command_timeout=COMMAND_TIMEOUT_S)
    yield
    await _pool.close()
    if _client is not None:
        await asyncio.to_thread(_client.destroy)


app = FastAPI(title="Chatbot DBOS backend", version="1.0.0", lifespan=lifespan)
install_error_handlers(app)


class Unavailable(Exception):
    pass


@app.exception_handler(Unavailable)
async def unavailable(request: Request, exc: Unavailable) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _fetch(method: str, query: str, *args: Any) -> Any:
    assert _pool is not None
    try:
        async with _pool.acquire() as conn:
            return await getattr(conn, method)(query, *args)
    except CONNECTION_ERRORS as exc:
        await _pool.expire_connections()
        raise Unavailable(f"postgres unavailable: {type(exc).__name__}: {exc}".rstrip(": ")) from exc
    except asyncpg.exceptions.UndefinedTableError as exc:  # no worker has launched yet: DBOS creates its tables on launch
        raise Unavailable("DBOS's tables are not there yet: no worker has started") from exc


async def client() -> DBOSClient:
    """The DBOS client, connected on first use (PostgreSQL may start after us)."""
    global _client
    async with _client_lock:
        if _client is None:
            try:
                _client = await asyncio.wait_for(
                    asyncio.to_thread(lambda: DBOSClient(system_database_url=database_url(), application_name=APP_NAME)), CONNECT_TIMEOUT_S * 3
                )
            except Exception as exc:
                raise Unavailable(f"DBOS client could not connect: {type(exc).__name__}: {exc}") from exc
        return _client


@app.get("/")
async def root() -> dict[str, Any]:
    return {
        "service": "chatbot-dbos",
        "version": app.version,
        "endpoints": ["POST /api/workflows/start", "GET /api/workflows/{id}/status", "GET /api/workflows/{id}/chunks", "GET /health"],
    }


@app.get("/health", responses=responses(503))
async def health() -> JSONResponse:
    try:
        await _fetch("fetchval", "SELECT 1")
    except Unavailable as exc:
        return JSONResponse({"status": "degraded", "service": "backend", "down": str(exc)}, status_code=503)
    return JSONResponse({"status": "healthy", "service": "backend", "postgres": "ok"})


@app.post("/api/workflows/start", responses=responses(400, 503))
async def start(request: ChatRequest) -> dict[str, Any]:
    task_id = f"dbos-{uuid.uuid4()}"
    options: EnqueueOptions = {"workflow_name": WORKFLOW, "queue_name": QUEUE, "workflow_id": task_id, "app_version": APP_VERSION}
    dbos = await client()
    try:
        await asyncio.wait_for(
            dbos.enqueue_async(options, task_id, request.prompt, request.provider, request.model, request.temperature, request.max_tokens),
            COMMAND_TIMEOUT_S,
        )
    except Exception as exc:  # DBOS retries its database calls itself; a start that does not land in time is refused
        raise Unavailable(f"the workflow could not be enqueued: {type(exc).__name__}: {exc}") from exc
    return {"workflow_id": task_id, "status": "started"}


async def _state(task_id: str) -> dict[str, Any]:
    row = await _fetch("fetchrow", "SELECT status, error FROM dbos.workflow_status WHERE workflow_uuid = $1", task_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"workflow {task_id} not found")
    return {"workflow_id": task_id, "status": STATUSES.get(row["status"], row["status"].lower()), "dbos_status": row["status"],
            **({"error": row["error"][:500]} if row["error"] and row["status"] != "SUCCESS" else {})}  # fmt: skip


async def _chunks(task_id: str) -> list[dict[str, Any]]:
    """Each chunk once (a re-run step wrote them again: the first of each chunk_id kept), in order."""
    rows = await _fetch("fetch", 'SELECT value, serialization FROM dbos.streams WHERE workflow_uuid = $1 AND key = $2 ORDER BY "offset"', task_id, STREAM)
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["serialization"] != "portable_json":
            continue  # the sentinel closing the stream is portable too; nothing else is written here
        value = json.loads(row["value"])
        if isinstance(value, dict) and isinstance(value.get("chunk_id"), int) and value["chunk_id"] not in seen:
            seen[value["chunk_id"]] = {"chunk_id": value["chunk_id"], "text": value["text"]}
    return [seen[i] for i in sorted(seen)]


@app.get("/api/workflows/{workflow_id}/status", responses=responses(404, 503))
async def status(workflow_id: TaskId) -> dict[str, Any]:
    state = await _state(workflow_id)
    chunks = await _chunks(workflow_id)
    done = state["status"] == "completed"
    return {**state, "chunks_count": len(chunks), "total_chunks": len(chunks) if done else 0, "progress": 100 if done else 0}


@app.get("/api/workflows/{workflow_id}/chunks", responses=responses(404, 503))
async def chunks(workflow_id: TaskId, from_id: FromId = 0) -> dict[str, Any]:
    state = await _state(workflow_id)  # status first: once "completed", every chunk is there
    return {**state, "chunks": [c for c in await _chunks(workflow_id) if c["chunk_id"] >= from_id]}
