"""What the lazy filesystem costs: writes per second through it against the same disk direct.

Why: the power cut needs every stack's durable state on ``chaos/lazyfs`` (FUSE, in Python),
and a stack that writes much slower than on a plain disk would change what the other
scenarios measure. Three workloads, each on a plain directory and through a mount whose
``live`` is on the same disk:

- ``append``: 4 KiB appends (an AOF, a chunk file), no fsync;
- ``append+fsync``: 4 KiB appends, fsync after each (Redis ``appendfsync always``, a WAL);
- ``sequential``: 64 MiB in 1 MiB writes, one fsync at the end (MB/s);
- ``rewrite``: a 2 KiB JSON file rewritten whole, no fsync (the MVP's state file).

Usage: ``python benchmarks/lazyfs_throughput.py [--seconds 3]``. Figures are printed,
never asserted. Needs FUSE (``apt-get install fuse3``) and root (``allow_other``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chaos.lazyfs.mount import LazyMount, fuse_missing

BLOCK = b"x" * 4096


def append(root: Path, seconds: float, sync: bool) -> float:
    fd = os.open(root / "aof", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    n, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        os.write(fd, BLOCK)
        if sync:
            os.fsync(fd)
        n += 1
    elapsed = time.perf_counter() - start
    os.close(fd)
    return n / elapsed


def sequential(root: Path, seconds: float) -> float:
    chunk = b"y" * (1 << 20)
    start = time.perf_counter()
    fd = os.open(root / "big", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for _ in range(64):
        os.write(fd, chunk)
    os.fsync(fd)
    os.close(fd)
    return 64 / (time.perf_counter() - start)


def rewrite(root: Path, seconds: float) -> float:
    body = ('{"chunks": "' + "z" * 2000 + '"}').encode()
    n, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        (root / "state.json").write_bytes(body)
        n += 1
    return n / (time.perf_counter() - start)


WORKLOADS: dict[str, tuple[str, Callable[[Path, float], float]]] = {
    "append": ("writes/s", lambda root, s: append(root, s, sync=False)),
    "append+fsync": ("writes/s", lambda root, s: append(root, s, sync=True)),
    "sequential": ("MB/s", sequential),
    "rewrite": ("files/s", rewrite),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per workload and place")
    args = parser.parse_args()
    if why := fuse_missing():
        sys.exit(f"lazyfs_throughput: {why}")
    with tempfile.TemporaryDirectory(prefix="lazyfs-bench-", dir="/var/tmp") as tmp:
        base = Path(tmp)
        direct = base / "direct"
        direct.mkdir()
        with LazyMount(base / "mnt", base / "state") as mount:
            print(f"{'workload':<14} {'direct':>12} {'lazyfs':>12} {'ratio':>7}  unit")
            for name, (unit, run) in WORKLOADS.items():
                plain, lazy = run(direct, args.seconds), run(mount.mountpoint, args.seconds)
                print(f"{name:<14} {plain:>12,.0f} {lazy:>12,.0f} {lazy / plain:>7.2f}  {unit}")
            stats = mount.stats()
            print(f"journal: {stats['commits']} commits, {stats['syncs']} syncs, {stats['synced_bytes'] / 2**20:.0f} MiB copied to durable")


if __name__ == "__main__":
    main()
