"""The daemon: ``python -m chaos.lazyfs MOUNTPOINT --state DIR`` (foreground; stop it with
``fusermount3 -u MOUNTPOINT`` or SIGTERM). ``DIR/live`` and ``DIR/durable`` are made if
missing; what ``live`` holds when it starts counts as synced (``durable`` becomes its copy).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import threading
import time
from pathlib import Path

from chaos.lazyfs.journal import CACHE_S, Journal, mirror


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mountpoint", type=Path)
    parser.add_argument("--state", type=Path, required=True, help="holds live/, durable/ and control.sock")
    args = parser.parse_args(argv)
    live, durable = args.state / "live", args.state / "durable"
    live.mkdir(parents=True, exist_ok=True)
    durable.mkdir(parents=True, exist_ok=True)
    mirror(live, durable)
    journal = Journal(live, durable)

    import mfusepy as fuse

    from chaos.lazyfs.control import serve
    from chaos.lazyfs.passthrough import LazyPassthrough

    logging.basicConfig(level=logging.WARNING, format="lazyfs %(levelname)s %(message)s")
    server = serve(journal, args.state / "control.sock")
    threading.Thread(target=_end_with_parent, args=(os.getppid(), args.mountpoint), name="lazyfs-parent", daemon=True).start()
    try:
        # allow_other: the stacks' processes (containers' users too) use it; the kernel
        # checks permissions; it caches names and attributes for CACHE_S (every change but
        # the cut goes through this filesystem, which the kernel sees; the cut waits them out)
        fuse.FUSE(LazyPassthrough(journal), str(args.mountpoint), foreground=True, allow_other=True, default_permissions=True,
                  attr_timeout=CACHE_S, entry_timeout=CACHE_S, negative_timeout=CACHE_S, fsname="lazyfs", subtype="llmchaos")  # fmt: skip
    finally:
        server.shutdown()


def _end_with_parent(parent: int, mountpoint: Path) -> None:
    """Unmount and end when the harness that started this daemon is gone (killed with no
    chance to stop it): a broken run leaves nothing running. The daemon is in a session
    of its own (a Ctrl-C of the harness must not cut the filesystem under a stack still
    being taken down), so it cannot rely on the parent's death signal."""
    while os.getppid() == parent:
        time.sleep(0.5)
    subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)], capture_output=True, check=False)
    os._exit(0)


if __name__ == "__main__":
    main()
