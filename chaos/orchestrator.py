"""The orchestrator: every cell (stack x scenario x repetition) deployed, loaded, checked, kept.

For each cell: deploy the stack on fresh ports with the scenario's provider profile (and
the restart policy its faults rely on), warm it up with one request, run the load while
the nemesis fires the scenario's faults and the probe records health until recovery,
drain the provider's calls in flight, collect its ledger and every service's log, take
the stack down, check the history, and write ``cell.json`` last. A fault that does not
apply to the stack (no worker in the MVP) makes the cell ``not_applicable``, with the
reason, without deploying anything. A cell whose ``cell.json`` says ``complete`` or
``not_applicable`` is never run again: rerunning with the same ``--out`` finishes only what
is missing. Ctrl-C, an error, a crash: the nemesis, Locust and the runtime are stopped on
the way out, and every finished cell stays. A failed cell keeps what was measured (history,
ledger, logs) and says why in ``cell.json``.

Run directory (DESIGN.md)::

    OUT/run.json                            the plan, seed, versions, start and end
    OUT/STACK/SCENARIO/REP/cell.json        the cell's settings, status and summary
    OUT/STACK/SCENARIO/REP/history.jsonl    every operation and fault, timed
    OUT/STACK/SCENARIO/REP/ledger.jsonl     every LLM call the provider billed
    OUT/STACK/SCENARIO/REP/locust/          Locust's CSV (with history), HTML and logs
    OUT/STACK/SCENARIO/REP/logs/            every service's log
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from llmchaos.checker import expectation
from llmchaos.errors import BadInputError
from llmchaos.history import HistoryTail, HistoryWriter, read_history
from llmchaos.metrics import Expectations, cell_metrics, verdict
from llmchaos.ports import free_port_plan
from llmchaos.runtime import Runtime, make_runtime, runtime_class
from loadtests.adapters import APIClient, adapter_for
from loadtests.browser import chromium_path
from loadtests.config import LoadConfig, PagesConfig
from loadtests.runner import LoadProcess, PageProcess
from stacks.llm.text import derive_seed
from stacks.spec import load_stack

from .auditor import accepted_tasks, final_reads
from .faults import not_applicable, restart_policy
from .nemesis import Nemesis
from .provider import ProviderAdmin
from .recovery_log import read_logs
from .scenario import Scenario, load_scenario


FINISHED = ("complete", "not_applicable")  # statuses a rerun keeps


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
    parallel: int = 1  # cells run at once (1: one after the other, for timing-critical runs)


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
    for package in ("llmchaos", "locust", "openai", "anthropic", "temporalio", "fastapi", "redis", "asyncpg", "dbos"):
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
        self.tail, self.done = HistoryTail(path), 0

    def update(self) -> int:
        self.done += sum(e.f == "status" for e in self.tail.new_events())
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
            for stack in plan.stacks:
                scenario.for_stack(stack, plan.profile)  # a stack's own profile changes are checked now too
            if scenario.browsers.users and chromium_path() is None:
                raise BadInputError(f"scenario {scenario.name} opens pages in a browser and this machine has no Chromium: apt-get install chromium (or leave the scenario out)")
        self.cells = [
            Cell(stack, name, rep, plan.out / stack / name / str(rep))
            for stack in plan.stacks
            for name in self.scenarios
            for rep in range(plan.repeat)
        ]
        self._stop = threading.Event()  # parallel cells: the run was interrupted, every cell stops
        self._nemeses: set[Nemesis] = set()

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
            pending = []
            for cell in self.cells:
                done = cell.directory / "cell.json"
                kept = json.loads(done.read_text()) if done.exists() else {}
                if kept.get("status") in FINISHED:
                    cell.status, cell.summary = kept["status"], kept.get("summary") or {"reason": kept.get("reason")}
                    progress.console.print(f"[dim]{cell.label}: already {kept['status'].replace('_', ' ')}, kept[/dim]")
                    progress.advance(overall)
                else:
                    pending.append(cell)
            if plan.parallel <= 1:
                for cell in pending:
                    self.run_cell(cell, progress)
                    progress.advance(overall)
            else:
                self._run_parallel(pending, progress, overall)
        record["finished"] = _now()
        _write_json(run_file, record)
        return self.cells

    def _run_parallel(self, cells: list[Cell], progress: Progress, overall: Any) -> None:
        """Up to ``plan.parallel`` cells at once, each in a thread of its own.

        Cells share nothing: each has its own ports (``free_port_plan`` never hands out a
        port twice), its own Docker project or local working directory, its own history and
        ledger. They start scenario by scenario, the stacks interleaved, so that one stack's
        cells do not all run at once (seven Temporal servers answering their pages' queries
        saturate a 2-core machine: queries time out that one server answers at once).
        Ctrl-C reaches the main thread only: it tells every cell to stop (at its next phase
        or load tick, with its stack taken down and ``interrupted`` recorded) and waits for
        them."""
        order = {name: i for i, name in enumerate(self.scenarios)}
        cells = sorted(cells, key=lambda c: (c.repetition, order[c.scenario], self.plan.stacks.index(c.stack)))
        with ThreadPoolExecutor(max_workers=self.plan.parallel, thread_name_prefix="cell") as pool:
            running = {pool.submit(self.run_cell, cell, progress) for cell in cells}
            try:
                while running:
                    finished, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in finished:
                        progress.advance(overall)
                        future.result()  # run_cell records its own failures; anything else is a bug: raise it
            except KeyboardInterrupt:
                self._stop.set()
                for future in running:
                    future.cancel()
                for nemesis in list(self._nemeses):
                    nemesis.abort()
                wait(running, timeout=120)
                raise

    def _go_on(self, phase: str = "") -> None:
        """In a parallel run, the point where a cell notices the run was interrupted (never
        on the way out: teardown and check always run)."""
        if self._stop.is_set() and phase not in ("teardown", "check"):
            raise KeyboardInterrupt("the run was interrupted")

    def run_cell(self, cell: Cell, progress: Progress) -> None:
        plan = self.plan
        scenario: Scenario = self.scenarios[cell.scenario].for_stack(cell.stack, plan.profile)
        # every repetition replays the same seeded workload (prompts, models, the provider's
        # text): their spread is the stack's and the machine's, not the workload's (--seed changes it)
        seed = derive_seed("cell", plan.seed, scenario.seed) % (2**31)
        if cell.directory.exists():
            shutil.rmtree(cell.directory)  # an unfinished earlier attempt: start the cell afresh
        cell.directory.mkdir(parents=True)
        stack = load_stack(cell.stack)
        env = {**scenario.provider.environment(seed), **scenario.environment}
        ports = free_port_plan(stack.default_ports())
        # its own working directory, or Docker project: cells running at once never share a container or volume
        # (the local runtime's processes and data, or the host side of Docker's lazy filesystem, are in its directory)
        extra = {"workdir": cell.directory / "runtime"} | ({"project": docker_project(cell)} if plan.runtime == "docker" else {})
        browsers = scenario.browsers
        # the page is deployed for people in browsers, or for a fault aimed at it
        pages_wanted = browsers.users or any("frontend" in fault.target for fault in scenario.faults)
        # a power cut needs the durable volumes on the lazy filesystem, which not every runtime can do
        cut_wanted = any(fault.action == "power-cut" for fault in scenario.faults)
        can_cut = runtime_class(plan.runtime).supports_power_cut
        runtime = make_runtime(plan.runtime, stack, ports=ports, env=env, restart=restart_policy(scenario.faults),
                               profiles=("frontend",) if pages_wanted else (), power_cut=cut_wanted and can_cut, **extra)  # fmt: skip
        planned = scenario.load.users * scenario.load.tasks_per_user
        settings = {
            "stack": cell.stack, "scenario": cell.scenario, "repetition": cell.repetition, "profile": plan.profile,
            "runtime": plan.runtime, "seed": seed, "scenario_settings": scenario.model_dump(), "environment": env, "ports": ports,
            "restart_policy": runtime.restart, "llm": {"seed": seed, "output_tokens": scenario.provider.output_tokens},
            "load": {"planned_requests": planned}, "started": _now(), "status": "running",
        }  # fmt: skip
        if browsers.users:
            settings["pages"] = {"planned_requests": browsers.users * browsers.tasks_per_user}
        why_not = not_applicable(scenario.faults, cell.stack, runtime.compose)
        if cut_wanted and not can_cut:
            why_not = f"the {plan.runtime} runtime cannot cut the power (it cannot put the volumes on the lazy filesystem)"
        if why_not:
            cell.status, cell.summary = "not_applicable", {"reason": why_not}
            settings.update(status="not_applicable", reason=why_not, finished=_now())
            _write_json(cell.directory / "cell.json", settings)
            progress.console.print(f"[dim]{cell.label}: not applicable: {why_not}[/dim]")
            return
        _write_json(cell.directory / "cell.json", settings)
        task = progress.add_task(f"{cell.label}: deploying ({plan.runtime})", total=planned)
        started = time.monotonic()
        history = cell.directory / "history.jsonl"
        writer = HistoryWriter(history, cell.stack, started)  # t: seconds since the cell started
        phase = Phases(writer, [lambda name: progress.update(task, description=f"{cell.label}: {name}"), self._go_on])
        api, expect = adapter_for(cell.stack), expectation(scenario.provider.output_tokens, seed)
        provider: ProviderAdmin | None = None
        nemesis: Nemesis | None = None
        locust: LoadProcess | None = None
        pages: PageProcess | None = None
        ledger: list[dict[str, Any]] = []
        try:
            try:
                with phase("deploy"):
                    settings["leftovers_removed"] = runtime.clear_leftovers()
                    if settings["leftovers_removed"]:
                        progress.console.print(f"[dim]{cell.label}: removed what an earlier deployment left: {', '.join(settings['leftovers_removed'])}[/dim]")
                    runtime.up()
                    provider = ProviderAdmin.of(runtime)
                config = LoadConfig(
                    stack=cell.stack, host=runtime.url("backend"), **scenario.load.model_dump(), seed=seed, llm_seed=seed,
                    llm_output_tokens=scenario.provider.output_tokens, history=str(history), run_t0=started,
                )  # fmt: skip
                locust = LoadProcess(config, cell.directory, plan.workers)  # imports during the warm-up, waits for go
                if browsers.users:
                    pages = PageProcess(PagesConfig(
                        **browsers.model_dump(), stack=cell.stack, url=runtime.url("frontend"), stack_f5=stack.manifest.f5, seed=seed,
                        llm_seed=seed, llm_output_tokens=scenario.provider.output_tokens, history=str(history), run_t0=started,
                        shots=str(cell.directory / "pages" / "shots"),
                    ), cell.directory)  # fmt: skip
                with phase("warm-up"):
                    settings["warm_up"] = warm_up(runtime, cell.stack, provider)
                load_t0 = time.monotonic()
                counter = _Counter(history)
                if scenario.faults:
                    nemesis = Nemesis(runtime, scenario.faults, writer, load_t0, api, expect, scenario.canary).start()
                    self._nemeses.add(nemesis)

                def tick(_: float) -> None:
                    self._go_on()
                    progress.update(task, completed=counter.update(), description=f"{cell.label}: {_phase(nemesis)}")

                try:
                    with phase("load"):
                        locust.go()
                        if pages is not None:
                            pages.go()
                        loaded = locust.wait(tick)
                        settings["load"].update(locust_exit_code=loaded.returncode, elapsed_s=round(loaded.elapsed_s, 3))
                        if pages is not None:  # people in browsers may still be reading
                            paged = pages.wait(tick)
                            settings["pages"].update(exit_code=paged.returncode, elapsed_s=round(paged.elapsed_s, 3))
                    if nemesis is not None:
                        with phase("recovery"):
                            nemesis.finish(timeout=nemesis.recovery_timeout_s * 2 + max(f.downtime_s for f in scenario.faults) + 30)
                finally:
                    if nemesis is not None:
                        nemesis.abort()
                        self._nemeses.discard(nemesis)
                        settings["faults"] = [asdict(r) for r in nemesis.reports]
                progress.update(task, completed=counter.update())
                with phase("drain"):  # first: a generation still running would read as stuck
                    settings["drain_s"] = provider.drain()
                with phase("final-reads"):
                    settings["final_reads"] = final_reads(api, runtime.url("backend"), writer, accepted_tasks(read_history(history)))
                with phase("collect"):
                    ledger = self._collect(runtime, provider, cell.directory, since=settings["warm_up"]["ledger_rows"])
                    _record_recovery_logs(runtime, cell.directory / "logs", writer)
                _check_faults(nemesis)
            except KeyboardInterrupt:
                settings.update(status="interrupted", finished=_now())
                _write_json(cell.directory / "cell.json", settings)
                raise
            except Exception as exc:  # a broken cell is recorded; the run goes on with the next
                cell.status, cell.error = "failed", f"{type(exc).__name__}: {exc}"
                settings.update(status="failed", error=traceback.format_exc(), finished=_now())
                try:
                    assert provider is not None, "the stack never came up"
                    self._collect(runtime, provider, cell.directory, since=settings.get("warm_up", {}).get("ledger_rows", 0))
                except Exception:  # the provider itself may be what broke: keep the logs at least
                    _try_collect_logs(runtime, cell.directory)
                _write_json(cell.directory / "cell.json", settings)
                self._ended(progress, task, f"{cell.label}: [red]failed[/red]: {cell.error.splitlines()[0][:160]}")
                return
            finally:
                with phase("teardown"):
                    if locust is not None:
                        locust.close()
                    if pages is not None:
                        pages.close()
                    if provider is not None:
                        provider.close()
                    runtime.down()
                    if (cell.directory / "runtime").exists():
                        shutil.rmtree(cell.directory / "runtime", ignore_errors=True)
            with phase("check"):
                load = settings["load"]
                paged = settings.get("pages") or {}
                meant = Expectations(planned, load.get("locust_exit_code"), paged.get("planned_requests", 0), paged.get("exit_code"))
                metrics = cell_metrics(read_history(history), ledger, expect, meant)
                load["submitted_requests"] = metrics["tasks_submitted"]
        finally:
            writer.close()
        cell.summary = _summary(metrics, time.monotonic() - started)
        if metrics["errors"]:  # it measured nothing trustworthy: an error, and a rerun does it again
            cell.status, cell.error = "failed", "incomplete: " + "; ".join(metrics["errors"])
            settings.update(status="failed", error=cell.error, finished=_now(), summary=cell.summary)
            _write_json(cell.directory / "cell.json", settings)
            self._ended(progress, task, f"{cell.label}: [red]error[/red]: {cell.error[:160]}")
            return
        cell.status = "complete"
        settings.update(status="complete", finished=_now(), summary=cell.summary)
        _write_json(cell.directory / "cell.json", settings)
        s = cell.summary
        judged = verdict(metrics)
        colour = {"ok": "green", "failed": "yellow"}.get(judged, "red")
        pages = f", pages {s['pages']['correct']}/{s['pages']['requests']} correct after {s['pages']['refreshes']} F5" if "pages" in s else ""
        self._ended(progress, task, f"{cell.label}: [{colour}]{judged}[/{colour}] {s['correct']}/{s['accepted']} correct, data loss {s['data_loss_pct']:.1f} %{pages}, {s['duration_s']:.0f}s")

    def _ended(self, progress: Progress, task: Any, line: str) -> None:
        """A cell's result: its progress line in a terminal; one printed line otherwise (a log
        file or a CI job shows no live progress bar)."""
        progress.update(task, description=line)
        if not progress.console.is_terminal:
            progress.console.print(line)

    def _collect(self, runtime: Runtime, provider: ProviderAdmin, directory: Path, since: int = 0) -> list[dict[str, Any]]:
        """The provider's ledger (after the warm-up) and every service's log, before the stack
        goes down; returns the ledger's rows."""
        rows, _ = provider.ledger_rows(since)
        (directory / "ledger.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        _try_collect_logs(runtime, directory)
        return rows


class Phases:
    """The cell's phases (deploy, warm-up, load, recovery, drain, final-reads, collect,
    teardown, check), each written to the history when it starts and when it ends
    (``process: orchestrator``, ``f: phase``; ``fail`` with the error if it raised), and
    told to the listeners (the console's progress line): the journal and the display
    subscribe to the same events, and the cell's logic knows neither."""

    def __init__(self, history: HistoryWriter, listeners: list[Callable[[str], None]]) -> None:
        self.history, self.listeners = history, listeners

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        for listener in self.listeners:
            listener(name)
        self.history.record("orchestrator", "invoke", "phase", None, {"phase": name})
        try:
            yield
        except BaseException as exc:
            self.history.record("orchestrator", "fail", "phase", None, {"phase": name, "error": f"{type(exc).__name__}: {exc}"[:500]})
            raise
        self.history.record("orchestrator", "ok", "phase", None, {"phase": name})


def _summary(metrics: dict[str, Any], duration_s: float) -> dict[str, Any]:
    """What ``cell.json`` and the console say of a cell (the report measures again from the files)."""
    outcomes = metrics["outcomes"]
    return {
        "requests": metrics["tasks_submitted"], "accepted": metrics["tasks_accepted"], **outcomes, "refreshes": metrics["refreshes"],
        "data_loss_pct": metrics["data_loss_pct"], "acknowledged_loss_chunks": metrics["acknowledged_loss_chunks"],
        "unreadable_tasks": metrics["unreadable_tasks"], "final_status": metrics["final_status"], "llm_calls": metrics["llm_calls"],
        "recovery_s": metrics["recovery_s"], "errors": metrics["errors"], "duration_s": round(duration_s, 2),
        **({"pages": {k: metrics["pages"][k] for k in ("requests", "correct", "refreshes", "llm_calls")}} if metrics.get("pages") else {}),
    }  # fmt: skip


def summary_table(cells: list[Cell]) -> Table:
    """What each cell measured, one line each, as the run ends (the report goes further)."""
    table = Table(title="cells", show_lines=False)
    columns = ("stack", "scenario", "#", "status", "correct", "lost", "failed", "refused", "data loss", "LLM calls", "healthy / first ok", "note")
    for column in columns:
        table.add_column(column, justify="left" if column in ("stack", "scenario", "status", "note") else "right")
    for cell in cells:
        s = cell.summary
        if cell.status != "complete":
            why = (s.get("reason") or "").split(";")[0] if cell.status == "not_applicable" else (cell.error or "").split("\n")[0][:120]
            table.add_row(cell.stack, cell.scenario, str(cell.repetition), cell.status.replace("_", " "), *[""] * 7, why)
            continue
        recovery = ", ".join(f"{_s(r['health'])} / {_s(r['first_ok'])}" for r in s.get("recovery_s") or []) or "-"
        table.add_row(
            cell.stack, cell.scenario, str(cell.repetition), "complete", f"{s['correct']}/{s['requests']}", str(s["lost"]), str(s["failed"]),
            str(s["rejected"]), f"{s['data_loss_pct']:.1f} %", str(s.get("llm_calls", "")), recovery, "",
        )  # fmt: skip
    return table


def _s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f}s"


