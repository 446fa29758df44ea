"""Do deployments come up every time? N real deployments in a row, each on fresh ports.

Why: 1 deployment in 13 once failed because two services of one deployment were given the
same port (each port chosen alone: bind to 0, close, ask again). Ports now come from
``llmchaos.ports.free_port_plan`` (chosen together, distinct by construction) and health
probes check which service answered. This runs the real thing ``--count`` times (default
20: a 1-in-13 failure would show up with 80 % probability) and prints how many came up,
how long ``up`` took, and every failure's first lines.

It also prints, without starting anything, how often 10,000 port plans repeat a port
under the old per-port choice and under ``free_port_plan`` (this machine's kernel decides
the first figure; the second is 0 by construction).

Usage: ``python benchmarks/deployments.py [--count 20] [--stack mvp] [--runtime local|docker]``.
Figures are printed, never asserted (the tests check correctness, not speed).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from llmchaos.ports import free_port_plan
from llmchaos.runtime import make_runtime
from stacks.spec import load_stack


def _old_free_port() -> int:
    """The former ``free_port``: one socket bound to 0, closed before the next is asked for."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plans_with_a_repeat(variables: list[str], plans: int = 10_000) -> tuple[int, int]:
    """(old per-port choice, free_port_plan): how many of ``plans`` plans repeat a port."""
    old = sum(len({_old_free_port() for _ in variables}) < len(variables) for _ in range(plans))
    new = sum(len(set(free_port_plan(variables).values())) < len(variables) for _ in range(plans))
    return old, new


def deploy_once(kind: str, stack_name: str, workdir: Path) -> tuple[float, str | None]:
    """Seconds ``up`` took and None, or the seconds until it failed and the error's first lines."""
    stack = load_stack(stack_name)
    ports = free_port_plan(stack.default_ports())
    extra = {"workdir": workdir} if kind == "local" else {"project": f"llmchaos-bench-{uuid.uuid4().hex[:8]}"}
    runtime = make_runtime(kind, stack, ports=ports, **extra)
    started = time.monotonic()
    try:
        runtime.up()
        took = time.monotonic() - started
        wrong = [f"{s}: {r.why}" for s in runtime.services() if not (r := runtime.check_health(s)).healthy]
        return took, ("; ".join(wrong) if wrong else None)
    except Exception as exc:  # a benchmark reports every failure and goes on
        return time.monotonic() - started, "\n".join(f"{type(exc).__name__}: {exc}".splitlines()[:6])
    finally:
        runtime.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--stack", default="mvp")
    parser.add_argument("--runtime", choices=["local", "docker"], default="local")
    args = parser.parse_args()

    variables = list(load_stack(args.stack).default_ports())
    old, new = plans_with_a_repeat(variables)
    print(f"port plans for {args.stack} ({len(variables)} ports), 10000 plans, no services started:")
    print(f"  a port repeated within a plan: old per-port choice {old}/10000, free_port_plan {new}/10000")

    print(f"{args.count} {args.runtime} deployments of {args.stack} in a row, each on fresh ports:")
    times: list[float] = []
    failures: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory(prefix="llmchaos-bench-") as tmp:
        Path(tmp).chmod(0o755)  # PostgreSQL, run as its own user, must reach its data directory
        for i in range(args.count):
            took, error = deploy_once(args.runtime, args.stack, Path(tmp) / str(i))
            print(f"  {i + 1:>3}: {'up' if error is None else 'FAILED'} in {took:.2f}s")
            if error is None:
                times.append(took)
            else:
                failures.append((i + 1, error))
    print(f"came up: {len(times)}/{args.count}")
    if times:
        ordered = sorted(times)
        print(f"  up time (s): median {statistics.median(ordered):.2f}, max {ordered[-1]:.2f}, min {ordered[0]:.2f}")
    for i, error in failures:
        print(f"  deployment {i}: {error}")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
