"""The lazy filesystem itself (chaos/lazyfs): what a power cut keeps and what it drops.

The model (chaos/lazyfs/__init__.py): a file's data is kept when that file is synced; the
namespace (create, rename, unlink, ...) when anything is synced (ext4's journal commit);
the cut drops the rest and ``live`` becomes ``durable``. Checked first on the journal
alone, then through a real FUSE mount (skipped with the reason where FUSE is missing),
with plain files and with SQLite as its documentation says for its settings.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from chaos.lazyfs.journal import END, MAX_RANGES, Journal, Pending
from chaos.lazyfs.mount import LazyMount, fuse_missing


def test_pending_ranges_merge_and_stay_few():
    p = Pending("f")
    for at in range(0, 40, 4):  # appends
        p.add(at, at + 4)
    assert p.ranges == [[0, 40]]
    p.add(100, 110)
    p.add(50, 60)
    p.add(55, 105)  # joins the two
    assert p.ranges == [[0, 40], [50, 110]]
    p.add(20, END)
    assert p.ranges == [[0, END]]
    many = Pending("g")
    for at in range(0, 10 * (MAX_RANGES + 1), 10):
        many.add(at, at + 1)
    assert many.ranges == [[0, 10 * MAX_RANGES + 1]], "past MAX_RANGES, one covering range (equal bytes copied again)"


def test_the_journal_keeps_what_was_synced_and_drops_the_rest(tmp_path):
    """The model without FUSE: the test plays the passthrough's part on ``live``."""
    live, durable = tmp_path / "live", tmp_path / "durable"
    live.mkdir(), durable.mkdir()
    j = Journal(live, durable)

    def write(name: str, data: bytes, at: int = 0, create: bool = False) -> int:
        fd = os.open(live / name, os.O_RDWR | os.O_CREAT)
        os.pwrite(fd, data, at)
        ino = os.fstat(fd).st_ino
        os.close(fd)
        if create:
            j.namespace("create", name, 0o644, os.getuid(), os.getgid())
        j.wrote(ino, name, at, len(data))
        return ino

    kept = write("kept", b"0123456789", create=True)
    j.sync(kept, "kept")
    write("kept", b"xx", at=2)  # not synced: dropped
    write("never", b"gone", create=True)  # neither created nor written durably
    os.rename(live / "kept", live / "moved")
    j.namespace("rename", "kept", "moved")
    report = j.cut()
    assert sorted(os.listdir(live)) == ["kept"] and (live / "kept").read_bytes() == b"0123456789"
    assert report.namespace_ops == 2 and report.unsynced_bytes == 2 + 4
    assert {f["path"] for f in report.files} == {"never", "moved"}


needs_fuse = pytest.mark.skipif(fuse_missing() is not None, reason=f"no FUSE here: {fuse_missing()}")


@pytest.fixture
def lazy(tmp_path):
    mount = LazyMount(tmp_path / "mnt", tmp_path / "state")
    with mount:
        yield mount


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@needs_fuse
def test_a_write_without_fsync_is_gone_after_a_power_cut_and_a_synced_one_survives(lazy):
    root = lazy.mountpoint
    (root / "state.json").write_text('{"chunks": 1}')
    fsync_file(root / "state.json")
    (root / "state.json").write_text('{"chunks": 2}')  # rewritten, never synced: the MVP's pattern
    with open(root / "aof", "ab") as f:
        f.write(b"SET a 1\n")
        f.flush()
        os.fsync(f.fileno())
        f.write(b"SET b 2\n")  # appended after the last fsync
    (root / "orphan").write_text("never synced")  # created and written after the last commit
    report = lazy.cut()
    assert (root / "state.json").read_text() == '{"chunks": 1}'
    assert (root / "aof").read_bytes() == b"SET a 1\n"
    assert not (root / "orphan").exists()
    assert report["files_with_unsynced_data"] == 3 and report["unsynced_bytes"] == len('{"chunks": 2}') + 8 + 12
    assert lazy.stats()["unsynced_bytes"] == 0, "the cut leaves nothing pending"


