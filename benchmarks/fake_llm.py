"""How fast and how punctual is the fake LLM provider?

Prints:
1. aggregate streamed tokens/s with 1, 10, 100 and 500 concurrent streams, zero delays
   (goal: at least 20,000 tokens/s with the server on one core);
2. at 100 concurrent streams with TTFT 200 ms and inter-token latency 20 ms, the error
   of the measured TTFT and of every measured inter-token gap against the configured
   values (goal: p99 inter-token error at most 5 ms).

The server runs as ``llmchaos llm serve`` pinned to CPU 0; this client is pinned to the
other CPU when there is one. The client speaks raw HTTP/1.1 on asyncio streams and
counts content chunks: the official SDKs parse each chunk into pydantic objects and would
measure themselves, not the server. Usage: ``python benchmarks/fake_llm.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

CONTENT_MARK = b'"delta":{"content":'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    cpus = sorted(os.sched_getaffinity(0))

    def pin() -> None:
        os.sched_setaffinity(0, {cpus[0]})

    process = subprocess.Popen(
        [sys.executable, "-m", "llmchaos", "llm", "serve", "--port", str(port), "--log-level", "error"],
        preexec_fn=pin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if len(cpus) > 1:
        os.sched_setaffinity(0, set(cpus[1:]))
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the fake provider did not start")
            time.sleep(0.05)


def configure(port: int, **settings) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/admin/config", data=json.dumps(settings).encode(), headers={"content-type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).read()


async def one_stream(port: int, prompt: str, max_tokens: int) -> tuple[float, list[float]]:
    """Send one streaming request; return its start time and each content chunk's arrival time."""
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}], "stream": True, "max_tokens": max_tokens}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    started = time.monotonic()
    writer.write(
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode() + body
    )
    arrivals: list[float] = []
    while (await reader.readline()) not in (b"\r\n", b""):  # status line and headers
        pass
    while True:  # chunked body: one chunk per event
        size = int((await reader.readline()).split(b";")[0], 16)
        if size == 0:
            break
        chunk = await reader.readexactly(size + 2)
        if CONTENT_MARK in chunk:
            arrivals.append(time.monotonic())
    writer.close()
    return started, arrivals


async def run_streams(port: int, streams: int, tokens_each: int, spread_s: float = 0.0) -> list[tuple[float, list[float]]]:
    """``streams`` concurrent streams, all at once or with arrivals evenly spread over ``spread_s``."""

    async def delayed(i: int) -> tuple[float, list[float]]:
        await asyncio.sleep(i * spread_s / streams)
        return await one_stream(port, f"bench {i}", tokens_each)

    return await asyncio.gather(*(delayed(i) for i in range(streams)))


def throughput(port: int, streams: int, total_tokens: int) -> float:
    tokens_each = max(50, total_tokens // streams)
    configure(port, ttft_ms=0, itl_ms=0, jitter_ms=0, output_tokens=tokens_each)
    started = time.monotonic()
    results = asyncio.run(run_streams(port, streams, tokens_each))
    elapsed = time.monotonic() - started
    received = sum(len(arrivals) for _, arrivals in results)
    assert received == streams * tokens_each, f"received {received} of {streams * tokens_each} tokens"
    return received / elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def punctuality(port: int, streams: int, ttft_ms: float, itl_ms: float, tokens: int, spread_s: float) -> dict[str, dict[str, float]]:
    configure(port, ttft_ms=ttft_ms, itl_ms=itl_ms, jitter_ms=0, output_tokens=tokens)
    results = asyncio.run(run_streams(port, streams, tokens, spread_s))
    ttft_errors = [(arrivals[0] - started) * 1000 - ttft_ms for started, arrivals in results]
    gap_errors = [(b - a) * 1000 - itl_ms for _, arrivals in results for a, b in zip(arrivals, arrivals[1:])]

    def summary(errors: list[float]) -> dict[str, float]:
        absolute = [abs(e) for e in errors]
        return {
            "n": len(errors),
            "mean": statistics.fmean(errors),
            "p50_abs": percentile(absolute, 0.50),
            "p99_abs": percentile(absolute, 0.99),
            "max_abs": max(absolute),
        }

    return {"ttft": summary(ttft_errors), "itl": summary(gap_errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tokens, for a smoke run")
    args = parser.parse_args()
    total = 20_000 if args.quick else 100_000
    port = free_port()
    server = start_server(port)
    try:
        print(f"fake LLM provider benchmark: server pinned to CPU {sorted(os.sched_getaffinity(server.pid))}, "
              f"client on CPU {sorted(os.sched_getaffinity(0))}")
        print("\n1. streamed tokens/s, zero delays (goal >= 20,000 on one core)")
        print(f"   {'streams':>8} {'tokens/s':>10}")
        rates = {}
        for streams in (1, 10, 100, 500):
            rates[streams] = throughput(port, streams, total)
            print(f"   {streams:>8} {rates[streams]:>10,.0f}")
        print("\n2. punctuality at 100 concurrent streams, TTFT 200 ms, inter-token 20 ms, 100 tokens each")
        print("   (goal: p99 inter-token error <= 5 ms); errors measured at the client, in ms")
        print(f"   {'arrivals':<22} {'metric':<5} {'samples':>8} {'mean err':>9} {'p50 |err|':>10} {'p99 |err|':>10} {'max |err|':>10}")
        worst_itl = 0.0
        for label, spread in (("all at once (burst)", 0.0), ("spread over 1 s", 1.0)):
            result = punctuality(port, 100, 200.0, 20.0, 100, spread)
            worst_itl = max(worst_itl, result["itl"]["p99_abs"])
            for name, s in result.items():
                print(f"   {label:<22} {name:<5} {s['n']:>8} {s['mean']:>9.2f} {s['p50_abs']:>10.2f} {s['p99_abs']:>10.2f} {s['max_abs']:>10.2f}")
        print("   A burst's TTFT error is queueing: one core accepts and parses 100 new requests in a row.")
        verdict_rate = min(rates.values()) >= 20_000
        verdict_itl = worst_itl <= 5.0
        print(f"\ngoals: tokens/s >= 20,000 at every concurrency: {'met' if verdict_rate else 'NOT met'}; "
              f"p99 ITL error <= 5 ms: {'met' if verdict_itl else 'NOT met'}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
