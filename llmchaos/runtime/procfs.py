"""Process facts straight from /proc: what the kernel says, not what a runtime remembers.

Both runtimes use these to know a crash is complete, and the tests use them as witnesses.
"""

from __future__ import annotations

import os
import time


def process_state(pid: int) -> str | None:
    """The kernel's one-letter state of ``pid`` (R, S, T stopped, Z zombie...), None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3].decode()


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    """Wait until ``pid`` is dead (gone or a zombie); False if it outlived ``timeout``."""
    deadline = time.monotonic() + timeout
    while process_state(pid) not in (None, "Z"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid and process_state(int(entry)) not in (None, "Z"):
                    members.append(int(entry))
            except ProcessLookupError:
                continue
    return members


def parents() -> dict[int, int]:
    """Every live process and its parent, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2 :].split()
            if fields[0] != b"Z":
                found[int(entry)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``: its children, theirs, and so on."""
    tree = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in tree.items() if parent in frontier} - found
        found |= frontier
    return found
