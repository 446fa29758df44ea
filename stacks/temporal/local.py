"""The Temporal stack as local processes: fake provider, Temporal dev server (SQLite file,
Web UI), worker, backend."""

from __future__ import annotations

from stacks.common.frontend_server import frontend_process
from stacks.datastores.service import temporal_process
from stacks.llm.service import llm_process
from stacks.spec import LocalContext, LocalProcess


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    address = f"127.0.0.1:{ctx.port('temporal')}"
    temporal = temporal_process(ctx)
    common = {"TEMPORAL_ADDRESS": address, "LLMCHAOS_LLM_URL": ctx.url("llm"), "LLMCHAOS_STACK": "temporal"}
    worker = LocalProcess(
        [ctx.python, "-m", "stacks.temporal.worker"],
        env={**common, "STORAGE_DIR": str(ctx.data_dir / "worker-storage"), "WORKER_HEALTH_PORT": str(ctx.port("worker"))},
    )
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", "stacks.temporal.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env=common,
    )
    return {"llm": llm_process(ctx), "temporal": temporal, "worker": worker, "backend": backend, "frontend": frontend_process(ctx, "temporal", {"TEMPORAL_UI_URL": f"http://127.0.0.1:{ctx.ports['TEMPORAL_UI_PORT']}"})}
