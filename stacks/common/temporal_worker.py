"""What every Temporal worker of a stack does besides its workflows: wait for the server,
answer a health check once it polls, stop gracefully on SIGTERM.

A worker started before the server (or while it restarts) waits rather than failing, and
``GET /health`` on ``WORKER_HEALTH_PORT`` answers 200 only once it is polling, so the
runtimes can tell a worker that is up from one that is merely alive.

Environment: ``TEMPORAL_ADDRESS`` (default 127.0.0.1:7233), ``TEMPORAL_NAMESPACE``,
``WORKER_MAX_CONCURRENT_ACTIVITIES``, ``WORKER_HEALTH_HOST`` / ``_PORT`` (127.0.0.1:8001).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

# The activities call the providers and import the SDKs where they call them (so that a
# backend, which imports them for the workflows' definitions only, does not pay for it);
# the worker loads the SDKs here, before it polls, so no activity pays seconds of import
# on its first call while the worker says it is ready.
import stacks.common.llm_clients  # noqa: E402, F401

log = logging.getLogger("stacks.worker")


async def connect(address: str, namespace: str) -> Client:
    """Connect, retrying while the server is not there yet."""
    while True:
        try:
            return await Client.connect(address, namespace=namespace)
        except Exception as exc:  # the server may start after us, or be restarting
            log.warning("Temporal at %s not reachable yet (%s); retrying", address, exc)
            await asyncio.sleep(0.5)


async def serve_health(port: int, worker: Worker) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        ok = worker.is_running and not worker.is_shutdown
        body = b'{"status":"polling"}' if ok else b'{"status":"not polling"}'
        status = b"200 OK" if ok else b"503 Service Unavailable"
        writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, os.environ.get("WORKER_HEALTH_HOST", "127.0.0.1"), port)


async def run_worker(task_queue: str, workflows: list[type], activities: list[Callable], max_concurrent_activities: int) -> None:
    """Poll ``task_queue`` until SIGTERM or SIGINT (``WORKER_MAX_CONCURRENT_ACTIVITIES``
    overrides ``max_concurrent_activities``)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per provider call
    client = await connect(os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"), os.environ.get("TEMPORAL_NAMESPACE", "default"))
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=workflows,
        activities=activities,
        max_concurrent_activities=int(os.environ.get("WORKER_MAX_CONCURRENT_ACTIVITIES", str(max_concurrent_activities))),
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    health = await serve_health(int(os.environ.get("WORKER_HEALTH_PORT", "8001")), worker)
    log.info("polling %s", task_queue)
    async with health:
        await worker.run()
    log.info("worker stopped")
