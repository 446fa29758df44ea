"""The DBOS worker: runs the chat workflows of the ``chat`` queue, as many at once as
asked (``WORKER_MAX_CONCURRENT_WORKFLOWS``, 100: streaming steps wait on the network).

On launch DBOS recovers the workflows that were PENDING under this worker's executor id
(``DBOS_EXECUTOR_ID``, stable across restarts) and the pinned application version: a
worker killed mid-answer and started again resumes its tasks, each at its step. It
answers ``GET /health`` on ``WORKER_HEALTH_PORT`` once launched, and stops on SIGTERM
(DBOS.destroy, giving running workflows a few seconds).

Environment: ``DATABASE_URL`` (PostgreSQL, DBOS's system database), ``WORKER_HEALTH_HOST``
/ ``_PORT`` (127.0.0.1:8001), and the provider settings of ``stacks.common.llm_clients``.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dbos import DBOS, DBOSConfig

from . import workflows  # noqa: F401  (registers the workflow and its step before launch)
from .shared import APP_NAME, APP_VERSION, QUEUE, database_url

log = logging.getLogger("stacks.dbos.worker")
launched = threading.Event()


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server calls it by this name
        ok = launched.is_set()
        body = b'{"status":"polling"}' if ok else b'{"status":"starting"}'
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    health = ThreadingHTTPServer((os.environ.get("WORKER_HEALTH_HOST", "127.0.0.1"), int(os.environ.get("WORKER_HEALTH_PORT", "8001"))), Health)
    threading.Thread(target=health.serve_forever, daemon=True).start()
    config: DBOSConfig = {
        "name": APP_NAME,
        "system_database_url": database_url(),
        "executor_id": os.environ.get("DBOS_EXECUTOR_ID", "worker-1"),
        "application_version": APP_VERSION,
        "log_level": "WARNING",
    }
    DBOS(config=config)
    DBOS.listen_queues([QUEUE])
    DBOS.launch()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # after launch: ours, whatever DBOS set
        signal.signal(sig, lambda *_: stop.set())
    DBOS.register_queue(QUEUE, worker_concurrency=int(os.environ.get("WORKER_MAX_CONCURRENT_WORKFLOWS", "100")))
    launched.set()
    log.info("polling queue %s as executor %s", QUEUE, config["executor_id"])
    stop.wait()
    launched.clear()
    DBOS.destroy(workflow_completion_timeout_sec=5)
    health.shutdown()
    log.info("worker stopped")


if __name__ == "__main__":
    main()
