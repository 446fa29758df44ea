"""Checking that a port is free before starting anything on it.

Why up front: a server that fails to bind deep inside a container or a child process
shows up as a vague health timeout a minute later; checking first gives one clear line.
"""

from __future__ import annotations

import socket

from .errors import PortInUseError


def check_port_free(port: int, host: str = "127.0.0.1", what: str = "", hint: str = "") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            label = f" for {what}" if what else ""
            raise PortInUseError(
                f"port {port} on {host}{label} is already in use ({exc.strerror}); "
                f"stop whatever listens there or {hint or 'pick another port'}"
            ) from None


def free_port() -> int:
    """A port the kernel says is free right now (for tests and parallel deployments)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
