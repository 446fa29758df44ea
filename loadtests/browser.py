"""A user in a real browser: Playwright driving Debian's Chromium on a stack's Chainlit page.

Why: the seeds' headline failure is a browser refresh, and the Locust users only imitate
what a page does after F5. This user opens the stack's own page (``frontend`` service),
types a question, presses F5 (``page.reload``) at a chosen share of the answer, and reads
what the page shows before and after, as a person would: the answer's text and the page's
status lines (``stacks.common.frontend_server.STATUS_MARK``), with screenshots.

The browser's requests stay on 127.0.0.1: anything else the page asks for (web fonts) is
refused here, by the route filter, not left to fail on the network.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from stacks.common.frontend_server import STATUS_MARK

MESSAGES = '[data-step-type="assistant_message"] .message-content'
ENDED = re.compile(r" · (completed|failed|cancelled) · ")


def chromium_path() -> str | None:
    """Debian's Chromium (Playwright's own browser download is not reachable here)."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def normalise(text: str) -> str:
    """Text as words: a page renders the answer's paragraphs as blocks, not as "\\n\\n"."""
    return " ".join(text.split())


@dataclass(frozen=True)
class PageView:
    """What the page showed at one moment (``at``: seconds since the question was sent)."""

    at: float
    url: str
    answer: str
    status: tuple[str, ...]
    screenshot: str | None = None

    @property
    def ended(self) -> bool:
        return any(ENDED.search(line) for line in self.status)


@dataclass
class BrowserUser:
    """One page in one headless Chromium: ``with BrowserUser(url) as user: ...``."""

    url: str
    shots: Path | None = None
    executable: str | None = None

    def __enter__(self) -> "BrowserUser":
        from playwright.sync_api import sync_playwright

        executable = self.executable or chromium_path()
        if executable is None:
            raise RuntimeError("no Chromium: apt-get install chromium")
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        self.page = self._browser.new_page(viewport={"width": 1100, "height": 800})
        self.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1")) else route.abort())
        self._asked = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self._browser.close()
        self._playwright.stop()

    # -- what a person does ---------------------------------------------------------------

    def open(self, address: str | None = None, timeout: float = 60.0) -> PageView:
        """Load the page and wait for its first status line (the backend's health)."""
        self.page.goto(address or self.url)
        return self.wait(lambda v: bool(v.status), timeout, "the page's first status line")

    def ask(self, prompt: str) -> None:
        box = self.page.locator("#chat-input")
        box.fill(prompt)
        box.press("Enter")
        self._asked = time.monotonic()

    def refresh(self, timeout: float = 60.0) -> tuple[PageView, PageView]:
        """F5: what the page showed just before, and once the reloaded page has its first status line."""
        before = self.look("before-f5")
        self.page.reload()
        after = self.wait(lambda v: bool(v.status), timeout, "the refreshed page's first status line")
        return before, after

    # -- what a person sees ---------------------------------------------------------------

    def look(self, shot: str | None = None) -> PageView:
        texts = [t.strip() for t in self.page.locator(MESSAGES).all_inner_texts()]
        status = tuple(t for t in texts if t.startswith(STATUS_MARK))
        answers = [t for t in texts if t and not t.startswith(STATUS_MARK)]
        path = None
        if shot and self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            path = str(self.shots / f"{shot}.png")
            self.page.screenshot(path=path)
        view = PageView(round(time.monotonic() - self._asked, 3), self.page.url, answers[-1] if answers else "", status, path)
        return view

    def settled(self, view: PageView, quiet_s: float = 0.5, timeout: float = 5.0) -> PageView:
        """The page once its answer has not changed for ``quiet_s`` (at most ``timeout``).

        Why: the end is read from the status line and the text from the answer's message,
        two elements the browser renders on its own schedule. Once, a re-asked question
        answered from Redis's cache (every chunk and the end at once) showed its end while
        the answer's message was still empty. A person reads the page a moment after it
        says it is done; so does this user. A page that really shows nothing still does."""
        deadline = time.monotonic() + timeout
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            again = self.look()
            if again.answer != view.answer or again.status != view.status:
                view, since = again, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                break
        return view

    def wait_end(self, timeout: float, what: str) -> PageView:
        """The page once it says its answer ended, and has settled (``settled``)."""
        return self.settled(self.wait(lambda v: v.ended, timeout, what))

    def wait(self, until, timeout: float, what: str, interval: float = 0.1) -> PageView:
        deadline = time.monotonic() + timeout
        while True:
            view = self.look()
            if until(view):
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not show within {timeout:.0f}s; the page shows {view}")
            time.sleep(interval)
