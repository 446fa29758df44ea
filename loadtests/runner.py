"""Running Locust headless from Python: one process, or a master and local worker processes.

Locust runs in its own processes (it is built on gevent, which patches the standard
library): this module starts them, each in its own process group and bound to our life,
writes the load document they read, waits for the run to end by itself (the locustfile
quits when every user has done its requests), and leaves Locust's own outputs in the
cell: ``locust/stats*.csv`` (with the full history), ``locust/report.html`` and one log
per process. Ctrl-C or an error stops every Locust process before it propagates.

Distributed over machines, run the same locustfile by hand: ``LLMCHAOS_LOAD=load.json
locust -f loadtests/locustfile.py --worker --master-host MASTER`` on each worker machine
(the history must then be on a filesystem all of them write to).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from llmchaos.errors import BadInputError
from llmchaos.ports import free_port
from llmchaos.processes import signal_group, spawn

from .config import LoadConfig, PagesConfig

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
GO_VARIABLE = "LLMCHAOS_GO"  # the file whose creation starts the run (locustfile.wait_for_go)


@dataclass(frozen=True)
class LoadRun:
    returncode: int
    elapsed_s: float
    directory: Path


def check_target(config: LoadConfig) -> None:
    """Before any load: the target must answer, or the run would only measure a typo."""
    try:
        response = httpx.get(config.host.rstrip("/") + "/health", timeout=5)
    except httpx.HTTPError as exc:
        raise BadInputError(f"nothing answers at {config.host}/health ({type(exc).__name__}): deploy the stack first (llmchaos up {config.stack}) or check the URL") from None
    if response.status_code != 200:
        raise BadInputError(f"{config.host}/health answers {response.status_code}: the {config.stack} stack is not healthy; no load was started")


def longest_run_s(config: LoadConfig) -> float:
    """An upper bound on the run: spawning, then every request of a user back to back."""
    return config.users / config.spawn_rate + config.tasks_per_user * (config.task_timeout_s + config.think_time_s + 5) + 30


class HeldProcesses:
    """Processes started ahead of their run, held until ``go``, each in its own process
    group and with its own log; the first one owns the run (it ends when the run is done).
    ``close`` (or leaving the ``with`` block) stops every one that is still running."""

    def __init__(self, commands: list[tuple[str, list[str]]], out: Path, env: dict[str, str], limit: float) -> None:
        self.out, self.limit = out, limit
        self.go_file = out / "go"
        self.go_file.unlink(missing_ok=True)
        env = {**env, GO_VARIABLE: str(self.go_file)}
        self.logs = [(out / f"{name}.log").open("ab") for name, _ in commands]
        self.children: list[subprocess.Popen] = []
        self.started: float | None = None
        try:
            self.children = [spawn(argv, log, env) for (_, argv), log in zip(commands, self.logs)]
        except BaseException:
            self.close()
            raise

    def go(self) -> None:
        """Start the run: the users spawn now."""
        self.started = time.monotonic()
        self.go_file.write_text(f"{time.time()}\n")

    def done(self) -> bool:
        return self.children[0].poll() is not None

    def wait(self, tick: Callable[[float], None] | None = None) -> LoadRun:
        """Until the run ends by itself (every user done); ``tick`` is called every 0.1 s."""
        assert self.started is not None, "go() first"
        main = self.children[0]
        while main.poll() is None:
            if time.monotonic() - self.started > self.limit + 60:
                raise RuntimeError(f"{self.out.name}: the run did not stop within {self.limit + 60:.0f}s; see {self.out}")
            if tick:
                tick(time.monotonic() - self.started)
            time.sleep(0.1)
        for worker in self.children[1:]:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                signal_group(worker, signal.SIGKILL)
        return LoadRun(main.returncode, time.monotonic() - self.started, self.out)

    def close(self) -> None:
        """Stop every process still running (SIGTERM, then SIGKILL after 10 s)."""
        for child in self.children:
            if child.poll() is None:
                signal_group(child, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                signal_group(child, signal.SIGKILL)
                child.wait()
        for log in self.logs:
            log.close()
        self.children, self.logs = [], []

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LoadProcess(HeldProcesses):
    """Locust started ahead of its run, held until ``go``.

    Why ahead: Locust takes most of a second to import (gevent, its web stack) on a loaded
    2-core machine, a second every cell would otherwise spend between the warm-up and the
    first request. Started right after the deployment, it imports while the warm-up runs
    and waits (the locustfile's ``init`` listener) for the go file before any user spawns;
    the run, its ``--run-time`` limit included, starts at ``go``.
    """

    def __init__(self, config: LoadConfig, directory: Path, workers: int = 0) -> None:
        check_target(config)
        out = directory / "locust"
        out.mkdir(parents=True, exist_ok=True)
        load_file = directory / "load.json"
        load_file.write_text(config.model_dump_json(indent=2))
        env = {**os.environ, "LLMCHAOS_LOAD": str(load_file), "LLMCHAOS_RUN_T0": repr(config.run_t0)}
        limit = longest_run_s(config)
        base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--loglevel", "WARNING"]
        owner = base + [
            "--headless", "--users", str(config.users), "--spawn-rate", str(config.spawn_rate),
            "--run-time", f"{int(limit)}s", "--stop-timeout", "10", "--host", config.host, "--exit-code-on-error", "0",
            "--csv", str(out / "locust"), "--csv-full-history", "--html", str(out / "report.html"),
        ]  # fmt: skip
        commands: list[tuple[str, list[str]]] = []
        if workers:
            port = free_port()
            owner += ["--master", "--expect-workers", str(workers), "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
            commands.append(("master", owner))
            commands += [(f"worker-{i}", base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]) for i in range(workers)]
        else:
            commands.append(("locust", owner))
        super().__init__(commands, out, env, limit)


class PageProcess(HeldProcesses):
    """The browser users (``loadtests.pages``), started ahead like Locust and held until ``go``;
    their log and screenshots go to ``DIRECTORY/pages``."""

    def __init__(self, config: PagesConfig, directory: Path) -> None:
        out = directory / "pages"
        out.mkdir(parents=True, exist_ok=True)
        pages_file = out / "pages.json"
        pages_file.write_text(config.model_dump_json(indent=2))
        env = {**os.environ, "LLMCHAOS_PAGES": str(pages_file)}
        limit = config.tasks_per_user * (config.task_timeout_s + 90) + 60  # each question: its patience, a page load, a refresh
        super().__init__([("pages", [sys.executable, "-m", "loadtests.pages"])], out, env, limit)


def run_load(config: LoadConfig, directory: Path, workers: int = 0, tick: Callable[[float], None] | None = None) -> LoadRun:
    """Run the load described by ``config``; Locust's outputs go to ``directory/locust``."""
    with LoadProcess(config, directory, workers) as load:
        load.go()
        return load.wait(tick)
