"""The lazy filesystem itself (chaos/lazyfs): what a power cut keeps and what it drops.

The model (chaos/lazyfs/__init__.py): a file's data is kept when that file is synced; the
namespace (create, rename, unlink, ...) when anything is synced (ext4's journal commit);
the cut drops the rest and ``live`` becomes ``durable``. Checked first on the journal
alone, then through a real FUSE mount (skipped with the reason where FUSE is missing),
with plain files and with SQLite as its documentation says for its settings.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chaos.lazyfs.journal import END, MAX_RANGES, Journal, Pending
from chaos.lazyfs.mount import LazyMount, fuse_missing
from chaos.recovery_log import said
from llmchaos.processes import signal_group, spawn
from llmchaos.runtime.probes import probe
from llmchaos.runtime.procfs import group_members, process_state
from stacks.compose import Health
from stacks.spec import load_stack


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


@needs_fuse
def test_a_mount_whose_harness_was_killed_does_not_outlive_it(tmp_path):
    code = ("import sys, time; from pathlib import Path; from chaos.lazyfs.mount import LazyMount; "
            "m = LazyMount(Path(sys.argv[1]), Path(sys.argv[2])).start(); print(m._process.pid, flush=True); time.sleep(600)")  # fmt: skip
    harness = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "mnt"), str(tmp_path / "state")], stdout=subprocess.PIPE, text=True)
    daemon = int(harness.stdout.readline())
    assert os.path.ismount(tmp_path / "mnt")
    harness.kill()
    harness.wait()
    deadline = time.monotonic() + 10
    while os.path.ismount(tmp_path / "mnt") or process_state(daemon) not in (None, "Z"):
        assert time.monotonic() < deadline, "the lazy filesystem outlived the harness that started it"
        time.sleep(0.1)


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


def _tree(root: Path) -> dict[str, tuple]:
    """Every entry under root: kind, mode, owner and content (or link target)."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = os.lstat(path)
        kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
        body = os.readlink(path) if kind == "link" else path.read_bytes() if kind == "file" else None
        out[str(path.relative_to(root))] = (kind, st.st_mode & 0o7777 if kind != "link" else None, st.st_uid, body)
    return out


@needs_fuse
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_any_sequence_of_operations_a_cut_leaves_live_equal_to_durable(lazy, seed):
    """Seeded random operations (writes, appends, truncations, renames, unlinks, folders,
    syncs of files and folders), then a cut: the mount shows exactly what the durable copy
    holds. The cut restores only the paths changed since the last cut: this is what says
    it missed none."""
    import random

    rng = random.Random(seed)
    root = lazy.mountpoint
    files: list[Path] = []
    dirs: list[Path] = [root]
    for round_ in range(6):
        # even rounds: everything, syncs included, ending with a commit; odd rounds: names
        # only (rename, unlink, chmod, mkdir, create) of files untouched since the last cut,
        # nothing synced: the cut must put back paths it saw no data written to
        mixed = round_ % 2 == 0
        for _ in range(120 if mixed else 40):
            kinds = ["create", "write", "append", "truncate", "rename", "unlink", "mkdir", "chmod", "fsync", "fsync", "fsyncdir"]
            op = rng.choice(kinds if mixed else ["create", "rename", "rename", "unlink", "unlink", "mkdir", "chmod"])
            if op == "create" or not files and op in ("write", "append", "truncate", "rename", "unlink", "fsync", "chmod"):
                path = rng.choice(dirs) / f"f{rng.randrange(1000)}"
                if path not in files:
                    path.write_bytes(rng.randbytes(rng.randrange(1, 3000)))
                    files.append(path)
            elif op == "write":
                with open(rng.choice(files), "r+b") as f:
                    f.seek(rng.randrange(0, 3000))
                    f.write(rng.randbytes(rng.randrange(1, 500)))
            elif op == "append":
                with open(rng.choice(files), "ab") as f:
                    f.write(rng.randbytes(rng.randrange(1, 500)))
            elif op == "truncate":
                os.truncate(rng.choice(files), rng.randrange(0, 2000))
            elif op == "rename":
                old, new = rng.choice(files), rng.choice(dirs) / f"r{rng.randrange(1000)}"
                if new not in files:
                    os.replace(old, new)
                    files[files.index(old)] = new
            elif op == "unlink":
                path = rng.choice(files)
                os.unlink(path)
                files.remove(path)
            elif op == "mkdir":
                path = rng.choice(dirs) / f"d{rng.randrange(100)}"
                if path not in dirs:
                    path.mkdir()
                    dirs.append(path)
            elif op == "chmod":
                os.chmod(rng.choice(files), rng.choice([0o600, 0o644, 0o640]))
            elif op == "fsync":
                fsync_file(rng.choice(files))
            else:
                fsync_dir(rng.choice(dirs))
        if mixed:
            fsync_dir(root)
        report = lazy.cut()
        assert mixed or report["namespace_ops_dropped"] > 0, "a names-only round left changes to drop"
        assert _tree(root) == _tree(lazy.state / "durable"), f"round {round_}: the mount is not the durable copy after the cut"
        files = [p for p in root.rglob("*") if p.is_file()]
        dirs = [root, *(p for p in root.rglob("*") if p.is_dir())]


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


