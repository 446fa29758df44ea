"""The fault format of a scenario: what breaks, when, for how long, and how it comes back.

A scenario's ``faults`` is a list of these, fired one after the other by the nemesis::

    faults:
      - action: kill            # kill | stop | pause | kill-all | llm-outage
        target: backend         # roles or service names (a list: all of them at once)
        trigger: {progress: 0.5, min_inflight: 5}   # or {shown: 0.5}, {chunk: 47},
                                                    # {after_generation: true}, {after_s: 3}
        downtime_s: 30          # the seeds' 30 s; the ci profile shortens it
        recovery: restart       # restart after the downtime, or `policy`: the runtime's
                                # restart policy (on-failure) brings a crashed service back

Why targets are roles first: the same scenario means the same thing on every stack
("the datastore" is Redis and PostgreSQL in one, the Temporal server in another), and a
stack without that role (the MVP has no worker) makes the cell *not applicable*, which the
results say with the reason instead of silently measuring nothing. A target that *no*
stack has (``target: backnd``) is a mistake, not a stack without that role: scenarios
refuse it (``unknown_targets``), naming the file and the field.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from stacks.compose import ComposeFile, load_compose
from stacks import spec

ACTIONS = ("kill", "stop", "pause", "kill-all", "power-cut", "llm-outage")  # what each does: ``chaos.kinds.KINDS``


class Trigger(BaseModel):
    """When a fault fires: on generation progress, on what users were shown, on the stack's
    phase, or on time. Each kind is one way of saying "partway through", whatever the
    stack's speed:

    - ``progress: p``: at least ``min_inflight`` generations are in flight at the provider
      and their median has produced ``p`` of its planned tokens (``/admin/inflight``);
    - ``shown: p``: at least ``min_inflight`` requests are in flight and their median page
      shows ``p`` of the expected answer (read from the history): the seeds' "crash at
      50 %", which for Temporal falls after the LLM call, while the answer is saved;
    - ``chunk: n``: the same, counted in chunks: the median page in flight shows ``n``
      chunks (the seeds' "worker crash at chunk 47");
    - ``after_generation: true``: at least ``min_inflight`` requests are in flight whose LLM
      call has ended (in the provider's ledger) and whose page shows a first chunk, and
      none of the requests in flight has a call still running: "right after the
      generation", before the answer is delivered. The first chunk is the stack's word
      that it kept what it generated: the provider's end of the call comes before Temporal
      has checkpointed the activity's result (a kill in between was seen to re-generate:
      a race, not the seeds' scenario);
    - ``after_s``: seconds after the load started.

    ``seen_by``: whose requests the page triggers (``shown``, ``chunk``, ``after_generation``)
    read: ``anyone`` (the Locust users and the people in browsers), ``users`` or ``pages``
    (the people only: a fault aimed at what their pages show, e.g. the page server killed
    while they read half an answer).
    ``timeout_s``: if the trigger is not reached by then (counted from the load's start),
    the fault never fires and the cell fails, saying so.
    """

    model_config = ConfigDict(extra="forbid")

    progress: float | None = Field(None, gt=0, lt=1)
    shown: float | None = Field(None, gt=0, lt=1)
    chunk: int | None = Field(None, ge=1)
    after_generation: Literal[True] | None = None
    after_s: float | None = Field(None, ge=0)
    min_inflight: int = Field(1, ge=1)
    seen_by: Literal["anyone", "users", "pages"] = "anyone"
    timeout_s: float = Field(120.0, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> "Trigger":
        if sum(x is not None for x in (self.progress, self.shown, self.chunk, self.after_generation, self.after_s)) != 1:
            raise ValueError(
                "give exactly one of 'progress' (share of the planned tokens, e.g. 0.5), 'shown' (share of the answer "
                "users were shown), 'chunk' (chunks users were shown, e.g. 47), 'after_generation: true' (the LLM calls "
                "of the requests in flight have ended) or 'after_s' (seconds after the load starts)"
            )
        if self.seen_by != "anyone" and self.shown is None and self.chunk is None and self.after_generation is None:
            raise ValueError(f"'seen_by: {self.seen_by}' reads what pages show: give it with 'shown', 'chunk' or 'after_generation'")
        return self

    def describe(self) -> str:
        whose = {"anyone": "", "users": " of the Locust users", "pages": " of the people in browsers"}[self.seen_by]
        least = f"(at least {self.min_inflight} in flight{whose})"
        if self.progress is not None:
            return f"median in-flight generation at {self.progress:.0%} of its tokens {least}"
        if self.shown is not None:
            return f"median request in flight shown {self.shown:.0%} of its answer {least}"
        if self.chunk is not None:
            return f"median request in flight shown {self.chunk} chunks {least}"
        if self.after_generation:
            return f"the LLM calls of the requests in flight have ended and their pages show a first chunk {least}"
        return f"{self.after_s:g}s after the load started"


class Outage(BaseModel):
    """What the provider does during an ``llm-outage``: new calls answer ``status``; the
    streams already running are cut (``cut: drop`` the connection, ``error`` a mid-stream
    error event, ``none`` left to finish)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[429, 500, 503, 529] = 503
    cut: Literal["drop", "error", "none"] = "error"


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["kill", "stop", "pause", "kill-all", "power-cut", "llm-outage"]
    target: list[str] = Field(default_factory=list)
    trigger: Trigger
    downtime_s: float = Field(30.0, ge=0)
    recovery: Literal["restart", "policy"] = "restart"
    outage: Outage = Field(default_factory=Outage)

    @field_validator("target", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> "Fault":
        if self.action in ("kill", "stop", "pause") and not self.target:
            raise ValueError(f"action {self.action!r} needs a 'target': a role (backend, worker, datastore, server) or a service name")
        if self.action in ("kill-all", "power-cut", "llm-outage") and self.target:
            raise ValueError(f"action {self.action!r} takes no 'target' (kill-all, power-cut: every service but the LLM provider; llm-outage: the provider)")
        if self.recovery == "policy" and self.action != "kill":
            raise ValueError("recovery 'policy' (the restart policy brings a crashed service back) only applies to action 'kill'")
        return self

    def services(self, compose: ComposeFile) -> list[str]:
        """The stack's services this fault hits (empty: it does not apply to the stack).

        ``kill-all`` and ``power-cut`` spare the LLM provider: a power cut of our machines
        does not take OpenAI down, and its ledger is the measurement.
        """
        order = compose.start_order()
        if self.action == "llm-outage":
            return [s for s in order if compose.services[s].role == "llm"]
        if self.action in ("kill-all", "power-cut"):
            return [s for s in order if compose.services[s].role != "llm"]
        return [s for s in order if s in self.target or compose.services[s].role in self.target]

    def describe(self) -> str:
        what = self.action if not self.target else f"{self.action} {'+'.join(self.target)}"
        back = "its restart policy" if self.recovery == "policy" else f"restart after {self.downtime_s:g}s"
        return f"{what} when {self.trigger.describe()}; recovery: {back}"


def not_applicable(faults: list[Fault], stack: str, compose: ComposeFile) -> str | None:
    """Why these faults cannot be run on this stack, or None if they can."""
    for fault in faults:
        if not fault.services(compose):
            roles = ", ".join(f"{s} ({compose.services[s].role})" for s in compose.start_order())
            return f"the {stack} stack has no {' or '.join(fault.target)} to {fault.action}; its services: {roles}"
    return None


def restart_policy(faults: list[Fault]) -> str:
    """The deployment's restart policy: on-failure if a fault relies on it, else none."""
    return "on-failure" if any(f.recovery == "policy" for f in faults) else "no"


def stack_targets() -> dict[str, list[str]]:
    """Every role and service name some stack defines -> the stacks that define it.

    Read from each known stack's ``compose.yaml`` (``stacks.spec.known_stacks``), so a new
    stack's roles and services become valid targets by existing.
    """
    targets: dict[str, set[str]] = {}
    for name in spec.known_stacks():
        compose = spec.STACKS_DIR / name / "compose.yaml"
        if not compose.is_file():
            continue  # an incomplete stack folder: refused by load_stack if it is asked for
        for svc in load_compose(compose).services.values():
            targets.setdefault(svc.name, set()).add(name)
            targets.setdefault(svc.role, set()).add(name)
    return {target: sorted(stacks) for target, stacks in sorted(targets.items())}


def unknown_targets(faults: list[Fault], targets: dict[str, list[str]]) -> list[tuple[str, str]]:
    """``(field, message)`` for each fault target no stack defines (a typo, not a missing role)."""
    problems = []
    for i, fault in enumerate(faults):
        for j, target in enumerate(fault.target):
            if target in targets:
                continue
            close = difflib.get_close_matches(target, list(targets), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = f"faults.{i}.target" if len(fault.target) == 1 else f"faults.{i}.target.{j}"
            problems.append((where, f"{target!r} is no role or service of any stack{hint}; known: {', '.join(targets)}"))
    return problems
