"""The orchestrator: every cell (stack x scenario x repetition) deployed, loaded, checked, kept.

For each cell: deploy the stack on fresh ports with the scenario's provider profile, run
the load, collect the provider's ledger and every service's log, take the stack down,
check the history, and write ``cell.json`` last. A cell whose ``cell.json`` says
``complete`` is never run again: rerunning with the same ``--out`` finishes only what is
missing. Ctrl-C, an error, a crash: the runtime and Locust are taken down on the way out,
and every finished cell stays.

Run directory (DESIGN.md)::

    OUT/run.json                            the plan, seed, versions, start and end
    OUT/STACK/SCENARIO/REP/cell.json        the cell's settings, status and summary
    OUT/STACK/SCENARIO/REP/history.jsonl    every operation and fault, timed
    OUT/STACK/SCENARIO/REP/ledger.jsonl     every LLM call the provider billed
    OUT/STACK/SCENARIO/REP/locust/          Locust's CSV (with history), HTML and logs
    OUT/STACK/SCENARIO/REP/logs/            every service's log
"""

from __future__ import annotations

import json
import platform
import shutil
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from llmchaos.checker import expectation, request_results, summarize
from llmchaos.errors import BadInputError
from llmchaos.history import read_history
from llmchaos.ports import free_port
from llmchaos.runtime import make_runtime
from loadtests.config import LoadConfig
from loadtests.runner import run_load
from stacks.llm.text import derive_seed
from stacks.spec import load_stack

from .scenario import Scenario, load_scenario


@dataclass(frozen=True)
class Plan:
    stacks: list[str]
    scenarios: list[str]
    out: Path
    profile: str = "ci"
    runtime: str = "local"  # resolved: "docker" or "local"
    repeat: int = 1
    seed: int = 0
    workers: int = 0  # Locust worker processes (0: one standalone process)


@dataclass
class Cell:
    stack: str
    scenario: str
    repetition: int
    directory: Path
    status: str = "pending"
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.stack} / {self.scenario} / #{self.repetition}"


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("llmchaos", "locust", "openai", "anthropic", "temporalio", "fastapi", "redis", "asyncpg"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)  # readers never see half a file


