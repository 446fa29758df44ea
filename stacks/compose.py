"""Reading a stack's ``compose.yaml``: the one description of its topology.

Why our own reader: the Docker runtime deploys the file through the Docker Engine API
(to own every container it creates and to inject faults), and the local runtime needs the
same ports and dependencies. The file itself stays an ordinary compose file that
``docker compose`` and Debian's ``docker-compose`` run as they are; this reader accepts the
subset of the Compose Specification the stacks use and refuses anything else by name, so
the two can never silently disagree.

Per service, an ``x-llmchaos`` block (an extension field, ignored by compose) says what
the harness needs that compose does not: the service's ``role`` and its ``health`` probe
as seen from the host (``{http: /path}``, ``{tcp: true}``, ``{redis: true}``,
``{postgres: true}`` or ``{process: true}``, optionally on another of its published ports
with ``port: VAR``; see ``llmchaos/runtime/probes.py``), and optionally its ``recovery_log``:
named patterns (Python regular expressions; ``$$`` for a literal ``$``, as everywhere in
compose) of the lines by which the service says, starting again, how it recovered its
data (PostgreSQL's WAL replay, Redis's AOF load). The cell counts them in the service's
log (``chaos/recovery_log.py``), so the report can say what a datastore did after a crash
or a power cut, not only what the users got. An http probe may also say which
service must answer it, ``{http: /health, service: backend}``: the JSON body must hold
``"service": "backend"``. Why: an HTTP 200 proves only that *something* answers on the
port; when two services end up on one port, the other's /health would pass for this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmchaos.errors import ComposeFileError

SERVICE_KEYS = {"image", "build", "command", "environment", "ports", "volumes", "depends_on", "restart", "healthcheck", "stop_grace_period", "profiles", "x-llmchaos"}
ROLES = {"llm", "backend", "worker", "datastore", "server", "frontend"}

_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_PORT = re.compile(r"^(?:(?P<ip>[0-9.]+):)?(?P<host>\$\{[^}]*\}|[^:]+):(?P<container>\d+)(?:/tcp)?$")
_PORT_VAR = re.compile(r"^\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*):-(?P<default>\d+)\}$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|s|m|h)")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose-style ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``$VAR``, ``$$``."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op = match.group("op")
        current = variables.get(name)
        if op == ":-" and not current:
            return match.group("default")
        if op == "-" and current is None:
            return match.group("default")
        return current or ""

    return _VAR.sub(replace, value)


def _interpolate_tree(node: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_tree(v, variables) for v in node]
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, variables) for k, v in node.items()}
    return node


def parse_duration(text: str | int | float) -> float:
    """Seconds in a compose duration such as ``2s``, ``500ms`` or ``1m30s``."""
    if isinstance(text, (int, float)):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(n) * scale[u] for n, u in parts)


@dataclass(frozen=True)
class PortMapping:
    host_ip: str
    host_port: int
    container_port: int
    host_var: str  # the variable that moves the host port, e.g. MVP_BACKEND_PORT


@dataclass(frozen=True)
class Mount:
    source: str  # a named volume, or a host path (absolute once loaded)
    target: str
    named: bool


@dataclass(frozen=True)
class Health:
    kind: str  # "http", "tcp", "redis", "postgres" or "process"
    path: str = "/health"
    port_var: str | None = None  # probe this published port instead of the service's first
    service: str | None = None  # http: the "service" its JSON answer must name (who must answer)


@dataclass(frozen=True)
class ComposeService:
    name: str
    role: str
    health: Health
    image: str | None
    build: dict[str, Any] | None
    command: list[str] | None
    environment: dict[str, str]
    ports: tuple[PortMapping, ...]
    volumes: tuple[Mount, ...]
    depends_on: tuple[str, ...]
    restart: str
    healthcheck: dict[str, Any] | None
    stop_grace_period_s: float
    display: str | None = None  # how ``llmchaos up`` shows where the service is (x-llmchaos.url)
    profiles: tuple[str, ...] = ()  # compose profiles: deployed only when one of them is asked for
    recovery_log: tuple[tuple[str, str], ...] = ()  # (name, regex): what its log says when it recovers its data


@dataclass(frozen=True)
class ComposeFile:
    path: Path
    services: dict[str, ComposeService]
    volumes: tuple[str, ...] = field(default_factory=tuple)

    def durable_volumes(self) -> list[str]:
        """The named volumes that hold the stack's state: every service's but the LLM
        provider's (its ledger is the measurement, and a power cut of our machines does not
        reach OpenAI's). What a power cut acts on."""
        return sorted({m.source for s in self.services.values() if s.role != "llm" for m in s.volumes if m.named})

    def start_order(self) -> list[str]:
        """Services with every dependency before its dependents."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise ComposeFileError(f"{self.path}: services depend on each other in a cycle through {name!r}")
            visiting.add(name)
            for dep in self.services[name].depends_on:
                visit(dep)
            order.append(name)

        for name in self.services:
            visit(name)
        return order

    def start_levels(self) -> list[list[str]]:
        """``start_order`` in waves: each service in the first wave after all its
        dependencies, so a wave's services can start (and boot) at once."""
        level: dict[str, int] = {}
        for name in self.start_order():
            level[name] = 1 + max((level[dep] for dep in self.services[name].depends_on), default=-1)
        return [[name for name in level if level[name] == i] for i in range(max(level.values(), default=-1) + 1)]