def _try_collect_logs(runtime: Runtime, directory: Path) -> None:
    logs = directory / "logs"
    logs.mkdir(exist_ok=True)
    for service in runtime.services():
        try:
            (logs / f"{service}.log").write_text(runtime.logs(service))
        except Exception as exc:  # one unreadable log must not hide the others
            (logs / f"{service}.log").write_text(f"(log not readable: {exc})\n")


def _record_recovery_logs(runtime: Runtime, logs: Path, writer: HistoryWriter) -> None:
    """What each service's collected log said about recovering its data (its compose
    ``x-llmchaos.recovery_log`` patterns), into the history: one line per such service."""
    patterns = {name: svc.recovery_log for name, svc in runtime.compose.services.items()}
    for service, found in read_logs(logs, patterns).items():
        writer.record("orchestrator", "info", "recovery-log", None, {"service": service, **found})


def _phase(nemesis: Nemesis | None) -> str:
    if nemesis is None:
        return "load"
    for report in nemesis.reports:
        if not report.fired:
            return f"load, waiting for fault {report.index + 1}"
        if report.healthy_t is None:
            return f"load, fault {report.index + 1} fired at t={report.fired_t:.1f}s, recovering"
    return "load, recovered"


def _check_faults(nemesis: Nemesis | None) -> None:
    """A fault that errored or never fired makes the cell fail: its numbers would measure nothing."""
    if nemesis is None:
        return
    if nemesis.error is not None:
        raise RuntimeError(f"the nemesis failed: {type(nemesis.error).__name__}: {nemesis.error}") from nemesis.error
    for report in nemesis.reports:
        if not report.fired:
            raise RuntimeError(f"fault {report.index} ({report.description}) never fired: {report.why_not}")
        if report.healthy_t is None:
            raise RuntimeError(f"fault {report.index} ({report.description}): the stack did not recover before the cell ended")


