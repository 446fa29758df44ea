"""The FUSE operations: every call passes through to ``live`` and is told to the journal.

A loopback filesystem (fusepy's loopback example, grown up): the daemon runs as root, so
what it creates is given to the calling process's user (``fuse_get_context``: PostgreSQL
runs as its own user), and the kernel checks permissions (``default_permissions``).
``O_APPEND`` is not passed on: the kernel gives every write its offset.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import mfusepy as fuse

from chaos.lazyfs.journal import Journal

STAT_KEYS = ("st_mode", "st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size", "st_blocks", "st_blksize", "st_rdev")


class LazyPassthrough(fuse.Operations):
    use_ns = True  # times in nanoseconds (mfusepy's float seconds are deprecated)

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.root = str(journal.live)
        self._ino: dict[int, int] = {}  # open file handle -> its inode in live

    def _full(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    @staticmethod
    def _rel(path: str) -> str:
        return path.lstrip("/")

    @staticmethod
    def _caller() -> tuple[int, int]:
        uid, gid, _ = fuse.fuse_get_context()
        return uid, gid

    # -- attributes and directories ------------------------------------------------------

    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        st = os.fstat(fh) if fh is not None else os.lstat(self._full(path))
        attrs = {key: getattr(st, key) for key in STAT_KEYS}
        attrs.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
        return attrs

    def readdir(self, path: str, fh: int) -> list[str]:
        return [".", "..", *os.listdir(self._full(path))]

    def readlink(self, path: str) -> str:
        return os.readlink(self._full(path))

    def statfs(self, path: str) -> dict[str, int]:
        sv = os.statvfs(self._full(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")
        return {key: getattr(sv, key) for key in keys}

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        os.utime(self._full(path), ns=times) if times else os.utime(self._full(path))
        return 0

    # -- the namespace: applied to live, journalled ----------------------------------------

    def mkdir(self, path: str, mode: int) -> int:
        uid, gid = self._caller()
        os.mkdir(self._full(path), mode)
        os.lchown(self._full(path), uid, gid)
        self.journal.namespace("mkdir", self._rel(path), mode, uid, gid)
        return 0

    def rmdir(self, path: str) -> int:
        os.rmdir(self._full(path))
        self.journal.namespace("rmdir", self._rel(path))
        return 0

    def unlink(self, path: str) -> int:
        st = os.lstat(self._full(path))
        os.unlink(self._full(path))
        if st.st_nlink <= 1:
            self.journal.forget(st.st_ino)
        self.journal.namespace("unlink", self._rel(path))
        return 0

    def rename(self, old: str, new: str) -> int:
        os.replace(self._full(old), self._full(new))
        self.journal.namespace("rename", self._rel(old), self._rel(new))
        return 0

    def symlink(self, target: str, source: str) -> int:  # mfusepy: the link is `target`, pointing at `source`
        uid, gid = self._caller()
        os.symlink(source, self._full(target))
        os.lchown(self._full(target), uid, gid)
        self.journal.namespace("symlink", source, self._rel(target), uid, gid)
        return 0

    def link(self, target: str, source: str) -> int:  # the new name is `target`
        os.link(self._full(source), self._full(target))
        self.journal.namespace("link", self._rel(source), self._rel(target))
        return 0

    def chmod(self, path: str, mode: int) -> int:
        os.chmod(self._full(path), mode)
        self.journal.namespace("chmod", self._rel(path), mode)
        return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        os.lchown(self._full(path), uid, gid)
        st = os.lstat(self._full(path))
        self.journal.namespace("chown", self._rel(path), st.st_uid, st.st_gid)
        return 0

    def mknod(self, path: str, mode: int, dev: int) -> int:
        raise fuse.FuseOSError(errno.EPERM)  # no device files or FIFOs in a stack's data

    # -- files: data held until synced --------------------------------------------------------

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        uid, gid = self._caller()
        fh = os.open(self._full(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)
        os.fchown(fh, uid, gid)
        self._ino[fh] = os.fstat(fh).st_ino
        self.journal.namespace("create", self._rel(path), mode, uid, gid)
        return fh

    def open(self, path: str, flags: int) -> int:
        fh = os.open(self._full(path), flags & ~os.O_APPEND)
        self._ino[fh] = ino = os.fstat(fh).st_ino
        if flags & os.O_TRUNC:
            self.journal.truncated(ino, self._rel(path), 0)
        return fh

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return os.pread(fh, size, offset)

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        written = os.pwrite(fh, data, offset)
        self.journal.wrote(self._ino[fh], self._rel(path), offset, written)
        return written

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        os.truncate(self._full(path), length)
        self.journal.truncated(os.lstat(self._full(path)).st_ino, self._rel(path), length)
        return 0

    def fallocate(self, path: str, mode: int, offset: int, size: int, fh: int) -> int:
        if mode:
            raise fuse.FuseOSError(errno.EOPNOTSUPP)  # only the plain "make room" call
        os.posix_fallocate(fh, offset, size)
        self.journal.wrote(self._ino[fh], self._rel(path), offset, 0)  # no bytes, a new size: the sync sets it
        return 0

    def flush(self, path: str, fh: int) -> int:
        return 0  # close() is not a sync

    def release(self, path: str, fh: int) -> int:
        self._ino.pop(fh, None)
        os.close(fh)
        return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        self.journal.sync(self._ino[fh], self._rel(path))
        return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        self.journal.commit()
        return 0
