"""How long does each runtime take to deploy a stack and to recover from each fault?

Per runtime (local always; docker when an engine answers), for the MVP stack, prints the
median over ``--repeat`` runs of:
- up: from ``up()`` to every service healthy;
- kill -> start: from SIGKILL of the backend, through an explicit ``start``, to healthy;
- kill -> auto: the same with restart policy ``on-failure`` and no help;
- kill_all -> restart_all: from the power cut to every service healthy again.

Health is probed from the host every 50 ms, so figures carry up to 50 ms of probe delay.
Usage: ``python benchmarks/runtime.py [--repeat N] [--stack mvp]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from llmchaos.ports import free_port
from llmchaos.runtime import make_runtime
from llmchaos.runtime.docker import engine_available
from stacks.spec import load_stack


def timed(fn) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def measure(kind: str, stack_name: str, workdir: Path) -> dict[str, float]:
    stack = load_stack(stack_name)
    backend = next(name for name, svc in stack.compose({}).services.items() if svc.role == "backend")
    figures: dict[str, float] = {}
    for restart in ("no", "on-failure"):
        ports = {var: free_port() for var in stack.default_ports()}
        extra = {"workdir": workdir / f"{kind}-{restart}"} if kind == "local" else {"project": f"llmchaos-bench-{restart}"}
        runtime = make_runtime(kind, stack, ports=ports, restart=restart, **extra)
        try:
            if restart == "no":
                figures["up"] = timed(runtime.up)

                def kill_then_start() -> None:
                    runtime.kill(backend)
                    while runtime.is_running(backend):
                        time.sleep(0.01)
                    runtime.start(backend)
                    runtime.wait_healthy([backend])

                figures["kill -> start"] = timed(kill_then_start)

                def power_cut() -> None:
                    runtime.kill_all()
                    runtime.restart_all()

                figures["kill_all -> restart_all"] = timed(power_cut)
            else:
                runtime.up()

                def kill_then_wait() -> None:
                    runtime.kill(backend)
                    while runtime.is_running(backend):
                        time.sleep(0.01)
                    runtime.wait_healthy([backend])

                figures["kill -> auto restart"] = timed(kill_then_wait)
        finally:
            runtime.down()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stack", default="mvp")
    args = parser.parse_args()
    kinds = ["local"] + (["docker"] if engine_available() else [])
    print(f"runtime recovery benchmark, stack {args.stack}, median of {args.repeat} (seconds)")
    columns = ["up", "kill -> start", "kill -> auto restart", "kill_all -> restart_all"]
    print(f"  {'runtime':<8}" + "".join(f"{c:>26}" for c in columns))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp).chmod(0o755)  # PostgreSQL, run as its own user, must reach its data directory
        for kind in kinds:
            runs = [measure(kind, args.stack, Path(tmp) / str(i)) for i in range(args.repeat)]
            medians = {c: statistics.median(r[c] for r in runs) for c in columns}
            print(f"  {kind:<8}" + "".join(f"{medians[c]:>26.2f}" for c in columns))
    if "docker" not in kinds:
        print("  docker: no engine answers; start dockerd to measure it")


if __name__ == "__main__":
    main()
