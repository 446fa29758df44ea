"""What a power cut would drop, and the durable copy it would leave (no FUSE here).

The passthrough filesystem tells the journal what each operation did to ``live``; the
journal keeps (1) the namespace changes since the last commit, in order, and (2) per file
(by its inode in ``live``, which survives renames) the byte ranges written or truncated
since that file was last synced. The invariant that makes a sync cheap: outside its
pending ranges, a file's bytes in ``live`` are the bytes in ``durable``; a sync copies
only those ranges. Over-approximating a range is always safe (the bytes are equal), so
a file with too many small ranges gets one covering range.

Thread-safe: FUSE calls come from several threads.
"""

from __future__ import annotations

import os
import shutil
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.lazyfs.survey import survey

END = 1 << 62  # "to the end of the file": a truncation's range
MAX_RANGES = 256  # beyond this, one covering range
COPY_CHUNK = 1 << 20
# How long the kernel may keep a name or attributes it read from the mount (entry_timeout,
# attr_timeout, negative_timeout). Without any cache, every path lookup is a call into
# Python: a PostgreSQL restart took 4.5 s instead of 0.3 s. The cut changes `live` behind
# the kernel's back, so it waits this long before it answers: nothing stale is seen after.
CACHE_S = 1.0


@dataclass
class Pending:
    """One file's data not yet synced: ``[start, end)`` ranges, sorted, not overlapping."""

    path: str  # the last path it was seen under (for the cut's report)
    ranges: list[list[int]] = field(default_factory=list)
    bytes: int = 0  # bytes written since its last sync (what a cut would drop, at most)

    def add(self, start: int, end: int) -> None:
        if self.ranges and self.ranges[-1][0] <= start <= self.ranges[-1][1]:
            self.ranges[-1][1] = max(self.ranges[-1][1], end)  # the common case: appending, or rewriting the tail
        else:
            self.ranges.append([start, end])
            self.ranges.sort()
            merged: list[list[int]] = []
            for s, e in self.ranges:
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            self.ranges = merged
        if len(self.ranges) > MAX_RANGES:
            self.ranges = [[self.ranges[0][0], max(e for _, e in self.ranges)]]


@dataclass
class Cut:
    """What a power cut dropped."""

    namespace_ops: int
    ops: list[list[Any]]  # the first of them, as recorded
    files: list[dict[str, Any]]  # per file with unsynced data: path, bytes
    unsynced_bytes: int
    left: dict[str, Any] = field(default_factory=dict)  # what the files are after it (``survey.survey``)

    def as_dict(self) -> dict[str, Any]:
        return {"namespace_ops_dropped": self.namespace_ops, "ops": self.ops, "files_with_unsynced_data": len(self.files),
                "unsynced_bytes": self.unsynced_bytes, "files": self.files, "left": self.left}  # fmt: skip


class Journal:
    """The model of one mount: ``live`` and ``durable`` roots, the pending changes."""

    def __init__(self, live: Path, durable: Path) -> None:
        self.live, self.durable = Path(live), Path(durable)
        self.ops: list[tuple[Any, ...]] = []
        self.pending: dict[int, Pending] = {}
        self.touched: set[str] = set()  # paths changed in live since the last cut: all a cut must restore
        self.lock = threading.RLock()
        self.counts = {"commits": 0, "syncs": 0, "synced_bytes": 0, "replay_skipped": 0, "cuts": 0}

    # -- what happened in live -----------------------------------------------------------

    def wrote(self, ino: int, path: str, offset: int, length: int) -> None:
        with self.lock:
            p = self.pending.setdefault(ino, Pending(path))
            p.path = path
            p.add(offset, offset + length)
            p.bytes += length
            self.touched.add(path)

    def truncated(self, ino: int, path: str, length: int) -> None:
        with self.lock:
            p = self.pending.setdefault(ino, Pending(path))
            p.path = path
            p.add(length, END)
            self.touched.add(path)

    def forget(self, ino: int) -> None:
        """The file's last name was removed: its unsynced data no longer exists anywhere."""
        with self.lock:
            self.pending.pop(ino, None)

    def namespace(self, *op: Any) -> None:
        """``("create", path, mode, uid, gid)``, ``("mkdir", path, mode, uid, gid)``,
        ``("unlink", path)``, ``("rmdir", path)``, ``("rename", old, new)``,
        ``("symlink", target, path, uid, gid)``, ``("link", existing, new)``,
        ``("chmod", path, mode)``, ``("chown", path, uid, gid)``; paths relative."""
        with self.lock:
            self.ops.append(op)
            self.touched.update(_PATHS_OF[op[0]](*op[1:]))
            if op[0] == "rename":  # the cut's report names a file by its latest name
                old, new = op[1], op[2]
                for p in self.pending.values():
                    if p.path == old or p.path.startswith(old + "/"):
                        p.path = new + p.path[len(old):]

    # -- syncs ---------------------------------------------------------------------------

    def commit(self) -> None:
        """The journal reaches the disk: every namespace change so far, in order."""
        with self.lock:
            for op in self.ops:
                try:
                    _REPLAY[op[0]](self.durable, *op[1:])
                except OSError:
                    self.counts["replay_skipped"] += 1  # e.g. a rename of a file already gone: the end state is the same
            self.ops.clear()
            self.counts["commits"] += 1

    def sync(self, ino: int, path: str) -> None:
        """``fsync`` of the file ``path`` (relative): commit, then its pending data."""
        with self.lock:
            self.commit()
            p = self.pending.pop(ino, None)
            self.counts["syncs"] += 1
            if p is not None:
                self.counts["synced_bytes"] += _copy_ranges(self.live / path, self.durable / path, p.ranges)

    # -- the cut -------------------------------------------------------------------------

    def cut(self) -> Cut:
        """Drop what was not synced; ``live`` becomes ``durable``. The caller makes sure no
        process uses ``live`` (they were all killed: that is the power cut)."""
        with self.lock:
            report = Cut(len(self.ops), [list(op) for op in self.ops[:50]],
                         sorted(({"path": p.path, "bytes": p.bytes} for p in self.pending.values()), key=lambda f: f["path"]),
                         sum(p.bytes for p in self.pending.values()))  # fmt: skip
            changed = _outermost(self.touched)
            report.left = survey(self.live, self.durable, changed)
            self.ops.clear()
            self.pending.clear()
            for path in changed:
                restore(self.durable, self.live, path)
            self.touched.clear()
            self.counts["cuts"] += 1
        time.sleep(CACHE_S)  # the kernel's cached names and attributes of the old live expire
        return report