def _fail(path: Path, where: str, message: str) -> ComposeFileError:
    return ComposeFileError(f"{path}: {where}: {message}")


def _ports(path: Path, name: str, raw_ports: list[Any], ports: list[Any]) -> tuple[PortMapping, ...]:
    out = []
    for raw, value in zip(raw_ports, ports):
        match = _PORT.match(str(value))
        if not match or not match.group("host").isdigit():
            raise _fail(path, f"services.{name}.ports", f"expected 'IP:HOST:CONTAINER', got {value!r}")
        raw_host = _PORT.match(str(raw)).group("host") if _PORT.match(str(raw)) else ""
        var = _PORT_VAR.match(raw_host)
        if var is None:
            raise _fail(path, f"services.{name}.ports", f"publish ports as 'IP:${{VAR:-default}}:CONTAINER' so they can be moved, got {raw!r}")
        out.append(PortMapping(match.group("ip") or "0.0.0.0", int(match.group("host")), int(match.group("container")), var.group("var")))
    return tuple(out)


def _mounts(path: Path, name: str, volumes: list[Any], declared: set[str]) -> tuple[Mount, ...]:
    out = []
    for value in volumes:
        source, sep, target = str(value).partition(":")
        target = target.split(":")[0]
        if not sep or not target.startswith("/"):
            raise _fail(path, f"services.{name}.volumes", f"expected 'SOURCE:/container/path', got {value!r}")
        named = not source.startswith((".", "/"))
        if named and source not in declared:
            raise _fail(path, f"services.{name}.volumes", f"volume {source!r} is not declared under top-level 'volumes'")
        out.append(Mount(source if named else str((path.parent / source).resolve()), target, named))
    return tuple(out)


def _recovery_log(path: Path, name: str, patterns: Any) -> tuple[tuple[str, str], ...]:
    """``x-llmchaos.recovery_log``: a mapping of names to regular expressions that compile."""
    where = f"services.{name}.x-llmchaos.recovery_log"
    if patterns is None:
        return ()
    if not isinstance(patterns, dict) or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in patterns.items()):
        raise _fail(path, where, f"expected a mapping of names to regular expressions, got {patterns!r}")
    for label, pattern in patterns.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(path, f"{where}.{label}", f"not a regular expression ({exc}): {pattern!r}") from None
    return tuple(patterns.items())


def _health(path: Path, name: str, meta: dict[str, Any], ports: tuple[PortMapping, ...]) -> Health:
    health = dict(meta.get("health") or {})
    port_var = health.pop("port", None)
    service = health.pop("service", None)
    where = f"services.{name}.x-llmchaos.health"
    if port_var is not None and port_var not in {p.host_var for p in ports}:
        raise _fail(path, where, f"port {port_var!r} is not one of this service's port variables")
    if service is not None and not (isinstance(service, str) and service):
        raise _fail(path, where, f"service: expected the name the /health JSON answer gives in its \"service\" field, got {service!r}")
    if len(health) != 1:
        raise _fail(
            path, where,
            "expected one of {http: /path}, {tcp: true}, {redis: true}, {postgres: true}, {process: true}, "
            "and optionally port: VAR (and for http, service: NAME)",
        )  # fmt: skip
    (kind, value), = health.items()
    if service is not None and kind != "http":
        raise _fail(path, where, f"service: {service!r} needs an http probe (it checks the JSON answer's \"service\" field); this one is {kind}")
    if kind == "http" and isinstance(value, str) and value.startswith("/"):
        return Health("http", value, port_var, service)
    if kind in ("tcp", "process", "redis", "postgres") and value is True:
        return Health(kind, port_var=port_var)
    raise _fail(path, where, f"unsupported probe {health!r}")


