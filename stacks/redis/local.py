"""The Redis stack as local processes: fake provider, Redis, PostgreSQL, the backend."""

from __future__ import annotations

from stacks.common.frontend_server import frontend_process
from stacks.datastores.service import postgres_process, redis_process
from stacks.llm.service import llm_process
from stacks.spec import LocalContext, LocalProcess


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", "stacks.redis.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env={
            "REDIS_URL": f"redis://127.0.0.1:{ctx.port('redis')}/0",
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ctx.port('postgres')}/postgres",
            "LLMCHAOS_LLM_URL": ctx.url("llm"),
            "LLMCHAOS_STACK": "redis",
        },
    )
    return {"llm": llm_process(ctx), "redis": redis_process(ctx), "postgres": postgres_process(ctx), "backend": backend, "frontend": frontend_process(ctx, "redis")}
