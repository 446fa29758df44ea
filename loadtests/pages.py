"""Users in a real browser, beside the Locust load: ``python -m loadtests.pages`` with
``LLMCHAOS_PAGES`` naming a ``pages.json`` (``loadtests.config.PagesConfig``).

Why a process of its own: Playwright's sync API runs its own event loop and Chromium's
processes, which neither Locust's gevent nor the orchestrator's threads should host. Like
Locust, it starts ahead and waits for the go file (``loadtests.runner``), then runs one
thread per browser user, each with its own Chromium.

Each user, per question: opens the stack's page, asks a seeded prompt (``browser-N``
requests, their own prompts), reads the page every 0.2 s and writes into the cell's history
what it shows (``page`` events: the answer's text as words, the stack's status from the
page's status line, the address), presses F5 once ``at_fraction`` of the answer is on
screen, or once if the page has shown nothing new for ``stall_f5_s`` (``refresh``, with a
screenshot just before; a ``page`` event with one just after), asks again if the refreshed
page forgot the question, and ends when the page says the task ended (``status``) or gives up after ``task_timeout_s``. Task ids are read from the
page's status line ("task ID ..."), as a person could read them.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import traceback
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from llmchaos.checker import as_words
from llmchaos.history import HistoryWriter
from stacks.llm.text import expected_text

from .browser import BrowserUser, PageView
from .config import LoadConfig, PagesConfig
from .prompts import prompt_for
from .runner import GO_VARIABLE

TASK = re.compile(r"\btask (\S+)")
STATUS = re.compile(r" · ([a-z_]+) · ")  # "task ID[ · badge] · STATUS · n chunks"
LOOK_S = 0.2  # how often the user reads the page (the page itself polls every 0.2 s)
GO_PATIENCE_S = 600


def task_of(view: PageView) -> str | None:
    """The task id the page's last status line names."""
    for line in reversed(view.status):
        if found := TASK.search(line):
            return found.group(1)
    return None


def status_of(view: PageView) -> str | None:
    """The stack's status the page's last status line gives (None before the first chunk)."""
    for line in reversed(view.status):
        if TASK.search(line) and (found := STATUS.search(line)):
            return found.group(1)
    return None