def warm_up(runtime: Runtime, stack: str, provider: ProviderAdmin, timeout: float = 60.0) -> dict[str, Any]:
    """One short request end to end before the load, outside the users' history and the ledger.

    Why: the first request pays for lazy imports and connections (and Temporal's first
    workflow for the worker's cache); without this the first users measure start-up, not
    the architecture. Returns how long it took and the ledger rows to skip.
    """
    client = APIClient(adapter_for(stack), runtime.url("backend"), timeout=30)
    started = time.monotonic()
    try:
        task_id, _ = client.submit("warm-up", max_tokens=4)
        while client.page(task_id).status not in client.api.terminal:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the warm-up request did not end within {timeout:g}s: the {stack} stack is up but does not serve")
            time.sleep(0.05)
    finally:
        client.http.close()
    _, rows = provider.ledger_rows(0)
    return {"seconds": round(time.monotonic() - started, 3), "ledger_rows": rows}


def docker_project(cell: Cell) -> str:
    """The cell's own Docker Compose project (``llmchaos-redis-backend-kill-0-3f2a9c``): two
    cells deployed at once never share a container, a network or a volume, nor do two runs
    at once (two test sessions, two checkouts, running the same stack and
    scenario): the last part is the run directory's tag. A cell's leftovers (a killed run)
    are found and removed by name when the same run directory is resumed."""
    name = f"llmchaos-{cell.stack}-{cell.scenario}-{cell.repetition}-{run_tag(cell.directory.parents[2])}"
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower())


def run_tag(out: Path) -> str:
    """Six hex digits naming a run directory (its absolute path), for Docker project names."""
    return hashlib.sha1(str(Path(out).resolve()).encode()).hexdigest()[:6]


def default_out() -> Path:
    return Path("runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
