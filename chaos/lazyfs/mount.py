"""A lazy mount as the harness uses it: start the daemon, cut the power, stop.

``with LazyMount(mountpoint, state) as fs: ...; fs.cut()`` (the processes that used the
mount must be dead before the cut: that is what a power cut does to them).
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chaos.lazyfs.control import request
from llmchaos.errors import MissingBinaryError

INSTALL_HINT = "apt-get install fuse3 (libfuse 3 and fusermount3; .ci/run installs it)"


def fuse_missing() -> str | None:
    """Why a lazy mount cannot be made here, or None."""
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse: the kernel's FUSE module is not loaded (modprobe fuse), or a container lacks --device /dev/fuse"
    if shutil.which("fusermount3") is None:
        return f"fusermount3 not found: {INSTALL_HINT}"
    if ctypes.util.find_library("fuse3") is None:
        return f"libfuse3 not found: {INSTALL_HINT}"
    return None


class LazyMount:
    """One daemon: ``live``, ``durable``, its socket and its log under ``state``."""

    def __init__(self, mountpoint: Path, state: Path) -> None:
        self.mountpoint, self.state = Path(mountpoint), Path(state)
        self.control = self.state / "control.sock"
        self.log = self.state / "lazyfs.log"
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> LazyMount:
        if why := fuse_missing():
            raise MissingBinaryError(f"a lazy filesystem needs FUSE: {why}")
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        self.control.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen([sys.executable, "-m", "chaos.lazyfs", str(self.mountpoint), "--state", str(self.state)],
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while not (os.path.ismount(self.mountpoint) and self.control.exists()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the lazy filesystem did not mount {self.mountpoint}; its log {self.log}:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.02)
        return self

    def cut(self) -> dict[str, Any]:
        """The power cut: unsynced changes dropped, ``live`` made ``durable``; what was dropped."""
        return request(self.control, "cut")

    def stats(self) -> dict[str, Any]:
        return request(self.control, "stats")

    def stop(self, timeout: float = 10.0) -> None:
        """Unmount and end the daemon (lazily if a process still holds the mount)."""
        if os.path.ismount(self.mountpoint) and subprocess.run(["fusermount3", "-u", str(self.mountpoint)], capture_output=True, check=False).returncode:
            subprocess.run(["fusermount3", "-u", "-z", str(self.mountpoint)], capture_output=True, check=False)
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            self._process = None

    def __enter__(self) -> LazyMount:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
