"""Scenarios: ``chaos/scenarios/<name>.yaml``, declarative and seeded.

A scenario says what load to apply (``load``: the fields of ``loadtests.config.LoadConfig``
that are not about a particular run; ``browsers``: users in a real browser on the stack's own
page beside it, ``loadtests.config.Browsers``), how the fake provider behaves (``provider``),
which variables to give the deployed stack (``environment``: e.g. Temporal's timeouts),
what breaks and when (``faults``: see ``chaos/faults.py``), how the canary measures
availability from each fault on (``canary``: see ``chaos/canary.py``), what differs for one stack
(``stack_overrides.<stack>``; a stack's own changes per profile are in its
``stacks/<stack>/stack.yaml``, applied before), and per profile what changes (``profiles.ci``:
seconds-long generations, the whole matrix in minutes; ``profiles.seed``: the seeds' 100
chunks over 5 minutes). A profile changes a list of mappings item by item when it has as
many items (``faults: [{downtime_s: 30}]`` changes the first fault's downtime only).
Errors name the file, the field and what is expected. A fault target or a
``stack_overrides`` key that no stack has is an error too: a typo would otherwise make
every cell silently "not applicable".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmchaos.errors import BadInputError
from loadtests.config import Browsers
from loadtests.config import LoadShape as Load
from stacks.spec import load_manifest

from .canary import CanarySettings
from .faults import Fault, stack_targets, unknown_targets

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
PROFILES = ("ci", "seed")


class Provider(BaseModel):
    """The fake provider's latency and length (``LLM_*`` variables of every stack)."""

    model_config = ConfigDict(extra="forbid")

    ttft_ms: float = Field(200.0, ge=0)
    itl_ms: float = Field(20.0, ge=0)
    jitter_ms: float = Field(0.0, ge=0)
    output_tokens: int = Field(100, ge=1)

    def environment(self, seed: int) -> dict[str, str]:
        return {
            "LLM_TTFT_MS": f"{self.ttft_ms:g}",
            "LLM_ITL_MS": f"{self.itl_ms:g}",
            "LLM_JITTER_MS": f"{self.jitter_ms:g}",
            "LLM_OUTPUT_TOKENS": str(self.output_tokens),
            "LLM_SEED": str(seed),
        }


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    source: str = ""  # the seed document and section whose narrative this scenario tells
    compare_with: str = ""  # a scenario this one differs from by one thing: the report reads them side by side
    seed: int = 0
    load: Load = Field(default_factory=Load)
    browsers: Browsers = Field(default_factory=Browsers)  # users in a real browser beside the load (the stack's page is deployed then)
    provider: Provider = Field(default_factory=Provider)
    environment: dict[str, str] = Field(default_factory=dict)
    faults: list[Fault] = Field(default_factory=list)
    canary: CanarySettings = Field(default_factory=CanarySettings)
    stack_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def for_stack(self, stack: str, profile: str) -> "Scenario":
        """This scenario as one stack runs it: the stack's own changes for the profile
        (``profiles.<profile>`` of ``stacks/<stack>/stack.yaml``), then the scenario's
        ``stack_overrides.<stack>``; an F5 left to the front end (``f5: {mode: frontend}``)
        becomes what the stack's front end does (its ``f5``: ``reask``, or ``reattach`` for
        an id kept in the URL or in the browser's storage)."""
        manifest = load_manifest(stack)
        if unknown := sorted(set(manifest.profiles) - set(PROFILES)):
            raise BadInputError(f"stacks/{stack}/stack.yaml: profiles: unknown profile(s) {', '.join(unknown)}; known profiles: {', '.join(PROFILES)}")
        scenario = self
        changes = ((f"stacks/{stack}/stack.yaml: profiles.{profile}", manifest.profiles.get(profile)),
                   (f"scenario {self.name}: stack_overrides.{stack}", self.stack_overrides.get(stack)))  # fmt: skip
        for where, change in changes:
            if change:
                try:
                    scenario = Scenario.model_validate(_merge(scenario.model_dump(), change))
                except ValidationError as exc:
                    raise BadInputError(f"{where}: {_describe(exc)}") from None
        if scenario.load.f5.mode == "frontend":
            f5 = scenario.load.f5.model_copy(update={"mode": "reask" if manifest.f5 == "reask" else "reattach"})  # kept in the URL or in storage: the id survived
            scenario = scenario.model_copy(update={"load": scenario.load.model_copy(update={"f5": f5})})
        return scenario


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge_value(out.get(key), value)
    return out


def _merge_value(base: Any, value: Any) -> Any:
    if isinstance(value, dict) and isinstance(base, dict):
        return _merge(base, value)
    if isinstance(value, list) and isinstance(base, list) and len(value) == len(base) and all(isinstance(v, dict) for v in value + base):
        return [_merge(b, v) for b, v in zip(base, value)]
    return value


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors())


# the catalogue's reading order: no fault first, then faults from the API outwards
CATALOGUE = (
    "baseline", "f5-refresh", "f5-reattach", "cache-repeat", "backend-kill", "backend-pause", "worker-kill",
    "worker-stop-chunk-47", "worker-kill-after-generation", "datastore-kill", "host-kill", "host-kill-processes", "llm-outage", "f5-browser",
    "frontend-kill",
)  # fmt: skip


def known_scenarios() -> list[str]:
    found = {p.stem for p in SCENARIOS_DIR.glob("*.yaml")}
    return [n for n in CATALOGUE if n in found] + sorted(found - set(CATALOGUE))


def load_scenario(name_or_path: str, profile: str = "ci") -> Scenario:
    """The scenario with ``profile``'s changes applied; ``BadInputError`` says what is wrong."""
    if profile not in PROFILES:
        raise BadInputError(f"unknown profile {profile!r}; known profiles: {', '.join(PROFILES)}")
    path = Path(name_or_path) if name_or_path.endswith((".yaml", ".yml")) else SCENARIOS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise BadInputError(f"unknown scenario {name_or_path!r}; known scenarios: {', '.join(known_scenarios())} (or a path to a .yaml file)")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise BadInputError(f"{path}: expected a mapping with name, description, load, provider, profiles")
    profiles = raw.pop("profiles", {}) or {}
    if not isinstance(profiles, dict) or set(profiles) - set(PROFILES):
        raise BadInputError(f"{path}: profiles: expected a mapping with keys among {', '.join(PROFILES)}")
    try:
        scenario = Scenario.model_validate(_merge(raw, profiles.get(profile) or {}))
    except ValidationError as exc:
        raise BadInputError(f"{path} (profile {profile}): {_describe(exc)}") from None
    _check_targets(scenario, profile, f"{path} (profile {profile})")
    return scenario


def _check_targets(scenario: Scenario, profile: str, where: str) -> None:
    """Refuse what names nothing: a fault target no stack defines, an override for no stack."""
    targets = stack_targets()
    stacks = sorted({stack for names in targets.values() for stack in names})
    for stack in scenario.stack_overrides:
        if stack not in stacks:
            raise BadInputError(f"{where}: stack_overrides.{stack}: no stack is named {stack!r}; known stacks: {', '.join(stacks)}")
    problems = unknown_targets(scenario.faults, targets)
    for stack in scenario.stack_overrides:
        if problems:
            break
        try:
            overridden = scenario.for_stack(stack, profile)
        except BadInputError as exc:
            raise BadInputError(f"{where}: {exc}") from None
        problems = [(f"stack_overrides.{stack}.{field}", message) for field, message in unknown_targets(overridden.faults, targets)]
    if problems:
        raise BadInputError(f"{where}: " + "; ".join(f"{field}: {message}" for field, message in problems))
