"""What every stack that talks to PostgreSQL with asyncpg treats as "the server is not
there": these errors become a 503 naming PostgreSQL (or a retry), within these timeouts,
and expire the pool's connections so the first call after a restart gets a fresh one."""

from __future__ import annotations

import asyncio

import asyncpg

CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 10.0

CONNECTION_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, crash recovery
)
