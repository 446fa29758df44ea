"""The streaming activity: the answer streamed from the provider into the chunk log.

``stream_answer`` cuts the stream into 50-character chunks as it arrives and appends each
to PostgreSQL at once, heartbeating the number written. A retried attempt (its worker
died, or the provider failed mid-stream) starts from what the log holds, not from the
heartbeat: the log is where the chunks are, and a heartbeat may be up to 80 % of its
timeout old. Neither provider's API resumes a stream where another stopped (OpenAI has no
continuation; Anthropic's prefill continues a text but is not the same request), so a
retry streams the answer again, billed again (the ledger shows it), and writes only the
chunks the log lacks: the page goes on from where it was. If the new text differs from
the log's (a real LLM rarely answers twice alike), the log is rewritten from the first
differing chunk under a new generation, which tells readers to start again.

A write that finds PostgreSQL down is retried every half second, heartbeating, for as
long as the attempt may last: a database restart pauses the stream instead of throwing
away what was paid for.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from stacks.common.chat_api import CHUNK_SIZE

from .chunk_log import ChunkLog, LogDown
from .shared import FailInput, StreamInput

T = TypeVar("T")

# one pool per event loop: asyncpg's connections belong to the loop that made them
_logs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ChunkLog] = weakref.WeakKeyDictionary()


async def chunk_log() -> ChunkLog:
    """The worker's chunk log (``DATABASE_URL``)."""
    loop = asyncio.get_running_loop()
    if loop not in _logs:
        _logs[loop] = await ChunkLog(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")).open()
    return _logs[loop]


@activity.defn
async def stream_answer(chat: StreamInput) -> dict:
    # Imported here, not at the top: the backend imports this module for the workflow's
    # definition only and never calls a provider, so it does not pay the SDKs' import
    # (seconds, at every start); the worker loaded them before polling (temporal_worker).
    from stacks.common.llm_clients import default_clients, refused_status

    log = await chunk_log()
    try:
        begun = await log.begin_attempt(chat.task_id, activity.info().attempt)
    except KeyError as exc:  # its start was refused to the client (the row removed) yet reached Temporal
        raise ApplicationError(str(exc), type="UnknownTask", non_retryable=True) from exc
    if begun is None:
        return {"task_id": chat.task_id, "already_completed": True, "attempt": activity.info().attempt}
    generation, logged = begun
    text, written = "", 0  # the answer so far; chunks of it checked against or added to the log
    try:
        async for delta in default_clients().stream(chat.provider, chat.prompt, chat.model, chat.temperature, chat.max_tokens, task_id=chat.task_id):
            text += delta
            while len(text) >= (written + 1) * CHUNK_SIZE:
                generation = await _write(log, chat.task_id, written, text[written * CHUNK_SIZE : (written + 1) * CHUNK_SIZE], logged, generation)
                written += 1
                activity.heartbeat(written)
    except Exception as exc:
        status = refused_status(exc)
        if status is None:
            raise
        raise ApplicationError(
            f"the {chat.provider} provider refused the request with HTTP {status} ({getattr(exc, 'message', exc)}); retrying cannot help",
            type="ProviderRejectedRequest",
            non_retryable=True,
        ) from exc
    rest = text[written * CHUNK_SIZE :]
    if rest:
        generation = await _write(log, chat.task_id, written, rest, logged, generation, last=True)
        written += 1
    else:
        if len(logged) > written:  # the new answer is shorter, and ends on a chunk boundary
            generation = await _durably(log.diverge, chat.task_id, written)
        await _durably(log.complete, chat.task_id, written)
    return {"task_id": chat.task_id, "chunks": written, "generation": generation, "attempt": activity.info().attempt}


async def _write(log: ChunkLog, task_id: str, chunk_id: int, text: str, logged: list[str], generation: int, last: bool = False) -> int:
    """Append a chunk unless the log has it already; a differing one starts a new generation."""
    if chunk_id < len(logged):
        if logged[chunk_id] == text and not last:
            return generation
        if logged[chunk_id] != text:
            generation = await _durably(log.diverge, task_id, chunk_id)
            del logged[chunk_id:]
    await _durably(log.append, task_id, chunk_id, text, generation, last)
    return generation


async def _durably(write: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``write(*args)``, again every 0.5 s while PostgreSQL is down, heartbeating every
    second meanwhile, so the attempt is not taken for dead (the attempt's own timeout still
    bounds it). One write can itself wait as long as the heartbeat timeout (a connection to
    a killed server answers nothing until the command timeout, 10 s): a CI run on a slow
    machine saw the stream retried, billed twice, when the heartbeat waited for it."""
    while True:
        pending = asyncio.ensure_future(write(*args))
        try:
            while not (await asyncio.wait({pending}, timeout=1.0))[0]:
                activity.heartbeat()
            return pending.result()
        except LogDown:
            activity.heartbeat()
            await asyncio.sleep(0.5)
        finally:
            pending.cancel()  # the attempt was cancelled while the write waited: it waits no more


@activity.defn
async def mark_failed(failure: FailInput) -> None:
    """Every attempt failed: readers are told, rather than waiting for chunks that never come."""
    await (await chunk_log()).fail(failure.task_id, failure.error)
