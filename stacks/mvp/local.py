"""The MVP stack as local processes: the fake provider and the FastAPI backend."""

from __future__ import annotations

from stacks.common.frontend_server import frontend_process
from stacks.llm.service import llm_process
from stacks.spec import LocalContext, LocalProcess


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", "stacks.mvp.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env={"STORAGE_DIR": str(ctx.data_dir / "backend-storage"), "LLMCHAOS_LLM_URL": ctx.url("llm"), "LLMCHAOS_STACK": "mvp"},
    )
    return {"llm": llm_process(ctx), "backend": backend, "frontend": frontend_process(ctx, "mvp")}
