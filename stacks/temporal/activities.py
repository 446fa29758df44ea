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

from .shared import GenerateInput, NotifyInput, SaveChunkInput, prompt_too_large


def storage_dir() -> Path:
    return Path(os.environ.get("STORAGE_DIR", "/storage"))


@activity.defn
async def validate_prompt(prompt: str) -> bool:
    if not prompt.strip():
        raise ApplicationError("the prompt is empty", non_retryable=True)
    problem = prompt_too_large(prompt)
    if problem:
        raise ApplicationError(problem, non_retryable=True)
    return True


@activity.defn
async def generate_full_text_with_llm(request: GenerateInput) -> str:
    """The whole answer in one call; heartbeats while waiting if a heartbeat timeout is set.

    A provider's refusal of the request itself (a 4xx other than 408, 409 and 429: an
    unknown model, bad parameters, a bad key) fails the workflow at once, as the other
    stacks fail the task: Temporal's retries (5 attempts over some 15 s by default) cannot
    change the answer. Outages and 5xx stay retryable.
    """
    # Imported here, not at the top: the backend imports this module for the workflows'
    # definitions only and never calls a provider, so it does not pay the SDKs' import
    # (seconds, at every start); the worker loaded them before polling (temporal_worker).
    from stacks.common.llm_clients import default_clients, refused_status

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
    except Exception as exc:
        status = refused_status(exc)
        if status is None:
            raise
        raise ApplicationError(
            f"the {request.provider} provider refused the request with HTTP {status} ({getattr(exc, 'message', exc)}); "
            "retrying cannot help: fix the request (model name, parameters, API key)",
            type="ProviderRejectedRequest",
            non_retryable=True,
        ) from exc
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
