"""The nemesis: fires a scenario's faults while the load runs, then brings the stack back.

Jepsen's split: the generator (Locust users) does the work, the nemesis breaks things, and
both write to the same history, so the checker and the timelines need nothing else. Per
fault, in order:

1. wait for the trigger (``chaos.faults.Trigger``): a long poll on the provider's
   ``/admin/inflight`` answers when the median generation in flight has produced
   ``progress`` of its planned tokens; or the history so far, read by the checker, shows
   the median request in flight ``shown`` a share of its answer or ``chunk`` chunks; or the
   provider's ledger shows the LLM calls of the requests in flight ended
   (``after_generation``); or ``after_s`` passes. What it saw (the calls in flight, and the
   chunks each user's page showed) is recorded, so two runs, or two stacks, can be compared;
2. fire: ``invoke`` of ``kill``/``stop``/``pause``/``kill-all``/``llm-fault`` when the
   command is sent, ``ok`` once the effect is *confirmed* (``chaos.kinds``: the process
   gone, the container stopped, the process frozen, the provider's rule in place), with
   how it was confirmed: that ``ok`` is the fault moment every recovery time starts from.
   Then the health probe and the canary start;
3. after ``downtime_s``, recover (``start``/``resume-process``/``llm-fault``), or let the
   restart policy do it (``recovery: policy``);
4. wait until the probe sees every service healthy, then until a canary is served whole
   (or ``recovery_timeout_s``: a stack that never serves again is a finding, recorded, not
   an error of the harness).

Every value carries ``"fault": i`` and ``"phase": "fire"|"recover"``. ``finish()`` (the load
ended) lets an unfired fault go, recorded as such; ``abort()`` (Ctrl-C) stops at once and
leaves the stack to the orchestrator, which takes it down.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from llmchaos.checker import BROWSERS, ExpectFn, RequestResult, on_a_page, request_results
from llmchaos.history import Event, HistoryTail, HistoryWriter
from llmchaos.runtime import Runtime
from loadtests.adapters import StackAPI

from .canary import Canary, CanarySettings
from .faults import Fault, Trigger
from .kinds import KINDS, Target
from .probe import HealthProbe
from .provider import ProviderAdmin

PROCESS = "nemesis"
CONFIRM_TIMEOUT_S = 10.0


@dataclass
class FaultReport:
    """What happened to one fault (kept in ``cell.json``)."""

    index: int
    description: str
    services: list[str]
    fired: bool = False
    fired_t: float | None = None  # the command sent
    effective_t: float | None = None  # its effect confirmed: the fault moment
    confirmed: str | None = None  # how
    observed: dict[str, Any] = field(default_factory=dict)
    recovered_t: float | None = None  # recovery action done
    healthy_t: float | None = None  # every service healthy again (the probe)
    canary_ok: bool | None = None  # a canary was served whole before the recovery timeout
    why_not: str | None = None


class _Stopped(Exception):
    """The load ended or the run was interrupted while the nemesis was waiting."""


class Nemesis:
    def __init__(
        self, runtime: Runtime, faults: list[Fault], history: HistoryWriter, load_t0: float, api: StackAPI,
        expect: ExpectFn, canary: CanarySettings | None = None, slice_s: float = 0.5, poll_s: float = 0.05,
        probe_interval_s: float = 0.1, recovery_timeout_s: float = 180.0,
    ) -> None:  # fmt: skip
        self.runtime, self.faults, self.history, self.load_t0, self.expect = runtime, faults, history, load_t0, expect
        self.api, self.canary_settings = api, canary or CanarySettings()
        self.slice_s, self.poll_s, self.probe_interval_s, self.recovery_timeout_s = slice_s, poll_s, probe_interval_s, recovery_timeout_s
        self._reader = HistoryTail(history.path)
        self._events: list[Event] = []
        self._ledger_next = 0  # after_generation: the ledger read so far,
        self._generated: set[str] = set()  # and the tasks whose LLM call ended in it
        self.provider = ProviderAdmin.of(runtime, timeout=5.0)
        self.reports = [FaultReport(i, f.describe(), f.services(runtime.compose)) for i, f in enumerate(faults)]
        self.error: BaseException | None = None
        self._finish = threading.Event()
        self._abort = threading.Event()
        self._probe: HealthProbe | None = None
        self._canary: Canary | None = None
        self._thread = threading.Thread(target=self._run, name="nemesis", daemon=True)

    # -- control, from the orchestrator -------------------------------------------------

    def start(self) -> "Nemesis":
        self._thread.start()
        return self

    def finish(self, timeout: float) -> None:
        """The load is over: fire nothing new, let a recovery in progress complete."""
        self._finish.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.abort()

    def abort(self) -> None:
        self._abort.set()
        self._finish.set()
        for watcher in (self._probe, self._canary):
            if watcher is not None:
                watcher.stop()
        self._thread.join(10)
        self.provider.close()

    @property
    def busy(self) -> bool:
        return self._thread.is_alive()

    # -- the thread -----------------------------------------------------------------------

    def _record(self, type: str, f: str, value: dict[str, Any]) -> float:
        return self.history.record(PROCESS, type, f, None, value).t

    def _run(self) -> None:
        try:
            for fault, report in zip(self.faults, self.reports):
                try:
                    report.observed = self._wait_trigger(fault)
                except _Stopped as stopped:
                    report.why_not = str(stopped)
                    self._record("info", KINDS[fault.action].fire_f, {"fault": report.index, "phase": "fire", "fired": False, "why": report.why_not})
                    return
                target = Target(self.runtime, report.services, self.provider, fault, recovery_timeout_s=self.recovery_timeout_s)
                self._fire(target, report)
                self._recover(target, report)
        except _Stopped:
            pass  # interrupted mid-recovery: the orchestrator takes the stack down
        except BaseException as exc:  # handed to the orchestrator, which fails the cell
            self.error = exc
        finally:
            for watcher in (self._probe, self._canary):
                if watcher is not None:
                    watcher.stop()

    def _wait(self, seconds: float, abortable_only: bool = False) -> None:
        stop = self._abort if abortable_only else self._finish
        if stop.wait(seconds):
            raise _Stopped("the run was interrupted" if self._abort.is_set() else "the load ended before the trigger was reached")

    def _wait_trigger(self, fault: Fault) -> dict[str, Any]:
        """Wait for the trigger; the provider long-polls progress itself (every 2 ms, on the
        tokens it sends), in slices so that the end of the load or Ctrl-C is seen. What the
        users' pages showed at that moment is recorded whatever the trigger's kind."""
        trigger = fault.trigger
        deadline = self.load_t0 + trigger.timeout_s
        while True:
            now = time.monotonic()
            if trigger.after_s is not None and now - self.load_t0 >= trigger.after_s:
                return self._observed(trigger, self.provider.inflight(), self._pages())
            if now > deadline:
                raise _Stopped(f"trigger not reached within {trigger.timeout_s:g}s of the load's start: {trigger.describe()}")
            if trigger.progress is not None:
                answer = self.provider.wait_progress(trigger.progress, trigger.min_inflight, self.slice_s)
                if answer["reached"]:
                    return self._observed(trigger, answer["calls"], self._pages())
                self._wait(0)
            elif trigger.after_s is not None:
                self._wait(min(self.slice_s, self.load_t0 + trigger.after_s - now))
            else:
                started = time.monotonic()
                observed = self._on_pages(trigger)
                if observed is not None:
                    return observed
                # reading the history again costs more as it grows (a seed-profile cell holds
                # tens of thousands of lines): never spend more than a third of the time on it
                self._wait(max(self.poll_s, 2 * (time.monotonic() - started)))

    def _pages(self, seen_by: str = "anyone") -> list[RequestResult]:
        """The requests in flight, with what their pages show, as the checker reads the
        history so far: the Locust users', the people's in browsers (what their real pages
        render), or both (``Trigger.seen_by``)."""
        self._events.extend(self._reader.new_events())
        requests = []
        if seen_by != "pages":
            requests += request_results(self._events, self.expect, judge=False)
        if seen_by != "users":
            requests += request_results(self._events, on_a_page(self.expect), who=BROWSERS, judge=False)
        return [r for r in requests if r.tasks and r.ended_t is None and r.expected]

    def _on_pages(self, trigger: Trigger) -> dict[str, Any] | None:
        """The observation if a trigger on what users see (``shown``, ``chunk``) or on the
        stack's phase (``after_generation``) is reached now, else None."""
        pages = self._pages(trigger.seen_by)
        if len(pages) < trigger.min_inflight:
            return None
        if trigger.shown is not None:
            if statistics.median(_share(r) for r in pages) < trigger.shown:
                return None
            return self._observed(trigger, [], pages)
        if trigger.chunk is not None:
            if statistics.median(_chunks(r) for r in pages) < trigger.chunk:
                return None
            return self._observed(trigger, [], pages)
        calls = self.provider.inflight()  # after_generation
        rows, self._ledger_next = self.provider.ledger_rows(self._ledger_next)
        self._generated.update(row["task_id"] for row in rows if row.get("outcome") == "completed" and row.get("task_id"))
        running = {c.get("task_id") for c in calls}
        kept = sum(r.tasks[-1] in self._generated and _chunks(r) >= 1 for r in pages)  # generated, and a first chunk shown
        if any(r.tasks[-1] in running for r in pages) or kept < trigger.min_inflight:
            return None
        return self._observed(trigger, calls, pages)

    def _observed(self, trigger: Trigger, calls: list[dict[str, Any]], pages: list[RequestResult]) -> dict[str, Any]:
        """What the nemesis saw when it fired: the trigger point it actually hit, in the
        provider's terms (the calls in flight and their progress) and in the users' (the
        chunks each page in flight showed), so two runs, or two stacks, can be compared."""
        progresses = [c["progress"] for c in calls]
        return {
            "trigger": trigger.model_dump(exclude_none=True),
            "inflight_calls": len(calls),
            "median_progress": statistics.median(progresses) if progresses else None,
            "calls": [
                {k: c[k] for k in ("call_id", "task_id", "tokens_sent", "planned_tokens", "progress")}
                for c in sorted(calls, key=lambda c: c["call_id"])[:100]
            ],
            "inflight": len(pages),
            "median_shown": statistics.median(_share(r) for r in pages) if pages else None,
            "median_chunks_shown": statistics.median(_chunks(r) for r in pages) if pages else None,
            "requests": [
                {"request": r.request, "task_id": r.tasks[-1], "chunks_shown": _chunks(r), "shown_chars": len(r.final.text) if r.final else 0,
                 "expected_chars": len(r.expected)} for r in pages[:100]
            ],
        }  # fmt: skip

    def _fire(self, target: Target, report: FaultReport) -> None:
        kind = KINDS[target.fault.action]
        base = {"fault": report.index, "action": target.fault.action, "services": target.services, "phase": "fire"}
        report.fired_t = self._record("invoke", kind.fire_f, {**base, "trigger": report.observed})
        report.fired = True
        started = time.monotonic()
        kind.fire(target)
        while (how := kind.confirm(target)) is None:
            if time.monotonic() - started > CONFIRM_TIMEOUT_S:
                raise RuntimeError(f"fault {report.index} ({report.description}) did not take effect within {CONFIRM_TIMEOUT_S:g}s")
            time.sleep(0.005)
        report.confirmed = how
        report.effective_t = self._record("ok", kind.fire_f, {**base, "confirmed": how, "took_s": round(time.monotonic() - started, 4)})
        self._probe = HealthProbe(self.runtime, self.history, report.index, self.probe_interval_s).start()
        self._canary = Canary(self.api, self.runtime.url("backend"), self.history, report.index, self.expect, self.canary_settings).start()

    def _recover(self, target: Target, report: FaultReport) -> None:
        assert self._probe is not None and self._canary is not None
        fault, kind = target.fault, KINDS[target.fault.action]
        base = {"fault": report.index, "action": fault.action, "services": target.services, "phase": "recover"}
        if fault.recovery == "restart":
            self._wait(fault.downtime_s, abortable_only=True)  # the outage lasts, whether or not users are still there
            self._record("invoke", kind.recover_f, base)
            started = time.monotonic()
            kind.recover(target)
            took = round(time.monotonic() - started, 4)
            report.recovered_t = self._record("ok", kind.recover_f, {**base, "took_s": took, **target.saved.pop("record", {})})  # a power cut: what it dropped
        else:
            report.recovered_t = report.effective_t  # the restart policy acts by itself, at once
        self._probe.recovery_done.set()
        deadline = time.monotonic() + self.recovery_timeout_s
        while self._probe.recovered_t is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fault {report.index} ({report.description}): the stack was not healthy {self.recovery_timeout_s:g}s after recovery")
            self._wait(0.05, abortable_only=True)
        report.healthy_t = self._probe.recovered_t
        self._probe.join(5)
        self._probe = None
        while not self._canary.wait(0.1):
            if self._abort.is_set():
                raise _Stopped("the run was interrupted")
            if time.monotonic() > deadline:
                self._record("info", kind.recover_f, {**base, "canary": f"no canary was served whole within {self.recovery_timeout_s:g}s of the recovery"})
                break
        report.canary_ok = self._canary.succeeded.is_set()
        self._canary.stop()
        self._canary = None



def _share(r: RequestResult) -> float:
    """The share of its expected answer a request's page shows."""
    return len(r.final.text) / len(r.expected) if r.final else 0.0


def _chunks(r: RequestResult) -> int:
    """How many chunks a request's page shows (distinct chunk ids)."""
    return len(r.final.by_id) if r.final else 0
