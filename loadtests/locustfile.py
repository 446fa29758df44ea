"""The locustfile: ``locust -f loadtests/locustfile.py`` with ``LLMCHAOS_LOAD`` set.

Opens the cell's history in every Locust process, closes (fsyncs) it at the end, and on the
process that owns the run (standalone or master) holds the run until the harness says go
(``loadtests.runner.LoadProcess``: Locust imports while the stack warms up) and quits once
every user has done its requests, so a run lasts as long as its work and not a fixed time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import gevent
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from llmchaos.history import HistoryWriter
from loadtests import users
from loadtests.config import LoadConfig
from loadtests.runner import GO_VARIABLE
from loadtests.users import ChatUser

__all__ = ["ChatUser"]


_environment = None
GO_PATIENCE_S = 600  # a harness that never says go has died: the run does not start on its own


@events.init.add_listener
def open_history(environment, **kwargs) -> None:
    global _environment
    _environment = environment
    if isinstance(environment.runner, MasterRunner):
        return  # the master runs no user: it writes nothing
    config = LoadConfig.from_env()
    users.history = HistoryWriter(Path(config.history), config.stack, config.run_t0)


@events.init.add_listener
def wait_for_go(environment, **kwargs) -> None:
    """Block Locust's start (its users, its --run-time clock) until the go file exists."""
    go = os.environ.get(GO_VARIABLE)
    if not go or isinstance(environment.runner, WorkerRunner):
        return  # started by hand, or a worker: the master starts the users
    deadline = time.monotonic() + GO_PATIENCE_S
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.stderr.write(f"llmchaos: no go ({go}) within {GO_PATIENCE_S}s: the harness is gone; no load was run\n")
            os._exit(3)
        gevent.sleep(0.01)


@events.quitting.add_listener
def close_history(environment, **kwargs) -> None:
    if users.history is not None:
        users.history.close()
        users.history = None


def _quit_when_everyone_is_done(runner) -> None:
    while runner.user_count > 0:
        gevent.sleep(0.1)
    runner.quit()


@events.spawning_complete.add_listener
def watch_users(user_count: int, **kwargs) -> None:
    """Every user is spawned: from now on, no user left means the work is done."""
    if _environment is not None and not isinstance(_environment.runner, WorkerRunner):
        gevent.spawn(_quit_when_everyone_is_done, _environment.runner)
