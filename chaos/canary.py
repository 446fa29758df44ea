"""The canary: our own small requests, from the fault moment until one is served whole.

Why not read availability off the users: they submit when their script says so and give
up after their own timeouts, so "the first user request served after the fault" measures
the load generator as much as the stack (a user stalled 20 s on a lost task submits its
next request 20 s later). The canary submits a short request every ``interval_s`` from
the moment the fault took effect, follows each one to its end exactly as the users do
(``chunks?from_id=N`` every ``poll_interval_s``), and stops at the first one shown
complete and correct: recovery time (b).

Its requests go to the history as ``process: "canary"``, request ids ``canary-F-N`` (F the
fault), so the checker judges them like the users' but keeps them apart: they are not in
the users' outcomes or cost, and the report shows them on their own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from llmchaos.checker import CANARY, ExpectFn
from llmchaos.history import HistoryWriter
from loadtests.adapters import StackAPI


class CanarySettings(BaseModel):
    """A scenario's ``canary:`` block (every field optional)."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(0.5, gt=0)  # a new canary this often until one succeeds
    max_tokens: int = Field(8, ge=1)  # short: the canary measures availability, not speed
    poll_interval_s: float = Field(0.2, gt=0)  # as the users' front end
    timeout_s: float = Field(60.0, gt=0)  # one canary is followed this long at most
    max_inflight: int = Field(20, ge=1)  # no new canary while this many are unfinished
    request_timeout_s: float = Field(2.0, gt=0)  # one HTTP request (a frozen backend answers nothing)


@dataclass
class _Pending:
    request: str
    task_id: str
    expected: str
    submitted: float
    shown: dict[int, str] = field(default_factory=dict)
    next_poll: float = 0.0


class Canary:
    """One fault's canary, in its own thread: ``start()``, then ``wait()`` or ``stop()``."""

    provider, model = "openai", "gpt-4o"

    def __init__(self, api: StackAPI, base_url: str, history: HistoryWriter, fault: int, expect: ExpectFn, settings: CanarySettings | None = None) -> None:
        self.api, self.history, self.fault, self.expect = api, history, fault, expect
        self.settings = settings or CanarySettings()
        self._http = httpx.Client(base_url=base_url, timeout=self.settings.request_timeout_s)
        self._stop = threading.Event()
        self.succeeded = threading.Event()
        self.submitted = 0
        self._thread = threading.Thread(target=self._run, name=f"canary-{fault}", daemon=True)

    def start(self) -> "Canary":
        self._thread.start()
        return self

    def wait(self, timeout: float) -> bool:
        """Until a canary succeeded (True) or ``timeout`` passed (False)."""
        return self.succeeded.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.settings.request_timeout_s * 2 + 5)
        self._http.close()

    def _record(self, type: str, f: str, task_id: str | None, **value: Any) -> None:
        self.history.record(CANARY, type, f, task_id, {"fault": self.fault, **value})

    def _run(self) -> None:
        pending: list[_Pending] = []
        next_submit = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_submit and len(pending) < self.settings.max_inflight:
                next_submit = now + self.settings.interval_s
                submitted = self._submit()
                if submitted is not None:
                    pending.append(submitted)
            for canary in [c for c in pending if time.monotonic() >= c.next_poll]:
                ended = self._poll(canary)
                if ended:
                    pending.remove(canary)
                if self.succeeded.is_set():
                    break
            if self.succeeded.is_set():
                break
            soonest = min([next_submit, *(c.next_poll for c in pending)])
            self._stop.wait(max(0.0, min(soonest - time.monotonic(), 0.05)))
        why = "an earlier canary succeeded" if self.succeeded.is_set() else "the canary was stopped"
        for canary in pending:
            self._record("fail", "status", canary.task_id, request=canary.request, error=f"not followed further: {why}", chunks_shown=len(canary.shown))

    def _submit(self) -> _Pending | None:
        request = f"canary-{self.fault}-{self.submitted}"
        prompt = f"Canary {self.fault}-{self.submitted}: are you there?"
        self.submitted += 1
        body = {"prompt": prompt, "provider": self.provider, "model": self.model, "max_tokens": self.settings.max_tokens}
        self._record("invoke", "submit", None, request=request, prompt=prompt, provider=self.provider, model=self.model, max_tokens=self.settings.max_tokens)
        try:
            response = self._http.post(self.api.submit_path(), json=body)
        except httpx.HTTPError as exc:
            self._record("fail", "submit", None, request=request, error=f"{type(exc).__name__}: {exc}")
            return None
        if response.status_code != 200:
            self._record("fail", "submit", None, request=request, error=f"HTTP {response.status_code}: {response.text[:200]}", http_status=response.status_code)
            return None
        answer = response.json()
        task_id = self.api.task_id(answer)
        self._record("ok", "submit", task_id, request=request, status=answer.get("status"), cached=answer.get("cached"))
        return _Pending(request, task_id, self.expect(prompt, self.model, self.settings.max_tokens), time.monotonic())

    def _poll(self, canary: _Pending) -> bool:
        """One poll of one canary; True when it is over (ended, or given up)."""
        settings = self.settings
        canary.next_poll = time.monotonic() + settings.poll_interval_s
        if time.monotonic() - canary.submitted > settings.timeout_s:
            self._record("fail", "status", canary.task_id, request=canary.request, error=f"gave up after {settings.timeout_s:g}s", chunks_shown=len(canary.shown))
            return True
        asked, from_id = self.history.now(), len(canary.shown)
        try:
            response = self._http.get(self.api.chunks_path(canary.task_id), params={"from_id": from_id})
        except httpx.HTTPError as exc:
            self._record("fail", "chunks", canary.task_id, request=canary.request, from_id=from_id, error=f"{type(exc).__name__}: {exc}")
            return False
        if response.status_code != 200:
            self._record("fail", "chunks", canary.task_id, request=canary.request, from_id=from_id, error=f"HTTP {response.status_code}", http_status=response.status_code)
            return False
        page = self.api.page(response.json())
        if page.chunks:
            chunks = [{"chunk_id": c["chunk_id"], "text": c["text"]} for c in page.chunks]
            self._record("ok", "chunks", canary.task_id, request=canary.request, from_id=from_id, asked_t=asked, status=page.status, chunks=chunks)
            for c in chunks:
                canary.shown.setdefault(c["chunk_id"], c["text"])
        if page.status not in self.api.terminal:
            return False
        self._record("ok", "status", canary.task_id, request=canary.request, status=page.status, chunks_shown=len(canary.shown))
        text = "".join(canary.shown[i] for i in sorted(canary.shown))
        if page.status == "completed" and text == canary.expected:
            self.succeeded.set()
        return True
