"""PostgreSQL storage of the Redis stack: the seeds' ``chat_tasks`` and ``chat_chunks``.

Every chunk is inserted as it streams; a task's status moves running -> completed (or
failed) after its last chunk, so a reader that sees "completed" sees every chunk.
Connection failures surface as ``DependencyDown("postgres")`` within the timeouts below,
and expire the pool's connections so the first request after the server is back gets a
fresh one: the backend recovers by itself, without a restart.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from stacks.common.postgres import COMMAND_TIMEOUT_S, CONNECT_TIMEOUT_S, CONNECTION_ERRORS

SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_tasks (
    id           TEXT PRIMARY KEY,
    prompt       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    model        TEXT NOT NULL,
    status       TEXT NOT NULL,
    cached       BOOLEAN NOT NULL DEFAULT FALSE,
    error        TEXT,
    total_chunks INTEGER,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS chat_chunks (
    id         BIGSERIAL PRIMARY KEY,
    task_id    TEXT NOT NULL REFERENCES chat_tasks (id),
    chunk_id   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS chat_chunks_by_task ON chat_chunks (task_id, chunk_id);
"""


class DependencyDown(Exception):
    """A server the backend needs did not answer; the API turns it into a 503."""

    def __init__(self, dependency: str, cause: BaseException) -> None:
        super().__init__(f"{dependency} unavailable: {type(cause).__name__}: {cause}".rstrip(": "))
        self.dependency = dependency


class ChatDB:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.pool: asyncpg.Pool | None = None
        self.schema_ready = False

    async def open(self) -> None:
        """Create the pool without connecting: the backend starts even if PostgreSQL is down."""
        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=0, max_size=10, timeout=CONNECT_TIMEOUT_S, command_timeout=COMMAND_TIMEOUT_S
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    @contextlib.asynccontextmanager
    async def _connection(self, schema: bool = True) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; connection failures become ``DependencyDown`` and expire the pool."""
        assert self.pool is not None, "ChatDB.open() first"
        if schema and not self.schema_ready:
            await self.ensure_schema()
        try:
            async with self.pool.acquire() as conn:
                yield conn
        except CONNECTION_ERRORS as exc:
            await self.pool.expire_connections()
            raise DependencyDown("postgres", exc) from exc

    async def _run(self, method: str, query: str, *args: Any) -> Any:
        async with self._connection() as conn:
            return await getattr(conn, method)(query, *args)

    async def ensure_schema(self) -> None:
        """Create the tables if missing; an advisory lock keeps concurrent backends apart."""
        async with self._connection(schema=False) as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(7205)")
            await conn.execute(SCHEMA)
        self.schema_ready = True

    async def ping(self) -> None:
        async with self._connection(schema=False) as conn:
            await conn.fetchval("SELECT 1")

    async def create_task(self, task_id: str, prompt: str, provider: str, model: str, status: str, cached: bool, chunks: list[str] = ()) -> None:
        """A new task; a cache hit comes with all its chunks, written in the same transaction."""
        async with self._connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO chat_tasks (id, prompt, provider, model, status, cached, total_chunks) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                task_id, prompt, provider, model, status, cached, len(chunks) if cached else None,
            )  # fmt: skip
            if chunks:
                await conn.executemany(
                    "INSERT INTO chat_chunks (task_id, chunk_id, text) VALUES ($1, $2, $3)", [(task_id, i, t) for i, t in enumerate(chunks)]
                )

    async def add_chunk(self, task_id: str, chunk_id: int, text: str) -> None:
        await self._run("execute", "INSERT INTO chat_chunks (task_id, chunk_id, text) VALUES ($1, $2, $3)", task_id, chunk_id, text)

    async def finish(self, task_id: str, status: str, total_chunks: int, error: str | None = None) -> None:
        await self._run(
            "execute",
            "UPDATE chat_tasks SET status = $2, total_chunks = $3, error = $4, updated_at = now() WHERE id = $1",
            task_id, status, total_chunks, error,
        )  # fmt: skip

    async def task(self, task_id: str) -> dict[str, Any] | None:
        row = await self._run(
            "fetchrow",
            "SELECT id, prompt, provider, model, status, cached, error, total_chunks, created_at, updated_at, "
            "(SELECT count(*) FROM chat_chunks c WHERE c.task_id = t.id) AS chunks_count FROM chat_tasks t WHERE id = $1",
            task_id,
        )
        return None if row is None else {**dict(row), "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat()}

    async def chunks(self, task_id: str, from_id: int = 0) -> list[dict[str, Any]]:
        rows = await self._run(
            "fetch", "SELECT chunk_id, text, created_at FROM chat_chunks WHERE task_id = $1 AND chunk_id >= $2 ORDER BY chunk_id, id", task_id, from_id
        )
        return [{"chunk_id": r["chunk_id"], "text": r["text"], "timestamp": r["created_at"].isoformat()} for r in rows]

    async def stats(self) -> dict[str, Any]:
        by_status = await self._run("fetch", "SELECT status, cached, count(*) AS n FROM chat_tasks GROUP BY status, cached")
        chunks = await self._run("fetchval", "SELECT count(*) FROM chat_chunks")
        statuses: dict[str, int] = {}
        hits = misses = 0
        for row in by_status:
            statuses[row["status"]] = statuses.get(row["status"], 0) + row["n"]
            if row["cached"]:
                hits += row["n"]
            else:
                misses += row["n"]
        return {"tasks_by_status": statuses, "tasks_total": hits + misses, "cache_hits": hits, "cache_misses": misses, "chunks_total": chunks}
