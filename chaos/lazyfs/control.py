"""The daemon's control socket: one JSON line in, one JSON line out.

Requests: ``{"op": "cut"}`` (the power cut: what was dropped comes back), ``{"op":
"commit"}`` (a journal commit, as a sync would), ``{"op": "stats"}`` (pending changes and
counters). LazyFS takes its commands on a FIFO; a socket also carries the answer.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any

from chaos.lazyfs.journal import Journal


def serve(journal: Journal, path: Path) -> socketserver.UnixStreamServer:
    """Answer requests on ``path`` in a thread of the daemon; returns the server."""

    def stats() -> dict[str, Any]:
        with journal.lock:
            return {**journal.counts, "namespace_ops_pending": len(journal.ops), "files_with_unsynced_data": len(journal.pending),
                    "unsynced_bytes": sum(p.bytes for p in journal.pending.values())}  # fmt: skip

    def commit() -> dict[str, Any]:
        journal.commit()
        return stats()

    ops = {"cut": lambda: journal.cut().as_dict(), "commit": commit, "stats": stats}

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            try:
                request = json.loads(self.rfile.readline() or b"{}")
                answer = {"ok": True, **ops[request.get("op")]()}
            except KeyError:
                answer = {"ok": False, "error": f"unknown op; known: {', '.join(ops)}"}
            except Exception as exc:  # noqa: BLE001 - the caller gets the reason, the daemon stays up
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            self.wfile.write(json.dumps(answer).encode() + b"\n")

    path.unlink(missing_ok=True)
    server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    threading.Thread(target=server.serve_forever, name="lazyfs-control", daemon=True).start()
    return server


def request(path: Path, op: str, timeout: float = 120.0) -> dict[str, Any]:
    """Send one request to a daemon; its answer (``RuntimeError`` if it refused)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps({"op": op}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    answer = json.loads(data)
    if not answer.pop("ok", False):
        raise RuntimeError(f"lazyfs {op}: {answer.get('error')}")
    return answer
