"""Start PostgreSQL as a local service: initialise its data directory once, then become it.

Why a launcher and not a plain command: PostgreSQL refuses to run as root, and a data
directory must be initialised before the first start. Run as root (CI, a container), this
drops to the ``postgres`` user (``nobody`` if there is none) and hands it the data
directory. It then ``exec``s the server, so the runtime's signals (SIGKILL for a crash,
SIGSTOP for a freeze) reach PostgreSQL itself, with the same process id.

The server listens on TCP (127.0.0.1) only, never on a Unix socket: every client here
connects by port, and a socket inside the data directory fails the start as soon as its
path passes the kernel's 107-character limit (runs/<out>/<stack>/<scenario>/... does).

    python -m stacks.datastores.postgres_launcher --postgres BIN --data DIR --port PORT
"""

from __future__ import annotations

import argparse
import ctypes
import os
import pwd
import signal
import subprocess
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _drop_root(data: Path) -> None:
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        user = pwd.getpwnam("nobody")
    for path in [data, *data.rglob("*")] if data.exists() else []:
        st = os.lstat(path)
        if (st.st_uid, st.st_gid) != (user.pw_uid, user.pw_gid):  # a restart finds them given already
            os.lchown(path, user.pw_uid, user.pw_gid)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ.update(HOME=str(data), USER=user.pw_name, LOGNAME=user.pw_name)
    # a change of user clears the parent-death signal: set it again, so this server
    # still dies with the runtime that started it
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="path of the postgres server binary (initdb sits beside it)")
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    args = parser.parse_args(argv)
    data: Path = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        _drop_root(data)
        if not os.access(data, os.R_OK | os.W_OK | os.X_OK):
            raise SystemExit(
                f"llmchaos: PostgreSQL runs as user {os.environ['USER']}, which cannot reach {data}; "
                "put the workdir where every user can traverse the path (e.g. under /tmp or the project folder)"
            )
    if not (data / "PG_VERSION").exists():
        initdb = Path(args.postgres).with_name("initdb")
        subprocess.run(
            [str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"llmchaos: {args.postgres} on 127.0.0.1:{args.port}, data in {data}", flush=True)
    os.execv(
        args.postgres,
        [args.postgres, "-D", str(data), "-p", str(args.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    )


if __name__ == "__main__":
    main()
