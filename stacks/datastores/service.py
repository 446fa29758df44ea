"""Redis and PostgreSQL as local processes of a stack (their compose services are in
each stack's compose.yaml, built from ``stacks/datastores/*.Dockerfile``)."""

from __future__ import annotations

from stacks.spec import LocalContext, LocalProcess

from .binaries import REDIS_SERVER, postgres_binary


def redis_process(ctx: LocalContext) -> LocalProcess:
    """redis-server with append-only persistence, as the seeds configure it."""
    data = ctx.data_dir / "redis-data"
    argv = [REDIS_SERVER, "--port", str(ctx.port("redis")), "--bind", "127.0.0.1", "--dir", str(data)]
    return LocalProcess([*argv, "--appendonly", "yes", "--save", "", "--protected-mode", "no"], dirs=(data,))


def postgres_process(ctx: LocalContext) -> LocalProcess:
    data = ctx.data_dir / "postgres-data"
    argv = [ctx.python, "-m", "stacks.datastores.postgres_launcher", "--postgres", postgres_binary("postgres")]
    return LocalProcess([*argv, "--data", str(data), "--port", str(ctx.port("postgres"))])