def _outermost(paths: set[str]) -> list[str]:
    """The paths none of whose ancestors is in the set (restoring a folder restores its insides)."""
    return [p for p in sorted(paths) if not any(q in paths for q in _ancestors(p))]


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def restore(durable: Path, live: Path, path: str) -> None:
    """``live/path`` made what ``durable/path`` is (absent if it is absent there). Every path
    not changed since the last cut is already the same in both (nothing wrote it, no commit
    or sync touched it), so the cut restores only the changed ones, not the whole tree."""
    target, source = live / path, durable / path
    if not path:  # the mount's root: its owner and mode only
        _same_metadata(source, target)
        return
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif os.path.lexists(target):
        os.unlink(target)
    if os.path.lexists(source) and os.path.isdir(target.parent):
        _copy_entry(source, target)


def _copy_ranges(src: Path, dst: Path, ranges: list[list[int]]) -> int:
    """The file's size and its pending ranges from ``live`` to ``durable``; bytes copied."""
    try:
        fin = os.open(src, os.O_RDONLY)
    except OSError:
        return 0  # gone from live (unlinked since): nothing to keep under this name
    copied = 0
    try:
        size = os.fstat(fin).st_size
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.ftruncate(fout, size)
            for start, end in ranges:
                at, end = start, min(end, size)
                while at < end:
                    data = os.pread(fin, min(COPY_CHUNK, end - at), at)
                    if not data:
                        break
                    os.pwrite(fout, data, at)
                    at += len(data)
                    copied += len(data)
        finally:
            os.close(fout)
    finally:
        os.close(fin)
    return copied


def _create(root: Path, path: str, mode: int, uid: int, gid: int) -> None:
    fd = os.open(root / path, os.O_WRONLY | os.O_CREAT, stat.S_IMODE(mode))
    os.close(fd)
    os.chown(root / path, uid, gid)


def _mkdir(root: Path, path: str, mode: int, uid: int, gid: int) -> None:
    os.mkdir(root / path, stat.S_IMODE(mode))
    os.chown(root / path, uid, gid)


def _symlink(root: Path, target: str, path: str, uid: int, gid: int) -> None:
    os.symlink(target, root / path)
    os.lchown(root / path, uid, gid)


_PATHS_OF = {  # the paths in live a namespace change touches
    "create": lambda path, *_: [path],
    "mkdir": lambda path, *_: [path],
    "unlink": lambda path: [path],
    "rmdir": lambda path: [path],
    "rename": lambda old, new: [old, new],
    "symlink": lambda target, path, *_: [path],
    "link": lambda existing, new: [existing, new],
    "chmod": lambda path, mode: [path],
    "chown": lambda path, uid, gid: [path],
}

_REPLAY = {
    "create": _create,
    "mkdir": _mkdir,
    "unlink": lambda root, path: os.unlink(root / path),
    "rmdir": lambda root, path: os.rmdir(root / path),
    "rename": lambda root, old, new: os.replace(root / old, root / new),
    "symlink": _symlink,
    "link": lambda root, existing, new: os.link(root / existing, root / new),
    "chmod": lambda root, path, mode: os.chmod(root / path, stat.S_IMODE(mode)),
    "chown": lambda root, path, uid, gid: os.lchown(root / path, uid, gid),
}


def mirror(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of ``src``: contents, modes, owners, times; nothing else left."""
    for entry in os.scandir(dst):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    for entry in os.scandir(src):
        _copy_entry(Path(entry.path), dst / entry.name)
    _same_metadata(src, dst)


def _copy_entry(src: Path, dst: Path) -> None:
    st = os.lstat(src)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISDIR(st.st_mode):
        os.mkdir(dst)
        for entry in os.scandir(src):
            _copy_entry(Path(entry.path), dst / entry.name)
    else:
        shutil.copyfile(src, dst, follow_symlinks=False)
    _same_metadata(src, dst)


def _same_metadata(src: Path, dst: Path) -> None:
    st = os.lstat(src)
    os.lchown(dst, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
