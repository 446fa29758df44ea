"""Health probes from the host, on 127.0.0.1 only, as a user's client would see a service.

Why protocol-level probes for the datastores: an open port is not readiness. Redis answers
``-LOADING`` while it replays its append-only file, and PostgreSQL refuses sessions with
"the database system is starting up" during crash recovery; both accept TCP meanwhile.

Why an http probe may check *who* answered (``Health.service``): a 200 proves only that
something listens on the port. When two services of a deployment end up on one port, the
first one's /health passes for the second while the second is still starting (or has
failed to bind), and the run fails later with a misleading error. A probe that reaches
another service is therefore not healthy, and says which service it reached
(``ProbeResult.answered_by``) so ``Runtime.wait_healthy`` can name it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

import httpx

from stacks.compose import Health


@dataclass(frozen=True)
class ProbeResult:
    """One probe's verdict. Truthy when healthy, so ``if probe(...)`` reads naturally.

    ``foreign``: the port answered, but as something other than the expected service (a
    JSON ``"service"`` naming another, or a 200 that names none); ``answered_by`` is the
    name it gave, if any; ``why`` says what was seen, for error messages.
    """

    healthy: bool
    why: str = ""
    foreign: bool = False
    answered_by: str | None = None

    def __bool__(self) -> bool:
        return self.healthy


HEALTHY = ProbeResult(True)


def _service_named(response: httpx.Response) -> str | None:
    """The ``"service"`` field of a JSON object answer, or None (not JSON, no such field)."""
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("service") if isinstance(body, dict) else None
    return str(value) if value is not None else None


def _http(port: int, health: Health, timeout: float) -> ProbeResult:
    response = httpx.get(f"http://127.0.0.1:{port}{health.path}", timeout=timeout)
    status = response.status_code
    if health.service is not None:  # who answered must be the service probed
        named = _service_named(response)
        if named is not None and named != health.service:
            why = f"port {port} answered {health.path} as service {named!r}, not {health.service!r}"
            return ProbeResult(False, why, foreign=True, answered_by=named)
        if named is None and status == 200:
            return ProbeResult(
                False,
                f'port {port} answered {health.path} with HTTP 200 but no "service": {health.service!r} in its JSON '
                f"(another program on this port, or an image built before /health named its service)",
                foreign=True,
            )
    return HEALTHY if status == 200 else ProbeResult(False, f"{health.path} answered HTTP {status}")


def _tcp(port: int, timeout: float) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout):
        return True


def _redis(port: int, timeout: float) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def _postgres(port: int, timeout: float) -> bool:
    """Open a session as ``postgres``: any authentication request means it accepts sessions."""
    payload = struct.pack("!I", 196608) + b"user\0postgres\0database\0postgres\0\0"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(struct.pack("!I", len(payload) + 4) + payload)
        ready = sock.recv(1) == b"R"
        sock.sendall(b"X\0\0\0\4")  # Terminate
        return ready


def probe(health: Health, port: int | None, timeout: float = 1.0) -> ProbeResult:
    """One probe. ``process`` probes are the runtime's to answer (is it running?)."""
    if health.kind == "process":
        return HEALTHY
    if port is None:
        return ProbeResult(False, "it publishes no port to probe")
    try:
        if health.kind == "http":
            return _http(port, health, timeout)
        if health.kind == "redis":
            ok = _redis(port, timeout)
        elif health.kind == "postgres":
            ok = _postgres(port, timeout)
        else:
            ok = _tcp(port, timeout)
    except (OSError, httpx.HTTPError) as exc:
        return ProbeResult(False, f"port {port}: {type(exc).__name__}: {exc}".rstrip(": "))
    return HEALTHY if ok else ProbeResult(False, f"port {port}: not ready ({health.kind} handshake refused)")
