"""The DBOS stack as local processes: fake provider, PostgreSQL, worker, backend."""

from __future__ import annotations

from stacks.common.frontend_server import frontend_process
from stacks.datastores.service import postgres_process
from stacks.llm.service import llm_process
from stacks.spec import LocalContext, LocalProcess


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    database = {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ctx.port('postgres')}/postgres"}
    worker = LocalProcess(
        [ctx.python, "-m", "stacks.dbos.worker"],
        env={**database, "LLMCHAOS_LLM_URL": ctx.url("llm"), "LLMCHAOS_STACK": "dbos", "WORKER_HEALTH_PORT": str(ctx.port("worker"))},
    )
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", "stacks.dbos.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env=database,
    )
    return {"llm": llm_process(ctx), "postgres": postgres_process(ctx), "worker": worker, "backend": backend, "frontend": frontend_process(ctx, "dbos")}
