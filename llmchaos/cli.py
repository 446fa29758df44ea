"""The ``llmchaos`` command line.

Every mistake a user can make (an unknown stack, a port in use, no Docker engine, a
missing binary, a malformed faults file) ends in one line saying what is wrong and what
to do, and exit code 2. Ctrl-C and SIGTERM take down whatever was started (exit 130).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import click
from pydantic import ValidationError

from llmchaos.errors import LLMChaosError
from stacks.llm.config import ProviderConfig, describe_validation_error


class BadInput(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = 2


def _sigterm_is_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _down_everything_left() -> None:
    from llmchaos.runtime import live_runtimes

    for runtime in live_runtimes():
        runtime.down()


class _Main(click.Group):
    def invoke(self, ctx: click.Context):
        # Ctrl-C even when started in the background (where shells set SIGINT to ignored)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _sigterm_is_interrupt)
        atexit.register(_down_everything_left)
        try:
            return super().invoke(ctx)
        except LLMChaosError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            _down_everything_left()
            click.echo("interrupted: everything this command started is stopped", err=True)
            ctx.exit(130)


@click.group(cls=_Main)
@click.version_option(package_name="llmchaos")
def main() -> None:
    """Deploy LLM chat backends, break them mid-generation, measure what is lost."""


@main.group()
def llm() -> None:
    """The fake LLM provider (OpenAI and Anthropic wire-compatible, with a cost ledger)."""


def _error_rules(values: tuple[str, ...]) -> list[dict]:
    rules = []
    for value in values:
        status, sep, probability = value.partition("=")
        try:
            rules.append({"action": "error", "status": int(status), "probability": float(probability) if sep else 1.0})
        except ValueError:
            raise BadInput(f"--error {value!r}: expected STATUS=PROBABILITY, e.g. --error 429=0.1") from None
    return rules


@llm.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 only inside a container).")
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--ttft-ms", envvar="LLM_TTFT_MS", show_envvar=True, type=float, default=200.0, show_default=True, help="Time to first token.")
@click.option("--itl-ms", envvar="LLM_ITL_MS", show_envvar=True, type=float, default=20.0, show_default=True, help="Inter-token latency.")
@click.option("--jitter-ms", envvar="LLM_JITTER_MS", show_envvar=True, type=float, default=0.0, show_default=True, help="Each delay moves by up to +/- this much (seeded).")
@click.option("--output-tokens", envvar="LLM_OUTPUT_TOKENS", show_envvar=True, type=int, default=200, show_default=True, help="Answer length before max_tokens caps it.")
@click.option("--seed", envvar="LLM_SEED", show_envvar=True, type=int, default=0, show_default=True, help="Seeds the text, the jitter and probabilistic faults.")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path), help="Append one JSON line per call here.")
@click.option("--error", "errors", multiple=True, metavar="STATUS=P", help="Answer HTTP STATUS (429, 500, 503, 529) with probability P. Repeatable.")
@click.option("--cut-after-tokens", type=int, help="Cut streams after this many tokens.")
@click.option("--cut-probability", type=float, default=1.0, show_default=True, help="Share of calls the cut hits.")
@click.option("--cut-mode", type=click.Choice(["drop", "error"]), default="drop", show_default=True, help="Drop the connection, or send the provider's error event.")
@click.option("--hang-after-tokens", type=int, help="Stop sending after this many tokens and hold the connection.")
@click.option("--faults", "faults_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="JSON list of fault rules (see stacks/llm/config.py).")
@click.option("--log-level", default="warning", show_default=True, type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def llm_serve(
    host: str,
    port: int,
    ttft_ms: float,
    itl_ms: float,
    jitter_ms: float,
    output_tokens: int,
    seed: int,
    ledger_path: Path | None,
    errors: tuple[str, ...],
    cut_after_tokens: int | None,
    cut_probability: float,
    cut_mode: str,
    hang_after_tokens: int | None,
    faults_file: Path | None,
    log_level: str,
) -> None:
    """Serve the fake provider: OpenAI at /v1/chat/completions, Anthropic at /v1/messages."""
    from llmchaos.ports import check_port_free
    from stacks.llm.server import serve

    faults: list[dict] = _error_rules(errors)
    if cut_after_tokens is not None:
        faults.append({"action": "cut", "after_tokens": cut_after_tokens, "probability": cut_probability, "mode": cut_mode})
    if hang_after_tokens is not None:
        faults.append({"action": "hang", "after_tokens": hang_after_tokens})
    if faults_file is not None:
        try:
            loaded = json.loads(faults_file.read_text())
        except ValueError as exc:
            raise BadInput(f"{faults_file}: not valid JSON ({exc})") from None
        if not isinstance(loaded, list):
            raise BadInput(f"{faults_file}: expected a JSON list of fault rules")
        faults.extend(loaded)
    try:
        config = ProviderConfig(
            ttft_ms=ttft_ms,
            itl_ms=itl_ms,
            jitter_ms=jitter_ms,
            output_tokens=output_tokens,
            seed=seed,
            faults=faults,
        )
    except ValidationError as exc:
        raise BadInput(f"invalid provider settings: {describe_validation_error(exc)}") from None
    check_port_free(port, host, what="the fake LLM provider", hint="pick another port with --port")
    click.echo(f"fake LLM provider on http://{host}:{port}  (OpenAI: /v1, Anthropic: /, admin: /admin/config)", err=True)
    serve(config, host=host, port=port, ledger_path=ledger_path, log_level=log_level)


def _state_file(stack: str) -> Path:
    """Where a foreground local deployment says which process supervises it."""
    return Path(tempfile.gettempdir()) / f"llmchaos-{os.getuid()}" / f"{stack}.local.json"


def _write_state(state: Path, content: dict) -> None:
    """Write the state file whole or not at all: a Ctrl-C mid-write must not leave a torn one."""
    state.parent.mkdir(parents=True, exist_ok=True)
    partial = state.with_name(f".{state.name}.{os.getpid()}")
    try:
        partial.write_text(json.dumps(content))
        partial.replace(state)
    finally:
        partial.unlink(missing_ok=True)


def _read_state_pid(state: Path) -> int | None:
    """The supervisor's pid, None without a state file, 0 for a file that does not name one."""
    try:
        pid = json.loads(state.read_text())["pid"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    return pid if isinstance(pid, int) and pid > 0 else 0


def _is_llmchaos_process(pid: int) -> bool:
    """True if ``pid`` still runs llmchaos (a stale state file may name a recycled pid)."""
    try:
        return b"llmchaos" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _print_urls(runtime) -> None:
    for name in runtime.services():
        click.echo(f"  {name:<10} {runtime.compose.services[name].role:<10} {runtime.display_url(name)}")


@main.command("up")
@click.argument("stack")
@click.option("--runtime", "runtime_name", type=click.Choice(["auto", "docker", "local"]), default="auto", show_default=True)
@click.option("--restart", type=click.Choice(["no", "on-failure", "always", "unless-stopped"]), default="no", show_default=True, help="Restart policy after a crash.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), help="Local runtime: where logs and data go [default: runs/local/STACK].")
@click.option("--frontend/--no-frontend", default=True, show_default=True, help="Deploy the stack's Chainlit page (compose profile frontend).")
def up(stack: str, runtime_name: str, restart: str, workdir: Path | None, frontend: bool) -> None:
    """Deploy STACK and wait until every service is healthy.

    Docker: the containers keep running (`llmchaos down STACK` removes them). Local: the
    services run as children of this command until Ctrl-C or `llmchaos down STACK`.
    """
    from llmchaos.runtime import choose_runtime, make_runtime
    from stacks.spec import load_stack

    spec = load_stack(stack)
    kind, why = choose_runtime(runtime_name)
    click.echo(why, err=True)
    runtime = make_runtime(kind, spec, restart=restart, workdir=workdir, profiles=("frontend",) if frontend else ())
    started = time.monotonic()
    click.echo(f"starting {stack} ({kind}): {', '.join(runtime.services())}", err=True)
    runtime.up()
    click.echo(f"{stack} is up ({kind}, {time.monotonic() - started:.1f}s):")
    _print_urls(runtime)
    if kind == "docker":
        from llmchaos.runtime.base import _live

        _live.discard(runtime)  # detached, like `docker compose up -d`
        click.echo(f"remove it with: llmchaos down {stack}")
        return
    state = _state_file(stack)
    try:
        _write_state(state, {"pid": os.getpid(), "workdir": str(runtime.workdir)})
        click.echo(f"logs in {runtime.log_dir}; Ctrl-C or `llmchaos down {stack}` stops it")
        while True:
            signal.pause()
    finally:
        runtime.down()
        state.unlink(missing_ok=True)


@main.command("down")
@click.argument("stack")
@click.option("--runtime", "runtime_name", type=click.Choice(["auto", "docker", "local"]), default="auto", show_default=True)
def down(stack: str, runtime_name: str) -> None:
    """Remove STACK's containers, network and volumes, or stop its local processes."""
    from llmchaos.runtime.docker import DockerRuntime, engine_available
    from stacks.spec import load_stack

    spec = load_stack(stack)
    if runtime_name in ("auto", "local"):
        state = _state_file(stack)
        pid = _read_state_pid(state)
        if pid == 0:
            click.echo(f"the local {stack} state file {state} is unreadable (a supervisor stopped while writing it); removing it")
            state.unlink(missing_ok=True)
        elif pid is not None and not _is_llmchaos_process(pid):
            click.echo(f"the local {stack} supervisor (pid {pid}) is gone; cleaning up its state file")
            state.unlink(missing_ok=True)
        elif pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(300):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                raise LLMChaosError(f"the local {stack} supervisor (pid {pid}) did not stop within 30s")
            except ProcessLookupError:
                click.echo(f"stopped the local {stack} (pid {pid})")
            state.unlink(missing_ok=True)
        elif runtime_name == "local":
            click.echo(f"no local {stack} is running")
    if runtime_name == "docker" or (runtime_name == "auto" and engine_available()):
        runtime = DockerRuntime(spec)
        count = len(runtime.project_containers())
        runtime.down()
        click.echo(f"removed {count} container(s) of {runtime.project}")


def _names(value: str, known: list[str], what: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if names == ["all"]:
        return known
    return names


@main.command("run")
@click.option("--stack", "stacks", default="all", show_default=True, help="Comma-separated stacks, or all (every folder of stacks/).")
@click.option("--scenario", "scenarios", default="baseline", show_default=True, help="Comma-separated scenarios (names or .yaml paths), or all.")
@click.option("--profile", type=click.Choice(["ci", "seed"]), default="ci", show_default=True)
@click.option("--runtime", "runtime_name", type=click.Choice(["auto", "docker", "local"]), default="auto", show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds every cell (with the scenario's own seed and the repetition).")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True, help="Locust worker processes (0: one standalone process).")
@click.option("--parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Cells run at once, each on its own ports and Docker project (1: one after the other, for timing-critical runs).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Run directory [default: runs/<timestamp>]; an existing one is resumed.")
def run(stacks: str, scenarios: str, profile: str, runtime_name: str, repeat: int, seed: int, workers: int, parallel: int, out: Path | None) -> None:
    """Run every stack x scenario x repetition: deploy, load, check, keep (see DESIGN.md)."""
    from rich.console import Console

    from chaos.orchestrator import FINISHED, Orchestrator, Plan, default_out, summary_table
    from chaos.scenario import known_scenarios
    from llmchaos.runtime import choose_runtime
    from stacks.spec import known_stacks

    kind, why = choose_runtime(runtime_name)
    plan = Plan(
        stacks=_names(stacks, known_stacks(), "stack"),
        scenarios=_names(scenarios, known_scenarios(), "scenario"),
        out=out or default_out(),
        profile=profile,
        runtime=kind,
        repeat=repeat,
        seed=seed,
        workers=workers,
        parallel=parallel,
    )
    orchestrator = Orchestrator(plan)
    at_once = f", {parallel} at a time" if parallel > 1 else ""
    click.echo(f"{why}; {len(orchestrator.cells)} cell(s){at_once} into {plan.out}", err=True)
    if kind == "docker":  # images are built once and kept; up to date, this takes a second
        from llmchaos.runtime.images import build_all

        build_all(sorted(set(plan.stacks)), lambda line: click.echo(f"  images: {line}", err=True))
    cells = orchestrator.run()
    Console(width=None if sys.stdout.isatty() else 200).print(summary_table(cells))  # a log file gets the whole table
    failed = [c for c in cells if c.status not in FINISHED]
    for cell in failed:
        click.echo(f"failed: {cell.label}: {cell.error or cell.status}", err=True)
    skipped = sum(c.status == "not_applicable" for c in cells)
    click.echo(
        f"{sum(c.status == 'complete' for c in cells)}/{len(cells)} cells complete"
        + (f", {skipped} not applicable" if skipped else "")
        + f" in {plan.out}"
    )
    if failed:
        raise SystemExit(1)


@main.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), help="Reference matrix with tolerances: exit 1 naming every regression.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), help="Also write this run's matrix as a baseline file.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Also write JUnit XML: a test case per cell and per claim, failed on a regression.")
def report(run_dir: Path, baseline: Path | None, write_baseline: Path | None, junit: Path | None) -> None:
    """Measure RUN_DIR: matrix.json, matrix.md, summary.md, report.html and figures/ (see DESIGN.md)."""
    from reports.report import write_report

    written = write_report(run_dir, baseline, write_baseline, junit)
    click.echo(f"report: {run_dir / 'report.html'} (and matrix.json, matrix.md, summary.md, figures/)")
    if junit:
        click.echo(f"junit: {junit}")
    if write_baseline:
        click.echo(f"baseline written: {write_baseline}")
    if baseline is not None:
        if written.missing:
            click.echo(f"not in this run (not compared): {', '.join(written.missing)}", err=True)
        if written.versions_differ:
            click.echo(f"versions that differ from the baseline's run: {', '.join(written.versions_differ)}", err=True)
        for regression in written.regressions:
            click.echo(f"REGRESSION {regression}", err=True)
        if written.regressions:
            click.echo(f"{len(written.regressions)} regression(s) against {baseline}", err=True)
            raise SystemExit(1)
        click.echo(f"no regression against {baseline}")


@main.command("images")
@click.option("--stack", "stacks", multiple=True, help="Only this stack's images (repeatable) [default: every stack].")
@click.option("--base-image", help="Build on this base image instead of python:3.11-slim-bookworm or the Debian-built one.")
@click.option("--force", is_flag=True, help="Rebuild even when the inputs have not changed.")
def images(stacks: tuple[str, ...], base_image: str | None, force: bool) -> None:
    """Build every stack image, without a registry if need be (base, wheelhouse, images)."""
    from llmchaos.runtime.images import build_all
    from stacks.spec import known_stacks

    started = time.monotonic()
    timings = build_all(stacks or known_stacks(), lambda line: click.echo(f"  {line}", err=True), base_image, force)
    click.echo(f"images ready in {time.monotonic() - started:.0f}s (" + ", ".join(f"{k} {v:.0f}s" for k, v in timings.items()) + ")")


if __name__ == "__main__":
    main()
