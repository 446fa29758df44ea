"""The seeds' MVP backend: FastAPI, one asyncio task per generation, chunks in JSON files.

Built as ``../shared/seeds`` describe it, weaknesses included, because measuring them is
the point: the generation lives only in this process's memory (a crash loses it and
leaves its state file saying "running" forever), every chunk rewrites the task's whole
chunks file in place (no temporary file, no fsync), and the file I/O blocks the event
loop. Nothing here retries, resumes or deduplicates.

Files, in ``STORAGE_DIR`` (``/storage`` in the container): ``{task_id}_state.json`` and
``{task_id}_chunks.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException

from stacks.common.chat_api import ChatRequest
from stacks.common.llm_clients import default_clients
from stacks.common.web import FromId, TaskId, install_error_handlers, responses


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class SimpleStorage:
    """The seeds' storage class: one state file and one chunks file per task."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _state_path(self, task_id: str) -> Path:
        return self.root / f"{task_id}_state.json"

    def _chunks_path(self, task_id: str) -> Path:
        return self.root / f"{task_id}_chunks.json"

    def save_task_state(self, task_id: str, state: dict[str, Any]) -> None:
        with open(self._state_path(task_id), "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False)

    def get_task_state(self, task_id: str) -> dict[str, Any] | None:
        try:
            with open(self._state_path(task_id), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def save_chunk(self, task_id: str, chunk_id: int, text: str) -> None:
        chunks = self.get_chunks(task_id)
        chunks.append({"chunk_id": chunk_id, "text": text, "timestamp": _now()})
        with open(self._chunks_path(task_id), "w", encoding="utf-8") as f:
            json.dump(chunks, f, ensure_ascii=False)

    def get_chunks(self, task_id: str, from_id: int = 0) -> list[dict[str, Any]]:
        try:
            with open(self._chunks_path(task_id), encoding="utf-8") as f:
                chunks = json.load(f)
        except FileNotFoundError:
            return []
        return [c for c in chunks if c["chunk_id"] >= from_id]


storage = SimpleStorage(Path(os.environ.get("STORAGE_DIR", "/storage")))
app = FastAPI(title="Chatbot MVP backend", version="1.0.0")
install_error_handlers(app)
_running: set[asyncio.Task] = set()  # keeps the generation tasks referenced while they run


async def generate(task_id: str, request: ChatRequest) -> None:
    """Stream the answer from the provider, saving every chunk as it arrives."""
    state = storage.get_task_state(task_id) or {}
    chunk_id = 0
    try:
        stream = default_clients().stream(
            request.provider, request.prompt, request.model, request.temperature, request.max_tokens, task_id=task_id
        )
        async with contextlib.aclosing(stream):  # stop the provider the moment we stop reading
            async for text in stream:
                storage.save_chunk(task_id, chunk_id, text)
                chunk_id += 1
        state.update(status="completed", total_chunks=chunk_id, completed_at=_now())
    except Exception as exc:  # the seed's MVP marks the task failed and stops
        state.update(status="failed", error=f"{type(exc).__name__}: {exc}", total_chunks=chunk_id, completed_at=_now())
    storage.save_task_state(task_id, state)


@app.get("/")
async def root() -> dict[str, Any]:
    return {
        "service": "chatbot-mvp",
        "version": app.version,
        "endpoints": ["POST /api/chat/generate", "GET /api/chat/status/{task_id}", "GET /api/chat/chunks/{task_id}", "GET /health"],
    }


@app.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "healthy", "service": "backend", "storage": str(storage.root), "running_tasks": len(_running), "timestamp": _now()}


@app.post("/api/chat/generate", responses=responses(400))
async def start_generation(request: ChatRequest) -> dict[str, Any]:
    task_id = str(uuid.uuid4())
    storage.save_task_state(
        task_id,
        {
            "task_id": task_id,
            "status": "running",
            "prompt": request.prompt,
            "provider": request.provider,
            "model": request.model,
            "created_at": _now(),
        },
    )
    task = asyncio.create_task(generate(task_id, request))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return {"task_id": task_id, "status": "running"}


def _state_or_404(task_id: str) -> dict[str, Any]:
    state = storage.get_task_state(task_id)
    if state is None:
        raise HTTPException(status_code=404, detail=f"task {task_id} not found")
    return state


@app.get("/api/chat/status/{task_id}", responses=responses(404))
async def task_status(task_id: TaskId) -> dict[str, Any]:
    state = _state_or_404(task_id)
    return {**state, "chunks_count": len(storage.get_chunks(task_id))}


@app.get("/api/chat/chunks/{task_id}", responses=responses(404))
async def task_chunks(task_id: TaskId, from_id: FromId = 0) -> dict[str, Any]:
    state = _state_or_404(task_id)
    chunks = storage.get_chunks(task_id, from_id)
    return {"task_id": task_id, "status": state["status"], "chunks": chunks, "total_chunks": state.get("total_chunks")}