# -- servers on the lazy filesystem: PostgreSQL and Redis under power cuts ------------------


class Server:
    """A server process group on the mount: started, killed whole (the cut's first half)."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.argv, self.log, self.process = argv, log, None

    def start(self) -> Server:
        with open(self.log, "ab") as log:
            self.process = spawn(self.argv, log)
        return self

    def kill(self) -> None:
        """SIGKILL of every process of the group, and wait until none is left."""
        signal_group(self.process, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 10
        while group_members(self.process.pid):
            assert time.monotonic() < deadline, f"processes of group {self.process.pid} outlived SIGKILL"
            time.sleep(0.01)


def _inserts(connect, insert, acked: list[int], stop: threading.Event) -> None:
    """Insert 0, 1, 2, ... one commit each; ``acked`` gets each id the server confirmed."""
    i = acked[-1] + 1 if acked else 0
    try:
        client = connect()
        while not stop.is_set():
            insert(client, i)
            acked.append(i)
            i += 1
    except Exception:  # noqa: BLE001 - the cut ends the client; what it was told is in acked
        return


def _wait_redis(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not (seen := probe(Health("redis"), port)):
        assert time.monotonic() < deadline, f"Redis on 127.0.0.1:{port} not ready within {timeout:.0f}s: {seen.why}"
        time.sleep(0.05)


CUTS = 20


@needs_fuse
@pytest.mark.timeout(600)
def test_postgresql_with_its_default_settings_loses_no_committed_transaction_over_20_power_cuts(traversable_tmp):
    """PostgreSQL's defaults (fsync on, synchronous_commit on): a commit is acknowledged
    after its WAL is flushed, so every acknowledged insert is there after each of 20 cuts
    made under insert load; the cut itself dropped something each time (the WAL written
    after the last flush, data files written and not yet checkpointed)."""
    import asyncpg

    from llmchaos.ports import free_port_plan
    from stacks.datastores.binaries import postgres_binary

    port = free_port_plan(["PG"])["PG"]
    with LazyMount(traversable_tmp / "mnt", traversable_tmp / "state") as lazy:
        os.chmod(lazy.mountpoint, 0o777)
        server = Server([sys.executable, "-m", "stacks.datastores.postgres_launcher", "--postgres", postgres_binary("postgres").resolve(),
                         "--data", str(lazy.mountpoint / "pgdata"), "--port", str(port)], traversable_tmp / "postgres.log")  # fmt: skip
        loop = asyncio.new_event_loop()

        def connect():
            return loop.run_until_complete(asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres", timeout=10))

        def insert(conn, i: int) -> None:
            loop.run_until_complete(conn.execute("INSERT INTO acked VALUES ($1)", i))

        server.start()
        _wait_ready(connect)
        conn = connect()
        loop.run_until_complete(conn.execute("CREATE TABLE acked (i integer PRIMARY KEY)"))
        acked: list[int] = []
        dropped = []
        for cut in range(CUTS):
            stop = threading.Event()
            client = threading.Thread(target=_inserts, args=(connect, insert, acked, stop))
            before = len(acked)
            client.start()
            while len(acked) < before + 20:  # under load: the cut lands between commits
                time.sleep(0.005)
            server.kill()
            stop.set()
            client.join(30)
            dropped.append(lazy.cut())
            server.start()
            conn = _wait_ready(connect)
            kept = {r[0] for r in loop.run_until_complete(conn.fetch("SELECT i FROM acked"))}
            missing = sorted(set(acked) - kept)
            assert not missing, f"cut {cut + 1}: acknowledged commits lost: {missing[:10]} (of {len(acked)})"
            loop.run_until_complete(conn.close())
        server.kill()
        loop.close()
    assert all(d["unsynced_bytes"] > 0 or d["namespace_ops_dropped"] > 0 for d in dropped), "every cut dropped something unsynced"
    assert len(acked) >= CUTS * 20
    # what a cell counts in PostgreSQL's log (the stacks' x-llmchaos.recovery_log): a crash
    # recovery at every restart, each ending in a WAL replay or finding nothing to replay
    seen = said((traversable_tmp / "postgres.log").read_text(), load_stack("dbos").compose().services["postgres"].recovery_log)["said"]
    assert seen["crash recovery"] == CUTS and seen["WAL replayed"] + seen["nothing to replay"] == CUTS, seen


def _wait_ready(connect, timeout: float = 60.0):
    """A connection once the server accepts one (after a cut: once its recovery is done)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connect()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@needs_fuse
