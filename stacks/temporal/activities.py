"""The seeds' activities: validate, generate (one non-streaming LLM call), save a chunk, notify.

Activities run at least once: a retried ``save_chunk_to_storage`` overwrites the same
file with the same content, and a retried generation is a second LLM call, billed again
(the ledger shows it; avoiding it is what the seeds claim for this architecture once the
generation activity has completed).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from stacks.common.llm_clients import default_clients

from .shared import GenerateInput, NotifyInput, SaveChunkInput

MAX_PROMPT_CHARS = 100_000


def storage_dir() -> Path:
    return Path(os.environ.get("STORAGE_DIR", "/storage"))


@activity.defn
async def validate_prompt(prompt: str) -> bool:
    if not prompt.strip():
        raise ApplicationError("the prompt is empty", non_retryable=True)
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApplicationError(f"the prompt is longer than {MAX_PROMPT_CHARS} characters", non_retryable=True)
    return True


@activity.defn
async def generate_full_text_with_llm(request: GenerateInput) -> str:
    """The whole answer in one call; heartbeats while waiting if a heartbeat timeout is set."""
    call = asyncio.ensure_future(
        default_clients().generate_full_text(
            request.provider, request.prompt, request.model, request.temperature, request.max_tokens, task_id=request.workflow_id
        )
    )
    heartbeat = activity.info().heartbeat_timeout
    if heartbeat:
        while not call.done():
            activity.heartbeat()
            await asyncio.wait({call}, timeout=heartbeat.total_seconds() / 3)
    try:
        return await call
    finally:
        call.cancel()


@activity.defn
async def save_chunk_to_storage(chunk: SaveChunkInput) -> dict:
    """Write ``/storage/{workflow_id}/chunk_NNNN.json`` (idempotent: a retry rewrites it)."""
    folder = storage_dir() / chunk.workflow_id
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "chunk_id": chunk.chunk_id,
        "text": chunk.text,
        "provider": chunk.provider,
        "model": chunk.model,
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }
    (folder / f"chunk_{chunk.chunk_id:04d}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return {"chunk_id": chunk.chunk_id, "saved": True}


@activity.defn
async def notify_frontend(note: NotifyInput) -> bool:
    """Record that the answer is complete: a ``completed.json`` beside the chunks, and a POST
    to ``NOTIFY_URL`` when one is configured (the seeds' front end was told this way)."""
    folder = storage_dir() / note.workflow_id
    folder.mkdir(parents=True, exist_ok=True)
    body = {"workflow_id": note.workflow_id, "status": note.status, "total_chunks": note.total_chunks}
    (folder / "completed.json").write_text(json.dumps(body), encoding="utf-8")
    url = os.environ.get("NOTIFY_URL")
    if url:
        async with httpx.AsyncClient(timeout=5) as client:
            (await client.post(url, json=body)).raise_for_status()
    return True