class _Counter:
    """How many requests of a cell have ended, read incrementally from its history."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.done = path, 0, 0

    def update(self) -> int:
        if self.path.exists():
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self.offset += len(complete)
            self.done += complete.count(b'"f":"status"')
        return self.done


class Orchestrator:
    def __init__(self, plan: Plan, console: Console | None = None) -> None:
        self.plan = plan
        self.console = console or Console(stderr=True)
        for stack in plan.stacks:
            load_stack(stack)  # unknown stacks and scenarios fail before anything starts
        self.scenarios: dict[str, Scenario] = {}
        for given in plan.scenarios:  # a name or a path; cells are named by the scenario's own name
            scenario = load_scenario(given, plan.profile)
            if scenario.name in self.scenarios:
                raise BadInputError(f"two scenarios are named {scenario.name!r}; names must differ (they name the cell folders)")
            self.scenarios[scenario.name] = scenario
        self.cells = [
            Cell(stack, name, rep, plan.out / stack / name / str(rep))
            for stack in plan.stacks
            for name in self.scenarios
            for rep in range(plan.repeat)
        ]

    def run(self) -> list[Cell]:
        plan = self.plan
        plan.out.mkdir(parents=True, exist_ok=True)
        run_file = plan.out / "run.json"
        previous = json.loads(run_file.read_text()) if run_file.exists() else {}
        record = {
            "plan": {**asdict(plan), "out": str(plan.out)},
            "started": previous.get("started", _now()),
            "resumed": [*previous.get("resumed", []), _now()] if previous else [],
            "versions": _versions(),
            "finished": None,
        }
        _write_json(run_file, record)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=False
        ) as progress:
            overall = progress.add_task("cells", total=len(self.cells))
            for cell in self.cells:
                done = cell.directory / "cell.json"
                if done.exists() and json.loads(done.read_text()).get("status") == "complete":
                    cell.status, cell.summary = "complete", json.loads(done.read_text())["summary"]
                    progress.console.print(f"[dim]{cell.label}: already complete, kept[/dim]")
                    progress.advance(overall)
                    continue
                self.run_cell(cell, progress)
                progress.advance(overall)
        record["finished"] = _now()
        _write_json(run_file, record)
        return self.cells

    def run_cell(self, cell: Cell, progress: Progress) -> None:
        plan = self.plan
        scenario: Scenario = self.scenarios[cell.scenario].for_stack(cell.stack)
        seed = derive_seed("cell", plan.seed, scenario.seed, cell.repetition) % (2**31)
        if cell.directory.exists():
            shutil.rmtree(cell.directory)  # an unfinished earlier attempt: start the cell afresh
        cell.directory.mkdir(parents=True)
        stack = load_stack(cell.stack)
        env = {**scenario.provider.environment(seed), **scenario.environment}
        ports = {var: free_port() for var in stack.default_ports()}
        extra = {"workdir": cell.directory / "runtime"} if plan.runtime == "local" else {}
        runtime = make_runtime(plan.runtime, stack, ports=ports, env=env, **extra)
        settings = {
            "stack": cell.stack, "scenario": cell.scenario, "repetition": cell.repetition, "profile": plan.profile,
            "runtime": plan.runtime, "seed": seed, "scenario_settings": scenario.model_dump(), "environment": env, "ports": ports,
            "llm": {"seed": seed, "output_tokens": scenario.provider.output_tokens}, "started": _now(), "status": "running",
        }  # fmt: skip
        _write_json(cell.directory / "cell.json", settings)
        task = progress.add_task(f"{cell.label}: deploying ({plan.runtime})", total=scenario.load.users * scenario.load.tasks_per_user)
        started = time.monotonic()
        try:
            runtime.up()
            history = cell.directory / "history.jsonl"
            config = LoadConfig(
                stack=cell.stack, host=runtime.url("backend"), **scenario.load.model_dump(), seed=seed, llm_seed=seed,
                llm_output_tokens=scenario.provider.output_tokens, history=str(history), run_t0=time.monotonic(),
            )  # fmt: skip
            counter = _Counter(history)
            progress.update(task, description=f"{cell.label}: load")
            run_load(config, cell.directory, plan.workers, tick=lambda _: progress.update(task, completed=counter.update()))
            progress.update(task, completed=counter.update(), description=f"{cell.label}: collecting")
            self._collect(runtime, cell.directory)
        except KeyboardInterrupt:
            settings.update(status="interrupted", finished=_now())
            _write_json(cell.directory / "cell.json", settings)
            raise
        except Exception as exc:  # a broken cell is recorded; the run goes on with the next
            cell.status, cell.error = "failed", f"{type(exc).__name__}: {exc}"
            settings.update(status="failed", error=traceback.format_exc(), finished=_now())
            _write_json(cell.directory / "cell.json", settings)
            progress.update(task, description=f"{cell.label}: [red]failed[/red]: {cell.error.splitlines()[0][:160]}")
            return
        finally:
            runtime.down()
            if (cell.directory / "runtime").exists():
                shutil.rmtree(cell.directory / "runtime", ignore_errors=True)
        results = request_results(read_history(history), expectation(scenario.provider.output_tokens, seed))
        cell.summary = {**summarize(results), "duration_s": round(time.monotonic() - started, 2)}
        cell.status = "complete"
        settings.update(status="complete", finished=_now(), summary=cell.summary)
        _write_json(cell.directory / "cell.json", settings)
        s = cell.summary
        verdict = "[green]ok[/green]" if s["correct"] == s["accepted"] else "[yellow]loss[/yellow]"
        progress.update(
            task,
            description=f"{cell.label}: {verdict} {s['correct']}/{s['accepted']} correct, data loss {s['data_loss_pct']:.1f} %, {s['duration_s']:.0f}s",
        )

    def _collect(self, runtime, directory: Path) -> None:
        """The provider's ledger and every service's log, before the stack goes down."""
        rows = httpx.get(runtime.url("llm") + "/admin/ledger", timeout=30).json()["rows"]
        (directory / "ledger.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        logs = directory / "logs"
        logs.mkdir(exist_ok=True)
        for service in runtime.services():
            (logs / f"{service}.log").write_text(runtime.logs(service))


def default_out() -> Path:
    return Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
