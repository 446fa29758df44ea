"""Health probes from the host, on 127.0.0.1 only, as a user's client would see a service.

Why protocol-level probes for the datastores: an open port is not readiness. Redis answers
``-LOADING`` while it replays its append-only file, and PostgreSQL refuses sessions with
"the database system is starting up" during crash recovery; both accept TCP meanwhile.
"""

from __future__ import annotations

import socket
import struct

import httpx

from stacks.compose import Health


def _http(port: int, path: str, timeout: float) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=timeout).status_code == 200


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


def probe(health: Health, port: int | None, timeout: float = 1.0) -> bool:
    """One probe. ``process`` probes are the runtime's to answer (is it running?)."""
    if health.kind == "process":
        return True
    if port is None:
        return False
    try:
        if health.kind == "http":
            return _http(port, health.path, timeout)
        if health.kind == "redis":
            return _redis(port, timeout)
        if health.kind == "postgres":
            return _postgres(port, timeout)
        return _tcp(port, timeout)
    except (OSError, httpx.HTTPError):
        return False
