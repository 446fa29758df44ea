"""The runtime interface: deploy a stack, break its services, bring them back.

Two implementations (``docker.DockerRuntime``, ``local.LocalRuntime``) share this base:
the same operations, the same meaning, so the nemesis and the tests never care which one
runs. The meaning of each fault:

- ``kill``: SIGKILL, a crash. The restart policy applies, as after any crash.
- ``stop``: graceful (SIGTERM, then SIGKILL after the grace period). Deliberate: the
  restart policy does not bring it back.
- ``start``: bring a stopped or crashed service back.
- ``pause`` / ``unpause``: freeze and thaw (the gray failure: alive, holding connections,
  answering nothing).
- ``kill_all``: every service at once (or a given set: the machines that lose power),
  the power cut. Nothing restarts until ``restart_all()`` or ``start``.

Health is always probed from the host, on 127.0.0.1 only (see ``probes.py``).
"""

from __future__ import annotations

import abc
import os
import time
import weakref
from collections.abc import Iterable, Mapping

from llmchaos.errors import UnhealthyError
from llmchaos.ports import check_port_free
from stacks.compose import ComposeFile
from stacks.spec import Stack

from .probes import ProbeResult, probe

RESTART_POLICIES = ("no", "on-failure", "always", "unless-stopped")

_live: "weakref.WeakSet[Runtime]" = weakref.WeakSet()


def live_runtimes() -> list["Runtime"]:
    """Runtimes with services up, for last-resort cleanup at exit."""
    return list(_live)


