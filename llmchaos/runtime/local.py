"""The local runtime: a stack's services as supervised child processes, no Docker, no root.

Each service runs in its own session and process group (faults hit the whole group, as a
signal to a container hits its whole cgroup), logs to ``<workdir>/logs/<service>.log``
and keeps its data under ``<workdir>/data``. A supervisor thread watches the children and
applies the restart policy with Docker's back-off (100 ms, doubling, reset after 10 s up).

No orphans: every child is spawned by the supervisor thread through
``llmchaos.processes.spawn`` (it dies with the supervisor even if this process is
SIGKILLed); ``down`` runs on exceptions, Ctrl-C, SIGTERM (see ``llmchaos.cli``) and at
interpreter exit.
"""

from __future__ import annotations

import concurrent.futures
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stacks.spec import Binary, LocalContext, LocalProcess, Stack

from llmchaos.errors import LLMChaosError
from llmchaos.processes import signal_group, spawn

from .base import Runtime
from .procfs import group_members, process_state

BACKOFF_START_S = 0.1
BACKOFF_MAX_S = 60.0
BACKOFF_RESET_AFTER_S = 10.0


@dataclass
class _Service:
    name: str
    process: LocalProcess
    log: IO[bytes]
    popen: subprocess.Popen | None = None
    wanted: bool = False  # should be running: a crash is restarted per policy
    restarts: int = 0
    started_at: float = 0.0
    backoff_s: float = BACKOFF_START_S
    restart_at: float | None = None


