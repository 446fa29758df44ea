"""How many polling requests per second does one Locust process sustain?

The real generator (``loadtests``' ChatUser in one Locust process, pinned to one CPU)
polls a trivial chat API (a pre-rendered answer from a raw uvloop server on the other
CPU: "running", no new chunk, forever) with no pause between polls, until each user
gives up. Goal: at least 1,000 polls per second per core.

Usage: ``python benchmarks/loadgen.py [--users 50] [--seconds 15]``.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from llmchaos.ports import free_port
from loadtests.config import LoadConfig
from loadtests.runner import run_load

SUBMITTED = b'{"task_id":"bench","status":"running"}'
PAGE = b'{"task_id":"bench","status":"running","chunks":[],"total_chunks":null}'
HEALTH = b'{"status":"healthy"}'


def _response(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def serve_stub(port: int, cpu: int) -> None:
    """A keep-alive HTTP server answering the chat API's three routes with fixed bytes."""
    import asyncio

    import uvloop

    os.sched_setaffinity(0, {cpu})
    answers = {b"POST": _response(SUBMITTED), b"/health": _response(HEALTH), b"GET": _response(PAGE)}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path = head.split(b" ", 2)[:2]
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if length:
                    await reader.readexactly(length)
                writer.write(answers[b"/health"] if path == b"/health" else answers[method])
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    uvloop.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    port = free_port()
    stub = multiprocessing.get_context("fork").Process(target=serve_stub, args=(port, cpus[0]), daemon=True)
    stub.start()
    os.sched_setaffinity(0, {cpus[-1]})  # Locust inherits this: one core
    try:
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            config = LoadConfig(
                stack="mvp", host=f"http://127.0.0.1:{port}", users=args.users, spawn_rate=args.users, tasks_per_user=1,
                think_time_s=0, poll_interval_s=0, task_timeout_s=args.seconds, history=str(directory / "history.jsonl"), run_t0=time.monotonic(),
            )  # fmt: skip
            run = run_load(config, directory)
            with (directory / "locust" / "locust_stats.csv").open() as f:
                polls = next(row for row in csv.DictReader(f) if row["Name"] == "chunks")
        rate = int(polls["Request Count"]) / args.seconds
        print(f"one Locust process on CPU {cpus[-1]}, {args.users} users polling a trivial endpoint for {args.seconds:g}s:")
        print(f"  {int(polls['Request Count']):,} polls, {int(polls['Failure Count'])} failed: {rate:,.0f} polls/s "
              f"(median {polls['Median Response Time']} ms); goal >= 1,000/s per core: {'met' if rate >= 1000 else 'NOT met'}")
        print(f"  (whole run {run.elapsed_s:.1f}s including Locust's start-up and spawning)")
    finally:
        stub.terminate()


if __name__ == "__main__":
    main()