class PageUser:
    """One person, one browser, ``tasks_per_user`` questions asked one after the other."""

    def __init__(self, config: PagesConfig, number: int, history: HistoryWriter) -> None:
        self.config, self.history = config, history
        self.key = f"page-{number}"
        self.process = f"browser-{number}"
        self.shots = Path(config.shots)

    def _record(self, type: str, f: str, task_id: str | None, **value) -> None:
        self.history.record(self.process, type, f, task_id, value)

    def _shot(self, user: BrowserUser, name: str) -> tuple[PageView, str]:
        view = user.look(name)
        return view, str(Path(view.screenshot).relative_to(Path(self.config.history).parent)) if view.screenshot else ""

    def run(self) -> None:
        with BrowserUser(self.config.url, shots=self.shots) as user:
            for iteration in range(self.config.tasks_per_user):
                self.converse(user, iteration)

    def _submit(self, user: BrowserUser, request: str, prompt: str, deadline: float, refresh_of: str | None = None) -> str | None:
        self._record("invoke", "submit", None, request=request, prompt=prompt, provider="openai", model="gpt-4o", max_tokens=None, refresh_of=refresh_of)
        user.ask(prompt)
        while time.monotonic() < deadline:
            view = user.look()
            if task := task_of(view):
                if task != refresh_of:
                    self._record("ok", "submit", task, request=request, status=None)
                    return task
            elif any("did not take the question" in line for line in view.status):
                self._record("fail", "submit", None, request=request, error=view.status[-1])
                return None
            time.sleep(LOOK_S)
        self._record("fail", "submit", None, request=request, error="the page showed no task")
        return None

    def converse(self, user: BrowserUser, iteration: int) -> None:
        config = self.config
        load = LoadConfig.model_construct(seed=config.seed, repeat_rate=0.0, prompt_pool=1)  # the users' prompt rule, never a popular repeat
        prompt = prompt_for(load, self.key, iteration)
        request = f"r-{self.key}-{iteration}"
        want = as_words(expected_text(prompt, "gpt-4o", config.llm_seed, None, config.llm_output_tokens))
        deadline = time.monotonic() + config.task_timeout_s
        self._open(user, deadline)
        task = self._submit(user, request, prompt, deadline)
        if task is None:
            return
        will_refresh, shown, changed, presses = config.f5, None, time.monotonic(), 0
        while True:
            view = user.look()
            if view.ended:
                view = user.settled(view)  # the last chunks may render just after the end
            answer, status = as_words(view.answer), status_of(view)
            if answer != shown:
                self._record("ok", "page", task, request=request, answer=answer, status=status, url=view.url)
                shown, changed = answer, time.monotonic()
            if view.ended:
                self._record("ok", "status", task, request=request, status=status, chars_shown=len(answer))
                return
            if time.monotonic() > deadline:
                self._record("fail", "status", task, request=request, error=f"gave up after {config.task_timeout_s:g}s", chars_shown=len(answer))
                return
            halfway = will_refresh and len(answer) >= config.at_fraction * len(want)
            stalled = config.stall_f5_s is not None and presses == 0 and time.monotonic() - changed > config.stall_f5_s
            if halfway or stalled:
                will_refresh, presses = False, presses + 1
                task = self._press_f5(user, request, prompt, task, answer, deadline, "halfway" if halfway else "stalled", presses)
                if task is None:
                    return
                shown, changed = None, time.monotonic()
                continue
            time.sleep(LOOK_S)

    @staticmethod
    def _open(user: BrowserUser, deadline: float) -> None:
        """Open the page; a page server that is down (or restarting) is tried again every
        second, as a person would, until the question's deadline."""
        while True:
            try:
                user.open(timeout=min(20.0, max(1.0, deadline - time.monotonic())))
                return
            except (PlaywrightError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    def _press_f5(self, user: BrowserUser, request: str, prompt: str, task: str, answer: str, deadline: float, why: str, n: int) -> str | None:
        """F5, with a screenshot just before and just after; the person asks again if the
        refreshed page forgot the question. Returns the task the page now follows."""
        config = self.config
        _, before = self._shot(user, f"{request}-before-f5-{n}")
        self._record("info", "refresh", task, request=request, mode=config.stack_f5, why=why, chars_shown=len(answer), shot=before)
        address = user.page.url
        try:
            user.page.reload()
        except PlaywrightError:  # a page server that is down: the person opens the same address again, every second
            while True:  # (Chromium refuses every later reload of a page whose reload failed: "frame was detached")
                time.sleep(1.0)
                try:
                    user.page.goto(address)
                    break
                except PlaywrightError:
                    if time.monotonic() > deadline:
                        raise
        after_view = user.wait(lambda v: bool(v.status), 60, "the refreshed page's first status line")
        after_view, after = self._shot(user, f"{request}-after-f5-{n}")
        self._record("ok", "page", task, request=request, answer=as_words(after_view.answer), status=status_of(after_view),
                     url=after_view.url, after_refresh=True, shot=after)  # fmt: skip
        if config.reask and not task_of(after_view):  # the page forgot the question: the person asks it again
            return self._submit(user, request, prompt, deadline, refresh_of=task)
        return task


def wait_for_go(path: str | None) -> None:
    deadline = time.monotonic() + GO_PATIENCE_S
    while path and not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"llmchaos: no go ({path}) within {GO_PATIENCE_S}s: the harness is gone; no page was opened")
        time.sleep(0.01)


def main() -> int:
    config = PagesConfig.model_validate_json(Path(os.environ["LLMCHAOS_PAGES"]).read_text())
    wait_for_go(os.environ.get(GO_VARIABLE))
    failures: list[str] = []
    with HistoryWriter(Path(config.history), config.stack, config.run_t0) as history:

        def run(number: int) -> None:
            try:
                PageUser(config, number, history).run()
            except Exception:  # one browser's failure is reported, the others go on
                failures.append(traceback.format_exc())

        threads = [threading.Thread(target=run, args=(n,), name=f"browser-{n}") for n in range(config.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for failure in failures:
        sys.stderr.write(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