def load_compose(path: Path, variables: Mapping[str, str] | None = None, profiles: Iterable[str] | None = None) -> ComposeFile:
    """Parse and interpolate ``path``; raise ``ComposeFileError`` naming what is wrong.

    ``profiles``: the active compose profiles, with compose's meaning (a service that lists
    profiles is kept only if one of them is active: the stacks' Chainlit front ends are
    profile ``frontend``, deployed for the scenarios and the ``up`` that want a page);
    ``None`` keeps every service (the stack's whole description)."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ComposeFileError(f"{path}: cannot read it as YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict) or not raw["services"]:
        raise ComposeFileError(f"{path}: expected a mapping with a non-empty 'services' mapping")
    doc = _interpolate_tree(raw, variables or {})
    declared = set((doc.get("volumes") or {}).keys())
    services: dict[str, ComposeService] = {}
    for name, spec in doc["services"].items():
        if not isinstance(spec, dict):
            raise _fail(path, f"services.{name}", "expected a mapping")
        unknown = sorted(k for k in spec if k not in SERVICE_KEYS)
        if unknown:
            raise _fail(path, f"services.{name}", f"unsupported key(s) {', '.join(unknown)}; supported: {', '.join(sorted(SERVICE_KEYS))}")
        meta = spec.get("x-llmchaos") or {}
        role = meta.get("role")
        if role not in ROLES:
            raise _fail(path, f"services.{name}.x-llmchaos.role", f"expected one of {sorted(ROLES)}, got {role!r}")
        env = spec.get("environment") or {}
        if isinstance(env, list):  # a bare NAME passes the host's value through, when it has one
            pairs = [item.split("=", 1) if "=" in item else (item, (variables or {}).get(item)) for item in env]
            env = {k: v for k, v in pairs if v is not None}
        depends = spec.get("depends_on") or []
        depends = tuple(depends.keys() if isinstance(depends, dict) else depends)
        for dep in depends:
            if dep not in doc["services"]:
                raise _fail(path, f"services.{name}.depends_on", f"no service named {dep!r}")
        command = spec.get("command")
        if isinstance(command, str):
            command = command.split()
        try:
            grace = parse_duration(spec.get("stop_grace_period", "10s"))
        except ValueError as exc:
            raise _fail(path, f"services.{name}.stop_grace_period", str(exc)) from None
        ports = _ports(path, name, raw["services"][name].get("ports") or [], spec.get("ports") or [])
        service_profiles = spec.get("profiles") or []
        if not isinstance(service_profiles, list) or not all(isinstance(x, str) and x for x in service_profiles):
            raise _fail(path, f"services.{name}.profiles", f"expected a list of profile names, got {service_profiles!r}")
        services[name] = ComposeService(
            name=name,
            role=role,
            health=_health(path, name, meta, ports),
            image=spec.get("image"),
            build=spec.get("build"),
            command=[str(c) for c in command] if command is not None else None,
            environment={str(k): "" if v is None else str(v) for k, v in env.items()},
            ports=ports,
            volumes=_mounts(path, name, spec.get("volumes") or [], declared),
            depends_on=depends,
            restart=str(spec.get("restart", "no")),
            healthcheck=spec.get("healthcheck"),
            stop_grace_period_s=grace,
            display=meta.get("url"),
            profiles=tuple(service_profiles),
            recovery_log=_recovery_log(path, name, meta.get("recovery_log")),
        )
    if profiles is not None:
        active = set(profiles)
        services = {n: s for n, s in services.items() if not s.profiles or active & set(s.profiles)}
        for name, svc in services.items():
            missing = [d for d in svc.depends_on if d not in services]
            if missing:
                raise _fail(path, f"services.{name}.depends_on", f"{missing[0]!r} is in a profile that is not active")
    return ComposeFile(path, services, tuple(sorted(declared)))
