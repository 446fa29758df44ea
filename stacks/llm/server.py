"""Running the fake provider under uvicorn.

Why the log filter: an injected connection cut is an exception raised on purpose after
the response started (the only way ASGI lets an app drop a connection); uvicorn would log
each one as a crash with a traceback. Those, and only those, are silenced.
"""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from llmchaos.ports import check_port_free

from .app import create_app
from .config import ProviderConfig
from .generation import StreamCut
from .ledger import Ledger


class _HideInjectedCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StreamCut)


def serve(config: ProviderConfig, host: str = "127.0.0.1", port: int = 8100, ledger_path: Path | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted. Binds 127.0.0.1 by default: load goes to loopback only."""
    check_port_free(port, host, what="the fake LLM provider", hint="pick another port with --port")
    ledger = Ledger(ledger_path)
    app = create_app(config, ledger)
    server_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    logging.getLogger("uvicorn.error").addFilter(_HideInjectedCuts())  # after uvicorn set up logging
    try:
        uvicorn.Server(server_config).run()
    finally:
        ledger.close()
