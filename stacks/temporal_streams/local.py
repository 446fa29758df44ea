"""The Temporal-streams stack as local processes: fake provider, PostgreSQL, Temporal dev
server (SQLite file, Web UI), worker, backend."""

from __future__ import annotations

from stacks.common.frontend_server import frontend_process
from stacks.datastores.service import postgres_process, temporal_process
from stacks.llm.service import llm_process
from stacks.spec import LocalContext, LocalProcess

PACKAGE = "stacks.temporal_streams"


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    common = {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{ctx.port('temporal')}",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ctx.port('postgres')}/postgres",
        "LLMCHAOS_LLM_URL": ctx.url("llm"),
        "LLMCHAOS_STACK": "temporal_streams",
    }
    worker = LocalProcess([ctx.python, "-m", f"{PACKAGE}.worker"], env={**common, "WORKER_HEALTH_PORT": str(ctx.port("worker"))})
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", f"{PACKAGE}.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env=common,
    )
    return {"llm": llm_process(ctx), "postgres": postgres_process(ctx), "temporal": temporal_process(ctx), "worker": worker, "backend": backend, "frontend": frontend_process(ctx, "temporal_streams", {"TEMPORAL_UI_URL": f"http://127.0.0.1:{ctx.ports['TEMPORAL_UI_PORT']}"})}
