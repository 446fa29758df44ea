"""Start one stack's Chainlit page: ``python -m stacks.common.frontend_server STACK --port N``.

Why not ``chainlit run`` itself: Chainlit reads and writes its app root (``.chainlit/``,
translations, uploaded files) in the current directory; two deployments at once (parallel
cells, the test suite's workers, a container per stack) would share and race on one folder
of the repository. Here each deployment gets its own root (``--root``), seeded from
``stacks/common/chainlit_app`` (config, the page's script, its readme), and the page gets a
``GET /health`` that names it (``{"service": "frontend", "stack": ...}``), probed like the
backends' (Chainlit's own routes answer any path with the page's HTML).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

APP_TEMPLATE = Path(__file__).resolve().parent / "chainlit_app"
# Starts every line of the page that is not the answer, so that a browser user
# (loadtests/browser.py) tells them apart. Here, not in frontend.py: importing chainlit
# writes its config into the current directory, which a browser user must not do. U+2139,
# which the fonts Debian installs with Chromium (DejaVu) draw: the screenshots show it.
STATUS_MARK = "ℹ"
STACKS_DIR = Path(__file__).resolve().parent.parent


def prepare_root(root: Path) -> Path:
    """The app root Chainlit will use, with our config and script, whatever was there."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(APP_TEMPLATE, root, dirs_exist_ok=True)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--root", type=Path, required=True, help="this deployment's Chainlit app root")
    args = parser.parse_args(argv)
    target = STACKS_DIR / args.stack / "frontend.py"
    if not target.is_file():
        parser.error(f"stacks/{args.stack}/frontend.py does not exist")
    os.environ["CHAINLIT_APP_ROOT"] = str(prepare_root(args.root))  # read when chainlit is imported
    os.environ["CHAINLIT_HOST"], os.environ["CHAINLIT_PORT"] = args.host, str(args.port)

    from chainlit.cli import run_chainlit
    from chainlit.config import config
    from chainlit.server import app
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def health(request) -> JSONResponse:
        return JSONResponse({"status": "healthy", "service": "frontend", "stack": args.stack})

    app.router.routes.insert(0, Route("/health", health))  # before Chainlit's catch-all page route
    config.run.headless = True
    run_chainlit(str(target))


if __name__ == "__main__":
    main()


def frontend_process(ctx, stack: str, env: dict[str, str] | None = None):
    """The page as a local process (``local.py``), beside the stack's backend on 127.0.0.1."""
    from stacks.spec import LocalProcess

    argv = [ctx.python, "-m", "stacks.common.frontend_server", stack, "--host", "127.0.0.1", "--port", str(ctx.port("frontend")), "--root", str(ctx.data_dir / "frontend")]
    return LocalProcess(argv, env={"LLMCHAOS_BACKEND_URL": ctx.url("backend"), "LLMCHAOS_STACK": stack, **(env or {})})
