"""A user chatting like the seeds' front end: submit, then poll ``chunks?from_id=N`` every
0.2 s until the task ends, showing each chunk as it arrives.

Everything the user sees goes to the history: the submit and its answer, every new chunk
(id, text, and ``asked_t``: when the poll that brought it left, so a chunk served before a
fault took effect is never taken for a recovery), every failed poll, the refresh and what
follows it, the final status or the moment the user gave up. A refused submit is retried
every ``submit_retry_s`` when the load says so (off by default). Time to first chunk and end-to-end time are also Locust request
events (types ``TTFT`` and ``E2E``), so they show in Locust's own tables; exact
percentiles come from the history, since Locust rounds response times above 100 ms.
"""

from __future__ import annotations

import itertools
import time

from locust import FastHttpUser, task
from locust.exception import StopUser

from llmchaos.history import HistoryWriter
from stacks.llm.text import expected_text

from .adapters import adapter_for, read_answer
from .config import LoadConfig
from .prompts import model_for, prompt_for, refreshes

_numbers = itertools.count()
history: HistoryWriter | None = None  # opened by the locustfile's init listener


class ChatUser(FastHttpUser):
    """Set ``host`` and the load from ``LLMCHAOS_LOAD``; one instance is one browser tab."""

    def wait_time(self) -> float:
        return self.config.think_time_s

    def on_start(self) -> None:
        self.config = LoadConfig.from_env()
        self.api = adapter_for(self.config.stack)
        worker = getattr(self.environment.runner, "worker_index", 0)
        self.key = f"{worker}-{next(_numbers)}"
        self.process = f"client-{self.key}"
        self.iteration = 0

    def _record(self, type: str, f: str, task_id: str | None, **value) -> None:
        assert history is not None, "the history is opened by the locustfile"
        history.record(self.process, type, f, task_id, value)

    def _event(self, kind: str, started: float, failed: str | None = None) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=self.config.stack,
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=RuntimeError(failed) if failed else None,
            context={},
        )

    def _submit(self, request: str, prompt: str, provider: str, model: str, refresh_of: str | None = None) -> str | None:
        body = {"prompt": prompt, "provider": provider, "model": model}
        if self.config.max_tokens:
            body["max_tokens"] = self.config.max_tokens
        self._record("invoke", "submit", None, request=request, prompt=prompt, provider=provider, model=model,
                     max_tokens=self.config.max_tokens, refresh_of=refresh_of)  # fmt: skip
        with self.client.post(self.api.submit_path(), json=body, name="submit", catch_response=True) as response:
            read, error = read_answer(response, lambda answer: (answer, self.api.task_id(answer)))
            if error is not None:
                response.failure(error)
                self._record("fail", "submit", None, request=request, error=error, http_status=response.status_code)
                return None
            answer, task_id = read
            self._record("ok", "submit", task_id, request=request, status=answer.get("status"), cached=answer.get("cached"))
            return task_id

    @task
    def chat(self) -> None:
        if self.iteration >= self.config.tasks_per_user:
            raise StopUser()
        request = f"r-{self.key}-{self.iteration}"
        prompt = prompt_for(self.config, self.key, self.iteration)
        choice = model_for(self.config, self.key, self.iteration)
        will_refresh = refreshes(self.config, self.key, self.iteration)
        self.iteration += 1
        self.converse(request, prompt, choice.provider, choice.model, will_refresh)
        if self.iteration >= self.config.tasks_per_user:
            raise StopUser()  # now, not after one more think time: the run lasts as long as its work

    def _submit_until_accepted(self, deadline: float, *args, **kwargs) -> str | None:
        """Submit; when refused, try again every ``submit_retry_s`` if the load says so, until the deadline."""
        task_id = self._submit(*args, **kwargs)
        retry = self.config.submit_retry_s
        while task_id is None and retry is not None and time.monotonic() + retry < deadline:
            time.sleep(retry)
            task_id = self._submit(*args, **kwargs)
        return task_id

    def converse(self, request: str, prompt: str, provider: str, model: str, will_refresh: bool) -> None:
        config = self.config
        started = time.monotonic()
        deadline = started + config.task_timeout_s
        task_id = self._submit_until_accepted(deadline, request, prompt, provider, model)
        if task_id is None:
            return
        shown: list[str] = []
        first_chunk_seen = False
        refresh_at = config.f5.at_fraction * len(expected_text(prompt, model, config.llm_seed, config.max_tokens, config.llm_output_tokens))
        last_news = time.monotonic()  # the last time the page changed: a new chunk or a new task (accepted now)
        while True:
            now = time.monotonic()
            stalled = config.stall_timeout_s is not None and now - last_news > config.stall_timeout_s
            if now > deadline or stalled:
                why = f"no new chunk for {config.stall_timeout_s:g}s" if stalled and now <= deadline else f"gave up after {config.task_timeout_s:g}s"
                self._record("fail", "status", task_id, request=request, error=why, chunks_shown=len(shown))
                self._event("E2E", started, failed="gave up")
                return
            url = f"{self.api.chunks_path(task_id)}?from_id={len(shown)}"
            asked = history.now() if history is not None else None  # when this poll left: served after a fault, or before it?
            with self.client.get(url, name="chunks", catch_response=True) as response:
                page, error = read_answer(response, self.api.page)
                if error is not None:
                    response.failure(error)
                    self._record("fail", "chunks", task_id, request=request, from_id=len(shown), error=error, http_status=response.status_code)
                    time.sleep(config.poll_interval_s)
                    continue
            if page.chunks:
                chunks = [{"chunk_id": c["chunk_id"], "text": c["text"]} for c in page.chunks]
                self._record("ok", "chunks", task_id, request=request, from_id=len(shown), asked_t=asked, status=page.status, chunks=chunks)
                shown.extend(c["text"] for c in chunks)
                last_news = time.monotonic()
                if not first_chunk_seen and any(c["text"] for c in chunks):
                    first_chunk_seen = True
                    self._event("TTFT", started)
            if page.status in self.api.terminal:
                self._record("ok", "status", task_id, request=request, status=page.status, chunks_shown=len(shown))
                self._event("E2E", started, failed=None if page.status == "completed" else page.status)
                return
            if will_refresh and sum(len(t) for t in shown) >= refresh_at:
                will_refresh = False
                self._record("info", "refresh", task_id, request=request, mode=config.f5.mode, chunks_shown=len(shown))
                shown = []  # the page forgot everything it showed
                if config.f5.mode == "reask":
                    task_id = self._submit_until_accepted(deadline, request, prompt, provider, model, refresh_of=task_id)
                    if task_id is None:
                        return
                    last_news = time.monotonic()
                else:
                    last_news = time.monotonic()
                    self._record("invoke", "resume", task_id, request=request)
                continue
            time.sleep(config.poll_interval_s)