class Runtime(abc.ABC):
    """One stack deployed one way. Use as a context manager to guarantee ``down``."""

    name: str = ""
    supports_power_cut: bool = False  # can put the durable volumes on the lazy filesystem

    def __init__(
        self, stack: Stack, *, ports: Mapping[str, int] | None = None, restart: str = "no", env: Mapping[str, str] | None = None,
        profiles: Iterable[str] = (), power_cut: bool = False,
    ) -> None:
        """``ports`` moves published ports by their compose variable, e.g. ``{"MVP_BACKEND_PORT": 18000}``;
        ``env`` adds variables for the stack's services (the fake provider's profile, timeouts);
        ``profiles``: the compose profiles to deploy besides the services without one
        (``frontend``: the stack's Chainlit page); ``power_cut``: the stack's durable volumes
        on the lazy filesystem (``chaos.lazyfs``), so that ``cut_power`` can drop what was
        not synced (runtimes with ``supports_power_cut``)."""
        if restart not in RESTART_POLICIES:
            raise ValueError(f"restart policy {restart!r}: expected one of {', '.join(RESTART_POLICIES)}")
        unknown = set(ports or {}) - set(stack.port_variables())
        if unknown:
            raise ValueError(f"{stack.name} has no port variable {', '.join(sorted(unknown))}; it has {', '.join(stack.port_variables())}")
        self.stack = stack
        self.restart = restart
        self.env: dict[str, str] = dict(env or {})
        self.ports: dict[str, int] = {**stack.default_ports(), **(ports or {})}
        self.primary = stack.primary_ports()
        self.profiles = tuple(profiles)
        if power_cut and not self.supports_power_cut:
            raise ValueError(f"the {self.name} runtime cannot cut the power (it cannot put the volumes on the lazy filesystem)")
        self.power_cut = power_cut
        self.compose: ComposeFile = stack.compose(self.variables(), self.profiles)

    def variables(self) -> dict[str, str]:
        """Compose interpolation variables: the environment, our ports and restart policy."""
        variables = {**os.environ, **self.env}
        variables.update({var: str(port) for var, port in self.ports.items()})
        variables["RESTART_POLICY"] = self.restart
        return variables

    def port(self, service: str) -> int | None:
        """The service's first published port on 127.0.0.1 (None if it publishes none)."""
        var = self.primary.get(service)
        return self.ports[var] if var else None

    # -- what each runtime implements -------------------------------------------------

    @abc.abstractmethod
    def _start_service(self, service: str) -> None: ...

    def _start_wave(self, services: list[str]) -> None:
        """Start services that do not depend on each other (one after the other here; a
        runtime whose starts are slow does them at once)."""
        for service in services:
            self._start_service(service)

    def _preflight(self) -> None:
        """Check everything ``up`` needs (images, binaries) before starting anything."""

    @abc.abstractmethod
    def down(self, volumes: bool = True) -> None:
        """Remove every service (and their data unless ``volumes`` is False). Idempotent."""

    @abc.abstractmethod
    def kill(self, service: str) -> None: ...

    @abc.abstractmethod
    def stop(self, service: str, timeout: float | None = None) -> None: ...

    @abc.abstractmethod
    def start(self, service: str) -> None: ...

    @abc.abstractmethod
    def pause(self, service: str) -> None: ...

    @abc.abstractmethod
    def unpause(self, service: str) -> None: ...

    @abc.abstractmethod
    def kill_all(self, services: Iterable[str] | None = None) -> None:
        """SIGKILL every service (or those given) at once; none restarts until started again."""

    @abc.abstractmethod
    def is_running(self, service: str) -> bool:
        """Alive and not frozen, as the operating system or the engine says."""

    @abc.abstractmethod
    def is_paused(self, service: str) -> bool:
        """Frozen by ``pause``: what the kernel (or the engine) says, to confirm the fault took effect."""

    @abc.abstractmethod
    def logs(self, service: str) -> str: ...

    @abc.abstractmethod
    def exited_for_good(self, service: str) -> bool:
        """The service ended and nothing will start it again (its restart policy says no)."""

    # -- shared -----------------------------------------------------------------------

    def services(self) -> list[str]:
        return self.compose.start_order()

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def display_url(self, service: str) -> str:
        """How a user reaches the service: http://, redis:// or postgresql:// on 127.0.0.1."""
        port = self.port(service)
        kind = self.compose.services[service].health.kind
        if self.compose.services[service].display:
            return self.compose.services[service].display
        if port is None:
            return "(no port)"
        if kind == "redis":
            return f"redis://127.0.0.1:{port}"
        if kind == "postgres":
            return f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return self.url(service)

    def _check_ports(self) -> None:
        owners = self.stack.port_variables()
        for var, port in self.ports.items():
            check_port_free(port, what=f"{self.stack.name}/{owners[var]}", hint=f"set {var} to another port")

    def up(self, timeout: float = 120.0) -> None:
        """Start every service in dependency order, each healthy before its dependents;
        services that do not depend on each other start together (a wave of
        ``start_levels``), so a deployment takes as long as its longest chain of boots,
        not the sum of them.

        Anything that goes wrong, Ctrl-C included, takes the whole stack down again.
        """
        self._preflight()
        self._check_ports()
        _live.add(self)
        try:
            for wave in self.compose.start_levels():
                self._start_wave(wave)
                self.wait_healthy(wave, timeout)
        except BaseException:
            self.down()
            raise

    def clear_leftovers(self) -> list[str]:
        """Remove what an earlier deployment of this stack left behind, and name it.

        A measurement starts from nothing: a run killed with its engine (a power cut of the
        harness itself) leaves containers and volumes, and a cell deployed over them would
        inherit their data (the Redis cache of another cell answering this cell's prompts).
        The local runtime keeps its data in a directory of its own per cell: nothing to do."""
        return []

    def cut_power(self) -> dict:
        """The other half of a power cut, after ``kill_all``: what no one synced is dropped
        from the durable volumes; returns what was dropped (``chaos.lazyfs.journal.Cut``)."""
        raise NotImplementedError(f"the {self.name} runtime cannot cut the power")

    def restart_all(self, timeout: float = 120.0) -> None:
        """Power back after ``kill_all``: every service started again, data as the crash left it."""
        for service in self.services():
            if not self.is_running(service):
                self.start(service)
            self.wait_healthy([service], timeout)

    def check_health(self, service: str) -> ProbeResult:
        """Probe one service (running, then its health probe), saying what was seen."""
        svc = self.compose.services[service]
        if not self.is_running(service):
            return ProbeResult(False, "not running")
        port = self.ports[svc.health.port_var] if svc.health.port_var else self.port(service)
        return probe(svc.health, port)

    def is_healthy(self, service: str) -> bool:
        return self.check_health(service).healthy

    def wait_healthy(self, services: Iterable[str] | None = None, timeout: float = 120.0, interval: float = 0.05) -> float:
        """Wait until every service is healthy; return the seconds waited.

        Fails at once when a service's port is answered by another service: waiting would
        not change who holds the port, and "not healthy after 120s" would hide why.
        """
        pending = list(services or self.services())
        started = time.monotonic()
        last: dict[str, ProbeResult] = {}
        while pending:
            last = {s: self.check_health(s) for s in pending}
            pending = [s for s in pending if not last[s].healthy]
            if not pending:
                break
            foreign = [s for s in pending if last[s].foreign]
            if foreign:
                tails = self._tails(foreign)
                raise UnhealthyError(
                    f"{self.stack.name} ({self.name}): {'; '.join(f'{s}: {last[s].why}' for s in foreign)}. "
                    f"Two services were given the same port, or another program listens there: give each service "
                    f"its own port (llmchaos.ports.free_port_plan) or stop that program\n{tails}"
                )
            dead = [s for s in pending if self.exited_for_good(s)]
            if dead:
                tails = self._tails(dead)
                raise UnhealthyError(f"{self.stack.name} ({self.name}): {', '.join(dead)} exited and will not restart\n{tails}")
            if time.monotonic() - started > timeout:
                seen = "; ".join(f"{s}: {last[s].why}" for s in pending if last[s].why)
                tails = self._tails(pending)
                raise UnhealthyError(
                    f"{self.stack.name} ({self.name}): {', '.join(pending)} not healthy after {timeout:.0f}s"
                    f"{f' (last probe: {seen})' if seen else ''}\n{tails}"
                )
            time.sleep(interval)
        return time.monotonic() - started

    def _tails(self, services: list[str]) -> str:
        """The last lines of each service's log, for an error message."""
        return "\n".join(f"--- {s} (last lines of its log) ---\n{self._tail(s)}" for s in services)

    def _tail(self, service: str, lines: int = 20) -> str:
        try:
            return "\n".join(self.logs(service).splitlines()[-lines:])
        except Exception as exc:  # a log we cannot read must not hide the health error
            return f"(no log: {exc})"

    def __enter__(self) -> "Runtime":
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()