@pytest.mark.timeout(300)
@pytest.mark.parametrize("appendfsync", ["always", "everysec"])
def test_redis_keeps_what_its_appendfsync_promises(traversable_tmp, appendfsync):
    """Redis's documentation (persistence): with ``appendfsync always`` no acknowledged
    write is lost; with ``everysec`` "you can lose 1 second worth of writes". Three cuts under
    SET load each; what is lost is always the newest writes, never a hole."""
    import redis

    from llmchaos.ports import free_port_plan
    from stacks.datastores.binaries import REDIS_SERVER

    port = free_port_plan(["REDIS"])["REDIS"]
    with LazyMount(traversable_tmp / "mnt", traversable_tmp / "state") as lazy:
        server = Server([REDIS_SERVER.resolve(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(lazy.mountpoint),
                         "--appendonly", "yes", "--appendfsync", appendfsync, "--save", ""], traversable_tmp / "redis.log")  # fmt: skip
        acked: list[int] = []
        when: dict[int, float] = {}

        def connect():
            return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)

        def insert(client, i: int) -> None:
            client.rpush("acked", i)
            when[i] = time.monotonic()

        server.start()
        _wait_redis(port)
        for cut in range(3):
            stop = threading.Event()
            client = threading.Thread(target=_inserts, args=(connect, insert, acked, stop))
            client.start()
            time.sleep(1.5)  # under load for longer than everysec's second
            server.kill()
            cut_at = time.monotonic()
            stop.set()
            client.join(30)
            lazy.cut()
            server.start()
            _wait_redis(port)
            kept = [int(x) for x in _wait_ready(lambda: connect().lrange("acked", 0, -1))]  # once its AOF is loaded
            n = min(len(kept), len(acked))
            # the write in flight at the kill may be kept without its acknowledgement: one at most
            assert kept[:n] == acked[:n] and len(kept) <= len(acked) + 1, f"cut {cut + 1}: a hole in what survived"
            lost = acked[n:]
            if appendfsync == "always":
                assert not lost, f"cut {cut + 1}: {len(lost)} acknowledged writes lost with appendfsync always"
            else:
                assert all(cut_at - when[i] < 2.5 for i in lost), f"cut {cut + 1}: writes older than everysec's window lost"
            acked[:] = kept  # the client goes on from what the server kept
        server.kill()
    # what a cell counts in Redis's log (the redis stack's x-llmchaos.recovery_log): the AOF
    # loaded at every restart
    seen = said((traversable_tmp / "redis.log").read_text(), load_stack("redis").compose().services["redis"].recovery_log)["said"]
    assert seen["AOF loaded"] >= 3 and seen["AOF unreadable"] == 0, seen
