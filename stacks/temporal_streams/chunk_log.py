"""The durable chunk log on PostgreSQL: one row per task, one per (task, chunk).

Writes are at least once (a retried streaming attempt writes its chunks again), so they
are idempotent: ``(task_id, chunk_id)`` is the primary key and a chunk already there with
the same text is left alone. A retried attempt whose text differs (a real LLM does not
answer twice alike; the fake provider does, for the same seed) rewrites the log from the
first chunk that differs and increments the task's ``generation``: a reader that sees a
new generation must read the answer again from chunk 0 (the API returns ``generation``
with every page). A task's status becomes ``completed`` in the same transaction as its
last chunk, so a reader that sees "completed" sees every chunk.

Reads need PostgreSQL only: neither Temporal nor a worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from stacks.common.postgres import COMMAND_TIMEOUT_S, CONNECT_TIMEOUT_S, CONNECTION_ERRORS

SCHEMA = """
CREATE TABLE IF NOT EXISTS stream_tasks (
    task_id      TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    model        TEXT NOT NULL,
    status       TEXT NOT NULL,
    generation   INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    total_chunks INTEGER,
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS stream_chunks (
    task_id    TEXT NOT NULL REFERENCES stream_tasks (task_id) ON DELETE CASCADE,
    chunk_id   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    generation INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, chunk_id)
);
"""


class LogDown(Exception):
    """PostgreSQL did not answer; the API turns it into a 503, an activity into a retry."""


class ChunkLog:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self.schema_ready = False

    async def open(self) -> ChunkLog:
        """Create the pool without connecting: a process starts even if PostgreSQL is down."""
        self.pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=10, timeout=CONNECT_TIMEOUT_S, command_timeout=COMMAND_TIMEOUT_S)
        return self

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection (the schema created on first use); connection failures
        become ``LogDown`` and expire the pool, so the first call after a restart gets a fresh one."""
        assert self.pool is not None, "ChunkLog.open() first"
        try:
            async with self.pool.acquire() as conn:
                if not self.schema_ready:
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock(7206)")  # concurrent creators wait
                        await conn.execute(SCHEMA)
                    self.schema_ready = True
                yield conn
        except CONNECTION_ERRORS as exc:
            await self.pool.expire_connections()
            raise LogDown(f"postgres unavailable: {type(exc).__name__}: {exc}".rstrip(": ")) from exc

    async def ping(self) -> None:
        async with self._connection() as conn:
            await conn.fetchval("SELECT 1")

    async def create(self, task_id: str, provider: str, model: str) -> None:
        async with self._connection() as conn:
            await conn.execute("INSERT INTO stream_tasks (task_id, provider, model, status) VALUES ($1, $2, $3, 'started')", task_id, provider, model)

    async def forget(self, task_id: str) -> None:
        """A task whose workflow could not be started: the client was told so, nobody reads it."""
        async with self._connection() as conn:
            await conn.execute("DELETE FROM stream_tasks WHERE task_id = $1", task_id)

    async def begin_attempt(self, task_id: str, attempt: int) -> tuple[int, list[str]] | None:
        """Mark the task generating; its generation and the chunks already in the log. None
        when it is completed already (an attempt that wrote its last chunk, then died
        before Temporal heard of it: nothing to generate again)."""
        async with self._connection() as conn, conn.transaction():
            generation = await conn.fetchval(
                "UPDATE stream_tasks SET status = 'generating', attempt = $2, updated_at = now() WHERE task_id = $1 AND status <> 'completed' RETURNING generation",
                task_id, attempt,
            )  # fmt: skip
            if generation is None:
                if await conn.fetchval("SELECT status FROM stream_tasks WHERE task_id = $1", task_id) == "completed":
                    return None
                raise KeyError(f"task {task_id} is not in the chunk log")
            rows = await conn.fetch("SELECT text FROM stream_chunks WHERE task_id = $1 ORDER BY chunk_id", task_id)
        return generation, [r["text"] for r in rows]

    async def diverge(self, task_id: str, from_chunk: int) -> int:
        """The retried attempt's text differs from the log's at ``from_chunk``: drop the log
        from there and start a new generation; returns it."""
        async with self._connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM stream_chunks WHERE task_id = $1 AND chunk_id >= $2", task_id, from_chunk)
            return await conn.fetchval("UPDATE stream_tasks SET generation = generation + 1, updated_at = now() WHERE task_id = $1 RETURNING generation", task_id)

    async def append(self, task_id: str, chunk_id: int, text: str, generation: int, last: bool = False) -> None:
        """Chunk ``chunk_id`` (idempotent); the last one completes the task in the same transaction."""
        async with self._connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO stream_chunks (task_id, chunk_id, text, generation) VALUES ($1, $2, $3, $4) ON CONFLICT (task_id, chunk_id) DO NOTHING",
                task_id, chunk_id, text, generation,
            )  # fmt: skip
            if last:
                await self._complete(conn, task_id, chunk_id + 1)

    async def complete(self, task_id: str, total_chunks: int) -> None:
        async with self._connection() as conn:
            await self._complete(conn, task_id, total_chunks)

    @staticmethod
    async def _complete(conn: asyncpg.Connection, task_id: str, total_chunks: int) -> None:
        await conn.execute("UPDATE stream_tasks SET status = 'completed', total_chunks = $2, updated_at = now() WHERE task_id = $1", task_id, total_chunks)

    async def fail(self, task_id: str, error: str) -> None:
        async with self._connection() as conn:
            await conn.execute("UPDATE stream_tasks SET status = 'failed', error = $2, updated_at = now() WHERE task_id = $1", task_id, error[:2000])

    async def task(self, task_id: str) -> dict[str, Any] | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(
                "SELECT task_id, provider, model, status, generation, attempt, total_chunks, error, "
                "(SELECT count(*) FROM stream_chunks c WHERE c.task_id = t.task_id) AS chunks_count FROM stream_tasks t WHERE task_id = $1",
                task_id,
            )
        return None if row is None else dict(row)

    async def chunks(self, task_id: str, from_id: int = 0) -> list[dict[str, Any]]:
        async with self._connection() as conn:
            rows = await conn.fetch("SELECT chunk_id, text, generation FROM stream_chunks WHERE task_id = $1 AND chunk_id >= $2 ORDER BY chunk_id", task_id, from_id)
        return [dict(r) for r in rows]
