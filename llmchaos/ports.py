"""Ports: checking one is free before starting anything on it, and choosing a deployment's.

Why check up front: a server that fails to bind deep inside a container or a child process
shows up as a vague health timeout a minute later; checking first gives one clear line.

Why choose a deployment's ports together (``free_ports``): asking the kernel for one free
port at a time (bind to 0, close, ask again) can hand out the same port twice, since
each socket is closed before the next is asked for. Two services of one deployment then
race for it, and the loser's health probe reaches the winner (seen: the fake provider's
/health answering for the MVP backend). Holding every socket open while choosing makes
the ports of one plan distinct by construction.

Why below the kernel's ephemeral range (``ip_local_port_range``, 32768-60999 by
default): a service that crashes frees its port, and until it restarts any outgoing
connection on the machine (a Locust user, a Temporal client) may be given that port as
its source port; the restarted service then cannot bind (EADDRINUSE) for as long as that
connection lives. Ports outside the range are never handed out that way.
"""

from __future__ import annotations

import random
import socket
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import PortInUseError

# Ports handed out lately by this process: a plan chosen a moment ago may not be bound
# yet, so the next plan must not be given them either (e.g. two deployments in one test).
_RECENT: deque[int] = deque(maxlen=512)
_RECENT_LOCK = threading.Lock()
LOWEST_PORT = 10000  # below: well-known and registered services people run


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _candidates(count: int) -> Iterator[int]:
    """Ports below the ephemeral range, in random order (two processes choosing at once
    rarely try the same ones); none left there: the kernel's choice (port 0)."""
    low, _ = _ephemeral_range()
    span = range(LOWEST_PORT, max(low, LOWEST_PORT))
    yield from random.SystemRandom().sample(span, min(len(span), count + _RECENT.maxlen + 256))
    while True:
        yield 0


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


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports the kernel says are free right now, none handed out lately.

    Every socket stays bound until all are chosen, so the kernel cannot give one port twice.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    held: list[socket.socket] = []
    chosen: list[int] = []
    try:
        with _RECENT_LOCK:
            # a recently handed-out port is skipped; every candidate tried stays bound (so
            # the kernel cannot offer it again as port 0) until all are chosen
            for candidate in _candidates(count):
                if len(chosen) == count or len(held) > count + _RECENT.maxlen + 4096:
                    break
                if candidate in _RECENT:
                    continue
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.append(sock)
                try:
                    sock.bind((host, candidate))
                except OSError:
                    continue  # in use
                port = sock.getsockname()[1]
                if port not in _RECENT:
                    chosen.append(port)
            if len(chosen) < count:
                raise PortInUseError(f"could not find {count} free ports on {host}; is the machine out of ports?")
            _RECENT.extend(chosen)
    finally:
        for sock in held:
            sock.close()
    return chosen


def free_port_plan(variables: Iterable[str], host: str = "127.0.0.1") -> dict[str, int]:
    """A deployment's ports: each port variable (e.g. ``LLM_PORT``) given its own free port."""
    names = list(dict.fromkeys(variables))
    return dict(zip(names, free_ports(len(names), host)))


def free_port() -> int:
    """One port the kernel says is free right now (for a lone server; a deployment's ports
    come from ``free_port_plan``)."""
    return free_ports(1)[0]
