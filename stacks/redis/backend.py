"""The seeds' Redis stack backend: a Redis response cache in front of PostgreSQL storage.

As the seeds specify: ``POST /api/chat/generate`` looks the prompt up in Redis. A hit
creates a task already ``completed`` with ``cached: true``, its answer split into
50-character chunks, and costs no LLM call. A miss creates a ``running`` task and a
generation in an asyncio task of this process: each chunk is inserted into PostgreSQL as it
streams; at the end the answer is written to the cache, then the task marked completed.

Weaknesses kept, because the matrix measures them: the generation lives in this process
(a backend crash loses it and leaves the task "running"); a failure of PostgreSQL mid-
generation cannot even record that it failed; nothing resumes or deduplicates. Chunks
already stored survive a crash, unlike the MVP's.

Configuration: ``REDIS_URL``, ``DATABASE_URL``, ``CACHE_TTL_S``, plus the provider
settings of ``stacks.common.llm_clients``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from stacks.common.chat_api import ChatRequest, split_into_chunks
from stacks.common.llm_clients import default_clients
from stacks.common.web import FromId, TaskId, install_error_handlers, responses

from .cache import ResponseCache, cache_key
from .db import ChatDB, DependencyDown

log = logging.getLogger("stacks.redis")

db = ChatDB(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
cache = ResponseCache(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), int(os.environ.get("CACHE_TTL_S", "3600")))
_running: set[asyncio.Task] = set()


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    await db.open()
    with contextlib.suppress(DependencyDown):  # PostgreSQL may come later: every query retries the schema
        await db.ensure_schema()
    yield
    for task in list(_running):
        task.cancel()
    await db.close()
    await cache.close()


app = FastAPI(title="Chatbot Redis backend", version="1.0.0", lifespan=lifespan)
install_error_handlers(app)


@app.exception_handler(DependencyDown)
async def dependency_down(request: Request, exc: DependencyDown) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "dependency": exc.dependency}, status_code=503)


async def generate_with_cache_save(task_id: str, request: ChatRequest, key: str) -> None:
    """Stream the answer, storing each chunk; then cache it and mark the task completed."""
    chunk_id = 0
    parts: list[str] = []
    try:
        stream = default_clients().stream(
            request.provider, request.prompt, request.model, request.temperature, request.max_tokens, task_id=task_id
        )
        async with contextlib.aclosing(stream):  # stop the provider the moment we stop reading
            async for text in stream:
                await db.add_chunk(task_id, chunk_id, text)
                parts.append(text)
                chunk_id += 1
        await cache.put(key, "".join(parts), request.provider, request.model)
        await db.finish(task_id, "completed", chunk_id)
    except Exception as exc:
        try:
            await db.finish(task_id, "failed", chunk_id, f"{type(exc).__name__}: {exc}")
        except DependencyDown:
            log.error("task %s failed (%s) and PostgreSQL could not record it: it stays 'running'", task_id, exc)


@app.get("/")
async def root() -> dict[str, Any]:
    return {
        "service": "chatbot-redis",
        "version": app.version,
        "endpoints": [
            "POST /api/chat/generate",
            "GET /api/chat/status/{task_id}",
            "GET /api/chat/chunks/{task_id}",
            "GET /api/stats",
            "GET /health",
        ],
    }


@app.get("/health", responses=responses(503))
async def health() -> JSONResponse:
    report: dict[str, Any] = {"status": "healthy", "service": "backend", "running_tasks": len(_running)}
    for name, check in (("redis", cache.ping), ("postgres", db.ping)):
        try:
            await asyncio.wait_for(check(), timeout=2.0)
            report[name] = "ok"
        except (DependencyDown, asyncio.TimeoutError) as exc:
            report[name] = f"down: {exc}"
            report["status"] = "degraded"
    return JSONResponse(report, status_code=200 if report["status"] == "healthy" else 503)


@app.post("/api/chat/generate", responses=responses(400, 503))
async def start_generation(request: ChatRequest) -> dict[str, Any]:
    key = cache_key(request.prompt, request.provider, request.model)
    task_id = str(uuid.uuid4())
    hit = await cache.get(key)
    if hit is not None:
        await db.create_task(task_id, request.prompt, request.provider, request.model, "completed", True, split_into_chunks(hit["full_response"]))
        return {"task_id": task_id, "status": "completed", "cached": True}
    await db.create_task(task_id, request.prompt, request.provider, request.model, "running", False)
    task = asyncio.create_task(generate_with_cache_save(task_id, request, key))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return {"task_id": task_id, "status": "running", "cached": False}


async def _task_or_404(task_id: str) -> dict[str, Any]:
    task = await db.task(task_id)
    if task is None:
        raise HTTPException(status_code=404, detail=f"task {task_id} not found")
    return task


@app.get("/api/chat/status/{task_id}", responses=responses(404, 503))
async def task_status(task_id: TaskId) -> dict[str, Any]:
    task = await _task_or_404(task_id)
    task["task_id"] = task.pop("id")
    return task


@app.get("/api/chat/chunks/{task_id}", responses=responses(404, 503))
async def task_chunks(task_id: TaskId, from_id: FromId = 0) -> dict[str, Any]:
    task = await _task_or_404(task_id)  # the status first: once "completed", every chunk is visible
    chunks = await db.chunks(task_id, from_id)
    return {"task_id": task_id, "status": task["status"], "cached": task["cached"], "chunks": chunks, "total_chunks": task["total_chunks"]}


@app.get("/api/stats", responses=responses(503))
async def stats() -> dict[str, Any]:
    figures = await db.stats()
    looked_up = figures["cache_hits"] + figures["cache_misses"]
    return {
        **figures,
        "cache_hit_rate": figures["cache_hits"] / looked_up if looked_up else 0.0,
        "cached_responses": await cache.entries(),
        "running_in_this_process": len(_running),
    }
