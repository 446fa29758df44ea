"""The fault kinds, one table: what each does, how its effect is confirmed, how it is undone.

Jepsen's nemesis shape: a fault is a target (the services a scenario names) plus a
start/stop pair, and a new kind is a few lines here, nothing in the nemesis. Each kind
also says how the nemesis *confirms* it took effect (the process gone, the container
stopped, the process frozen, the provider's rule installed): the fault moment from which
recovery is measured is that confirmation, not the command.

``f`` names are what the history records when the fault fires and when it recovers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmchaos.runtime import Runtime

from .faults import Fault
from .provider import ProviderAdmin


@dataclass
class Target:
    """What a fault acts on: the deployed stack, the services it hits, the provider."""

    runtime: Runtime
    services: list[str]
    provider: ProviderAdmin
    fault: Fault
    saved: dict[str, Any] = field(default_factory=dict)  # what recovery must put back
    recovery_timeout_s: float = 120.0


@dataclass(frozen=True)
class Kind:
    fire_f: str
    recover_f: str
    fire: Callable[[Target], None]
    confirm: Callable[[Target], str | None]  # how it was confirmed, or None while it is not yet
    recover: Callable[[Target], None]


def _each(action: str) -> Callable[[Target], None]:
    """The runtime's ``action`` on every targeted service, in start order."""

    def act(target: Target) -> None:
        for service in target.services:
            getattr(target.runtime, action)(service)

    return act


def _down(target: Target) -> str | None:
    if any(target.runtime.is_running(s) for s in target.services):
        return None
    return "not running: " + ", ".join(target.services)


def _killed(target: Target) -> str | None:
    # ``Runtime.kill`` returns once the main process is dead (and, with Docker, once the
    # engine saw it die); polling "not running" after it would race the restart policy
    return "process dead (the kill waited for its exit): " + ", ".join(target.services)


def _frozen(target: Target) -> str | None:
    if all(target.runtime.is_paused(s) for s in target.services):
        return "frozen: " + ", ".join(target.services)
    return None


def _outage_begins(target: Target) -> None:
    target.saved["rules"] = target.provider.fault_rules()
    outage = target.fault.outage
    target.provider.set_fault_rules([*target.saved["rules"], {"action": "error", "status": outage.status}])
    if outage.cut != "none":
        target.provider.cut_inflight(outage.cut)


def _outage_on(target: Target) -> str | None:
    rules = target.provider.fault_rules()
    wanted = target.fault.outage.status
    return f"the provider answers {wanted} to new calls" if any(r.get("status") == wanted and r.get("action") == "error" for r in rules) else None


def _power_back(target: Target) -> None:
    """The power comes back with what the disks held: what no one synced is dropped from
    the durable volumes (now, while every process is still dead since the kill: the same
    as at the cut's instant, and the fault moment stays the kill's), then every service
    starts again. What was dropped goes into the history (``saved["record"]``)."""
    target.saved["record"] = {"power_cut": target.runtime.cut_power()}
    target.runtime.restart_all(target.recovery_timeout_s)


KINDS: dict[str, Kind] = {
    "kill": Kind("kill", "start", _each("kill"), _killed, _each("start")),
    "stop": Kind("stop", "start", _each("stop"), _down, _each("start")),
    "pause": Kind("pause", "resume-process", _each("pause"), _frozen, _each("unpause")),
    "kill-all": Kind(
        "kill-all", "start", lambda t: t.runtime.kill_all(t.services), _down, lambda t: t.runtime.restart_all(t.recovery_timeout_s)
    ),
    "power-cut": Kind("power-cut", "start", lambda t: t.runtime.kill_all(t.services), _down, _power_back),
    "llm-outage": Kind("llm-fault", "llm-fault", _outage_begins, _outage_on, lambda t: t.provider.set_fault_rules(t.saved["rules"])),
}
