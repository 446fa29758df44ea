"""What a Locust run does, as one validated document (written by the orchestrator as
``load.json`` in the cell, found by every Locust process through ``LLMCHAOS_LOAD``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stacks.spec import F5Mode


class ModelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["openai", "anthropic"] = "openai"
    model: str = "gpt-4o"
    weight: float = Field(1.0, gt=0)


class F5(BaseModel):
    """The refresh a user does mid-answer, as the seeds describe it.

    ``reask``: the page lost the task id, the user types the same prompt again (what the
    seeds say an MVP or Redis front end can do). ``reattach``: the task id survived in the
    URL, the page reads the task again from its first chunk (what a Temporal front end does
    with the workflow id). ``frontend``: whichever of the two the stack's own front end does
    (``f5`` in its ``stack.yaml``), resolved before the load starts. ``share`` of the requests refresh, once each, when
    ``at_fraction`` of the expected answer's characters have been shown.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["none", "reask", "reattach", "frontend"] = "none"
    share: float = Field(1.0, ge=0, le=1)
    at_fraction: float = Field(0.5, gt=0, lt=1)


class LoadShape(BaseModel):
    """The load a scenario describes: who asks what, how often, how patiently."""

    model_config = ConfigDict(extra="forbid")

    users: int = Field(20, ge=1)
    spawn_rate: float = Field(10.0, gt=0)
    tasks_per_user: int = Field(2, ge=1)
    think_time_s: float = Field(0.5, ge=0)
    poll_interval_s: float = Field(0.2, ge=0)  # the seeds' front end polls every 0.2 s
    task_timeout_s: float = Field(120.0, gt=0)  # a user waiting longer gives up: the task is lost
    # a user who sees no new chunk (and no end) for this long gives up too: a stalled
    # task is found in seconds rather than at the deadline (None: only the deadline)
    stall_timeout_s: float | None = Field(None, gt=0)
    # a user whose submit is refused tries again after this long, until task_timeout_s
    # (None: never; the request is then ``rejected``)
    submit_retry_s: float | None = Field(None, gt=0)
    models: list[ModelChoice] = Field(default_factory=lambda: [ModelChoice()])
    max_tokens: int | None = Field(None, ge=1)
    repeat_rate: float = Field(0.0, ge=0, le=1)  # share of requests asking a popular prompt again
    prompt_pool: int = Field(5, ge=1)  # how many popular prompts there are
    f5: F5 = Field(default_factory=F5)


class Browsers(BaseModel):
    """Users in a real browser beside the Locust load (``loadtests.pages``): each opens the
    stack's own page (its ``frontend`` service), asks ``tasks_per_user`` questions one after
    the other, and presses F5 once in each when ``at_fraction`` of the answer is on screen
    (``f5: false``: never), or once when the page has shown nothing new for ``stall_f5_s``.
    What the refreshed page does is the stack's front end's own business (``f5`` in its
    ``stack.yaml``); a person whose page forgot the question asks it again. ``users: 0``
    (the default): no browser."""

    model_config = ConfigDict(extra="forbid")

    users: int = Field(0, ge=0)
    tasks_per_user: int = Field(1, ge=1)
    f5: bool = True
    at_fraction: float = Field(0.5, gt=0, lt=1)
    task_timeout_s: float = Field(120.0, gt=0)  # a person waiting longer gives up: the request is lost
    # a person whose page shows nothing new for this long presses F5 (once per question);
    # None: never (a page whose server restarted may stop updating: see frontend-kill)
    stall_f5_s: float | None = Field(None, gt=0)


class PagesConfig(Browsers):
    """The browser users' run, written as ``pages.json`` in the cell (``LLMCHAOS_PAGES``)."""

    stack: str
    url: str  # the stack's page, on 127.0.0.1
    stack_f5: F5Mode  # what the stack's page does on F5 (stacks.spec.StackManifest.f5)
    seed: int = 0
    llm_seed: int = 0
    llm_output_tokens: int = Field(200, ge=1)
    history: str
    run_t0: float
    shots: str  # where the screenshots go

    @property
    def reask(self) -> bool:
        """The stack's page forgets its task on F5: the person asks again."""
        return self.stack_f5 == "reask"


class LoadConfig(LoadShape):
    """The shape plus what one run needs: where to send it, the seeds, where to write."""

    stack: str
    host: str  # the backend's URL, on 127.0.0.1
    seed: int = 0
    llm_seed: int = 0
    llm_output_tokens: int = Field(200, ge=1)
    history: str  # the cell's history file
    run_t0: float  # the run's monotonic origin (see llmchaos.history)

    @classmethod
    def from_env(cls) -> "LoadConfig":
        path = os.environ.get("LLMCHAOS_LOAD")
        if not path:
            raise RuntimeError("LLMCHAOS_LOAD is not set: run Locust through llmchaos (loadtests.runner), or point it at a load.json")
        return cls.model_validate(json.loads(Path(path).read_text()))
