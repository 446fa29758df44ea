"""Child processes that cannot outlive the harness.

Every child gets its own session and process group (a signal reaches all it spawned) and
``PR_SET_PDEATHSIG`` = SIGKILL, so it dies with the thread that forked it even if this
process is SIGKILLed. Because that signal follows the forking *thread*, fork only from
long-lived threads (the main thread, a runtime's supervisor).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved now: no dlopen in the forked child
except (OSError, AttributeError):  # not Linux
    _prctl = None


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv: Sequence[str], log: IO[bytes], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """Start ``argv`` in its own process group, output to ``log``, bound to our life."""
    return subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def signal_group(popen: subprocess.Popen | None, sig: int) -> None:
    """Send ``sig`` to the child's whole process group (no error if it is gone)."""
    if popen is not None:
        try:
            os.killpg(popen.pid, sig)
        except ProcessLookupError:
            pass