class LocalRuntime(Runtime):
    name = "local"
    supports_power_cut = True

    def __init__(self, stack: Stack, *, workdir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(stack, **kwargs)
        self.workdir = (workdir or Path("runs") / "local" / stack.name).resolve()
        self.log_dir = self.workdir / "logs"
        self.data_dir = self.workdir / "data"
        self._services: dict[str, _Service] = {}
        self._calls: "queue.Queue[tuple[Callable[[], Any], concurrent.futures.Future]]" = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._lazy: Any = None  # chaos.lazyfs.mount.LazyMount under the durable volumes, with power_cut

    # -- supervisor --------------------------------------------------------------------

    def _ensure_supervisor(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self._supervise, name=f"llmchaos-supervisor-{self.stack.name}", daemon=True)
            self._thread.start()

    def _in_supervisor(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the supervisor thread: children must be forked by a long-lived thread,
        because PR_SET_PDEATHSIG fires when the forking *thread* exits."""
        if threading.current_thread() is self._thread:
            return fn()
        self._ensure_supervisor()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._calls.put((fn, future))
        return future.result()

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            try:
                fn, future = self._calls.get(timeout=0.02)
            except queue.Empty:
                pass
            else:
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the caller
                    future.set_exception(exc)
            self._apply_restart_policy()

    def _apply_restart_policy(self) -> None:
        now = time.monotonic()
        with self._lock:
            for svc in self._services.values():
                if svc.popen is None or not svc.wanted:
                    continue
                code = svc.popen.poll()
                if code is None:
                    if now - svc.started_at > BACKOFF_RESET_AFTER_S:
                        svc.backoff_s = BACKOFF_START_S
                    continue
                if svc.restart_at is None:
                    if self.restart == "no" or (self.restart == "on-failure" and code == 0):
                        svc.wanted = False
                        continue
                    svc.restart_at = now + svc.backoff_s
                    svc.backoff_s = min(svc.backoff_s * 2, BACKOFF_MAX_S)
                elif now >= svc.restart_at:
                    svc.restarts += 1
                    self._spawn(svc)

    # -- processes ---------------------------------------------------------------------

    def _context(self) -> LocalContext:
        return LocalContext(sys.executable, self.data_dir, self.ports, self.primary)

    def _resolve(self, process: LocalProcess) -> LocalProcess:
        argv = [a.resolve() if isinstance(a, Binary) else str(a) for a in process.argv]
        return LocalProcess(argv, process.env, process.dirs)

    def _preflight(self) -> None:
        processes = self.stack.local_processes(self._context())
        # the services of the active profiles only (a front end is not started unless asked for)
        resolved = {name: self._resolve(p) for name, p in processes.items() if name in self.compose.services}  # MissingBinaryError first
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.power_cut and self._lazy is None:
            self._mount_durable_volumes()
        with self._lock:
            for name, process in resolved.items():
                if name not in self._services:
                    self._services[name] = _Service(name, process, (self.log_dir / f"{name}.log").open("ab"))

    def _mount_durable_volumes(self) -> None:
        """One lazy filesystem for the stack's durable volumes (``data/<volume>`` is a link
        into it): the provider's ledger, the page's files and the processes' working
        directory stay on the real disk, untouched by a cut."""
        from chaos.lazyfs.mount import LazyMount  # the power cut's filesystem

        self._lazy = LazyMount(self.workdir / "lazyfs" / "mnt", self.workdir / "lazyfs" / "state").start()
        for volume in self.compose.durable_volumes():
            (self._lazy.mountpoint / volume).mkdir(exist_ok=True)
            link = self.data_dir / volume
            if not link.is_symlink():
                link.symlink_to(self._lazy.mountpoint / volume, target_is_directory=True)
        fd = os.open(self._lazy.mountpoint, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)  # the volumes themselves exist whatever is cut later
        finally:
            os.close(fd)

    def cut_power(self) -> dict:
        if self._lazy is None:
            raise LLMChaosError(f"{self.stack.name}: deployed without power_cut: its volumes are not on the lazy filesystem")
        deadline = time.monotonic() + 10.0
        for svc in self._services.values():  # a killed group's last members (PostgreSQL's backends) may take a moment
            while svc.popen is not None and not svc.wanted and group_members(svc.popen.pid):
                if time.monotonic() > deadline:
                    raise LLMChaosError(f"{self.stack.name}/{svc.name}: processes still alive 10s after the power cut")
                time.sleep(0.01)
        return self._lazy.cut()

    def _spawn(self, svc: _Service) -> None:
        for directory in svc.process.dirs:
            directory.mkdir(parents=True, exist_ok=True)
        svc.log.write(f"\n=== llmchaos: starting {svc.name} (start #{svc.restarts + 1}) at {time.strftime('%H:%M:%S')}: {' '.join(svc.process.argv)} ===\n".encode())
        svc.log.flush()
        svc.popen = spawn(svc.process.argv, svc.log, {**os.environ, **self.env, **svc.process.env, "PYTHONUNBUFFERED": "1"}, self.data_dir)
        svc.started_at = time.monotonic()
        svc.restart_at = None
        svc.wanted = True

    def _start_service(self, service: str) -> None:
        svc = self._services[service]

        def spawn() -> None:
            with self._lock:
                popen = svc.popen
                if popen is not None and process_state(popen.pid) not in (None, "Z"):
                    svc.wanted = True  # already running (or paused: unpause is another operation)
                    return
                if popen is not None:
                    popen.wait()  # reap it: it is dead
                self._spawn(svc)

        self._in_supervisor(spawn)

    def _signal_group(self, service: str, sig: int) -> None:
        signal_group(self._services[service].popen, sig)

    # -- the runtime interface ---------------------------------------------------------

    def pid(self, service: str) -> int | None:
        """The service's process id (its process group id too), None before it first ran."""
        svc = self._services.get(service)
        return svc.popen.pid if svc and svc.popen else None

    def restarts(self, service: str) -> int:
        return self._services[service].restarts

    def is_running(self, service: str) -> bool:
        pid = self.pid(service)
        return pid is not None and self._services[service].popen.poll() is None and process_state(pid) not in (None, "Z", "T")

    def is_paused(self, service: str) -> bool:
        pid = self.pid(service)
        return pid is not None and process_state(pid) == "T"

    def exited_for_good(self, service: str) -> bool:
        svc = self._services.get(service)
        if svc is None or svc.popen is None or svc.popen.poll() is None:
            return False
        with self._lock:  # the supervisor decides on restarts under this lock
            return not svc.wanted

    def start(self, service: str) -> None:
        self._start_service(service)

    def kill(self, service: str) -> None:
        """SIGKILL the service's process group; returns once the main process is dead."""
        popen = self._services[service].popen
        self._signal_group(service, signal.SIGKILL)
        if popen is not None:
            popen.wait()

    def stop(self, service: str, timeout: float | None = None) -> None:
        svc = self._services[service]
        with self._lock:
            svc.wanted = False
        if svc.popen is None or svc.popen.poll() is not None:
            return
        self._signal_group(service, signal.SIGCONT)  # a paused process cannot handle SIGTERM
        self._signal_group(service, signal.SIGTERM)
        grace = self.compose.services[service].stop_grace_period_s if timeout is None else timeout
        try:
            svc.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal_group(service, signal.SIGKILL)
            svc.popen.wait()

    def pause(self, service: str) -> None:
        """SIGSTOP to the group; returns once every member is stopped (the signal is
        delivered asynchronously: a process may still be running for a moment)."""
        self._signal_group(service, signal.SIGSTOP)
        pid = self.pid(service)
        deadline = time.monotonic() + 5.0
        while pid is not None and any(process_state(p) not in ("T", "Z", None) for p in group_members(pid)):
            if time.monotonic() > deadline:
                raise LLMChaosError(f"{self.stack.name}/{service}: still running 5s after SIGSTOP")
            time.sleep(0.002)

    def unpause(self, service: str) -> None:
        self._signal_group(service, signal.SIGCONT)

    def kill_all(self, services: Iterable[str] | None = None) -> None:
        names = [n for n in self._services if services is None or n in set(services)]
        with self._lock:
            for name in names:
                self._services[name].wanted = False  # the power is off: nothing restarts until started again
            for name in names:
                self._signal_group(name, signal.SIGKILL)
        for name in names:
            if self._services[name].popen is not None:
                self._services[name].popen.wait()

    def logs(self, service: str) -> str:
        path = self.log_dir / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def down(self, volumes: bool = True) -> None:
        with self._lock:
            for svc in self._services.values():
                svc.wanted = False
        for name in reversed(self.services()):
            if name in self._services:
                self.stop(name, timeout=5.0)
        for svc in self._services.values():  # what a service spawned into its group, too
            signal_group(svc.popen, signal.SIGKILL)
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        for svc in self._services.values():
            svc.log.close()
        self._services.clear()
        if self._lazy is not None:
            self._lazy.stop()
            self._lazy = None
        if volumes:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            shutil.rmtree(self.workdir / "lazyfs", ignore_errors=True)