@needs_fuse
def test_a_file_whose_creation_was_committed_but_not_its_data_is_empty(lazy):
    """ext4's zero-length file: another file's fsync commits the journal, creation included."""
    root = lazy.mountpoint
    (root / "chunk_0001.txt").write_text("half an answer")
    (root / "other").write_text("x")
    fsync_file(root / "other")
    lazy.cut()
    assert (root / "chunk_0001.txt").exists() and (root / "chunk_0001.txt").read_bytes() == b""


@needs_fuse
def test_a_rename_without_a_directory_fsync_is_undone_and_with_one_it_holds(lazy):
    root = lazy.mountpoint
    (root / "state.json").write_text("old")
    fsync_file(root / "state.json")
    (root / "state.json.tmp").write_text("new")
    fsync_file(root / "state.json.tmp")  # the data of the new file is safe...
    os.replace(root / "state.json.tmp", root / "state.json")  # ...but not its name
    lazy.cut()
    assert (root / "state.json").read_text() == "old" and (root / "state.json.tmp").read_text() == "new"

    os.replace(root / "state.json.tmp", root / "state.json")
    fsync_dir(root)  # the directory's fsync commits the rename
    lazy.cut()
    assert (root / "state.json").read_text() == "new" and not (root / "state.json.tmp").exists()


@needs_fuse
def test_an_unlink_without_a_sync_is_undone_and_owners_and_modes_survive(traversable_tmp):
    lazy = LazyMount(traversable_tmp / "mnt", traversable_tmp / "state").start()
    try:
        _unlink_and_owners(lazy)
    finally:
        lazy.stop()


def _unlink_and_owners(lazy: LazyMount) -> None:
    root = lazy.mountpoint
    os.chmod(root, 0o777)
    # a file made by another user (PostgreSQL runs as its own): the daemon gives it to the caller
    code = "import os, sys; p = sys.argv[1]; open(p, 'w').write('mine'); os.chmod(p, 0o600); fd = os.open(p, os.O_RDONLY); os.fsync(fd)"
    subprocess.run(["/usr/bin/python3", "-c", code, str(root / "theirs")], check=True, user=65534, group=65534)
    st = os.stat(root / "theirs")
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (65534, 65534, 0o600)
    os.unlink(root / "theirs")
    lazy.cut()
    st = os.stat(root / "theirs")
    assert (root / "theirs").read_text() == "mine" and (st.st_uid, st.st_gid, st.st_mode & 0o777) == (65534, 65534, 0o600)


def _sqlite_rows(db: Path, synchronous: str, rows: int) -> None:
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA synchronous={synchronous}")
    for i in range(rows):
        con.execute("INSERT INTO t VALUES (?)", (i,))
        con.commit()
    con.close()


def _count(db: Path) -> int | None:
    if not db.exists() or db.stat().st_size == 0:
        return None
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        con.close()


@needs_fuse
@pytest.mark.parametrize(("journal_mode", "synchronous", "kept"), [
    ("delete", "EXTRA", 30),
    ("delete", "FULL", 29),
    ("wal", "FULL", 30),
    ("delete", "OFF", 0),
    ("wal", "OFF", 0),
])  # fmt: skip
def test_sqlite_keeps_what_its_documentation_promises_for_each_setting(lazy, journal_mode, synchronous, kept):
    """SQLite's documentation (PRAGMA synchronous): FULL makes a commit survive a power
    loss, but in DELETE journal mode a commit is the unlink of its rollback journal, and
    only EXTRA syncs the directory after that unlink ("EXTRA provides additional durability
    if the commit is followed closely by a power loss"): with FULL, the last commit's
    journal is still there after the cut and rolls it back. In WAL mode, FULL syncs the
    WAL at each commit. OFF hands everything to the OS: all 30 commits are gone. The
    table is created and synced first, its directory too (as the documentation asks)."""
    root = lazy.mountpoint
    db = root / "chat.db"
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA journal_mode={journal_mode}")
    con.execute("PRAGMA synchronous=EXTRA")
    con.execute("CREATE TABLE t (i INTEGER)")
    con.commit()
    con.close()
    fsync_dir(root)
    _sqlite_rows(db, synchronous, 30)
    lazy.cut()
    assert _count(db) == kept
