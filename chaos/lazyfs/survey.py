"""What a power cut left on the disk, file by file, against what the processes had written.

The cut's record says what was dropped (unsynced bytes, namespace changes); this says what
that does to the files a restarted stack will read, which is what its recovery faces:

- ``missing``: the file existed before the cut and is gone (its creation was never committed);
- ``empty``: it is there with no data (created and committed, never synced: ext4's
  zero-length file after a crash);
- ``truncated``: it holds only the start of what was written (an append never synced);
- ``reverted``: other bytes than were written (an older version: an unsynced rewrite, or
  a rename undone that brings the old file back under the name);
- ``back``: a file that had been removed is there again (an unlink or rename undone).

A file whose bytes are the same on both sides is not counted (it was synced, or nothing
changed it). Pure over two directory trees: the journal calls it just before the cut.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

KINDS = ("missing", "empty", "truncated", "reverted", "back")
EXAMPLES = 20  # files named in the record, at most
CHUNK = 1 << 20


def survey(before: Path, after: Path, paths: Iterable[str]) -> dict[str, Any]:
    """Compare the regular files under ``paths`` (relative) in ``before`` (what was
    written) and ``after`` (what the disk holds): counts per kind, per top folder (a
    volume), and the first ``EXAMPLES`` files with their sizes."""
    counts = dict.fromkeys(KINDS, 0)
    by_volume: dict[str, dict[str, int]] = {}
    examples: list[dict[str, Any]] = []
    seen = 0
    for rel in sorted(set(_files(before, paths)) | set(_files(after, paths))):
        seen += 1
        kind, sizes = _compare(before / rel, after / rel)
        if kind is None:
            continue
        counts[kind] += 1
        volume = rel.split("/", 1)[0] if "/" in rel else ""
        by_volume.setdefault(volume, dict.fromkeys(KINDS, 0))[kind] += 1
        if len(examples) < EXAMPLES:
            examples.append({"path": rel, "kind": kind, "bytes_written": sizes[0], "bytes_left": sizes[1]})
    return {"files_compared": seen, **counts, "by_volume": by_volume, "examples": examples}


def _files(root: Path, paths: Iterable[str]) -> Iterable[str]:
    """The regular files at or under each path, relative to ``root``."""
    for rel in paths:
        top = root / rel
        try:
            mode = os.lstat(top).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISREG(mode):
            yield rel
        elif stat.S_ISDIR(mode):
            for folder, _dirs, names in os.walk(top):
                for name in names:
                    path = Path(folder) / name
                    if stat.S_ISREG(os.lstat(path).st_mode):
                        yield str(path.relative_to(root))


def _size(path: Path) -> int | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _compare(before: Path, after: Path) -> tuple[str | None, tuple[int | None, int | None]]:
    written, left = _size(before), _size(after)
    sizes = (written, left)
    if written is None:
        return ("back" if left is not None else None), sizes
    if left is None:
        return "missing", sizes
    if left == 0:
        return ("empty" if written else None), sizes
    if left < written:
        return ("truncated" if _same_bytes(before, after, left) else "reverted"), sizes
    if left == written and _same_bytes(before, after, left):
        return None, sizes
    return "reverted", sizes


def _same_bytes(a: Path, b: Path, length: int) -> bool:
    """The first ``length`` bytes of both files are equal."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        done = 0
        while done < length:
            n = min(CHUNK, length - done)
            if fa.read(n) != fb.read(n):
                return False
            done += n
    return True
