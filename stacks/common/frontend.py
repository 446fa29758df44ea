"""The stacks' Chainlit page, as the seeds draw it, shared by every stack's ``frontend.py``.

The seeds' front end (architecture, « CHAINLIT FRONTEND », port 8501) is an ``app.py`` with
``@cl.on_chat_start`` (a health check of the backend), ``@cl.on_message`` (submit the
prompt, then a polling loop every 0.2 s that calls ``msg.stream_token`` for each new
chunk) and ``@cl.on_settings_update`` (provider, model, temperature). That is this page;
each stack's ``frontend.py`` adds what the seeds give its page (Redis: the cache badge and
hit-rate stats; Temporal: the progress « Chunks 47/100 », the status, a link to the
Temporal UI) through ``PageExtras``.

How a refreshed page finds its task, per stack (``stack.yaml`` ``f5``), from the seeds'
options (« Flux après F5 »: A, the task id in the URL; B, localStorage; C, ask again):
- ``reask`` (option C; the seeds' MVP and Redis pages): the task id lives in the Chainlit
  session only, so F5 opens an empty page and the user must ask again.
- ``reattach`` (option A; the seeds' Temporal page, « http://localhost:8501?task_id=… »):
  after submitting, the page writes ``?task_id=<id>`` into its address (a window message
  that ``public/frontend.js`` turns into ``history.replaceState``); a page opened with
  ``?task_id=`` (F5 included) reads that task again from its first chunk and follows it.
- ``remember`` (option B, « localStorage.setItem("current_task", …) »): after submitting,
  the page's script stores the id in the browser's localStorage under ``current_task``,
  where it stays until the next question replaces it. A page that loads with a stored id
  (F5, or another tab of the same browser) hands it to this app as the cookie
  ``llmchaos_current_task`` (the socket's first request carries it: Chainlit's own code
  cannot read the browser's storage), and reads that task again from its first chunk.
  The id is not removed when the answer ends: a page killed with its server (frontend-kill)
  reconnects to the new server in a session nobody sees, which follows the stored task to
  its end; had that session removed the id, the person's F5 would find nothing.

The API is the stack's own (``stacks.common.api_shapes``), called over HTTP as the seeds'
front end calls it; nothing here knows which stack it serves beyond ``stack.yaml``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import chainlit as cl
import httpx
from chainlit.input_widget import Select, Slider

from stacks.common.api_shapes import StackAPI, api_for
from stacks.common.frontend_server import STATUS_MARK
from stacks.spec import load_manifest

POLL_S = 0.2  # the seeds' polling loop
GIVE_UP_S = float(os.environ.get("FRONTEND_GIVE_UP_S", "900"))  # a page stops following a task that shows nothing new for this long
PROVIDERS = {"openai": ["gpt-4o", "gpt-4"], "anthropic": ["claude-3-5-sonnet-latest"]}


@dataclass(frozen=True)
class PageExtras:
    """What a stack's page shows besides the answer.

    ``badge``: a line from the submit answer (Redis: cache hit or new generation);
    ``progress``: show « Chunks n/total » and the status while the answer streams;
    ``stats``: a path whose JSON is summarised under a finished answer (Redis: /api/stats);
    ``links``: name -> URL shown on the page (Temporal: its Web UI)."""

    badge: Callable[[dict[str, Any]], str | None] = lambda submitted: None
    progress: bool = False
    stats: Callable[[dict[str, Any]], str] | None = None
    stats_path: str | None = None
    links: dict[str, str] = field(default_factory=dict)


STORED_TASK_COOKIE = "llmchaos_current_task"  # public/frontend.js copies localStorage's current_task into it


def _task_in_url() -> str | None:
    """The ``task_id`` of the page's address: the socket's first request carries it as Referer."""
    referer = cl.context.session.environ.get("HTTP_REFERER", "")
    values = parse_qs(urlparse(referer).query).get("task_id")
    return values[0] if values else None


def _task_in_storage() -> str | None:
    """The task id the browser kept in localStorage, as the page's script handed it over."""
    cookies = SimpleCookie(cl.context.session.environ.get("HTTP_COOKIE", ""))
    kept = cookies.get(STORED_TASK_COOKIE)
    return (unquote(kept.value) or None) if kept else None


FOUND_BY = {  # f5 -> where a refreshed page finds its task, and how the status line says so
    "reattach": (_task_in_url, "found in the address"),
    "remember": (_task_in_storage, "found in the browser's storage"),
}


class ChatPage:
    """One stack's page: ``ChatPage("mvp").install()`` in ``stacks/mvp/frontend.py``."""

    def __init__(self, stack: str, extras: PageExtras | None = None) -> None:
        self.stack = stack
        self.api: StackAPI = api_for(stack)
        self.f5 = load_manifest(stack).f5
        self.extras = extras or PageExtras()
        self.backend = os.environ.get("LLMCHAOS_BACKEND_URL", "http://127.0.0.1:8000")

    def install(self) -> None:
        """Register the seeds' three handlers with Chainlit."""
        cl.on_chat_start(self.on_chat_start)
        cl.on_message(self.on_message)
        cl.on_settings_update(self.on_settings_update)
        cl.on_chat_end(self.on_chat_end)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per poll

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.backend, timeout=10.0)

    # -- the seeds' handlers -------------------------------------------------------------

    async def on_chat_start(self) -> None:
        cl.user_session.set("settings", {"provider": "openai", "model": "gpt-4o", "temperature": 0.7})
        await cl.ChatSettings([
            Select(id="provider", label="Provider", values=list(PROVIDERS), initial_index=0),
            Select(id="model", label="Model", values=[m for models in PROVIDERS.values() for m in models], initial_index=0),
            Slider(id="temperature", label="Temperature", initial=0.7, min=0, max=2, step=0.1),
        ]).send()
        health = await self._health()
        links = " · ".join(f"[{name}]({url})" for name, url in self.extras.links.items())
        await cl.Message(content=f"{STATUS_MARK} {self.stack}: {health}" + (f" · {links}" if links else ""), author="status").send()
        if self.f5 in FOUND_BY:
            find, where = FOUND_BY[self.f5]
            if task_id := find():
                await self.follow(task_id, f"task {task_id} {where}: reading it again")

    async def on_chat_end(self) -> None:
        """The page is gone (closed, or refreshed: a refreshed page is a new session): its
        polling loop stops with it, as the seeds' loop dies with its page."""
        task = cl.context.session.current_task
        if task and not task.done():
            task.cancel()

    async def on_settings_update(self, settings: dict[str, Any]) -> None:
        cl.user_session.set("settings", {**cl.user_session.get("settings"), **settings})

    async def on_message(self, message: cl.Message) -> None:
        settings = cl.user_session.get("settings")
        try:
            async with self._http() as http:
                response = await http.post(self.api.submit_path(), json={"prompt": message.content, **settings})
            response.raise_for_status()
            submitted = response.json()
            task_id = self.api.task_id(submitted)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            await cl.Message(content=f"{STATUS_MARK} ⚠ the backend did not take the question: {_why(exc)}", author="status").send()
            return
        if self.f5 in FOUND_BY:
            await cl.send_window_message({"task_id": task_id, "keep": self.f5})  # public/frontend.js keeps it
        badge = self.extras.badge(submitted)
        await self.follow(task_id, f"task {task_id}" + (f" · {badge}" if badge else ""))

    # -- the polling loop ---------------------------------------------------------------

    async def follow(self, task_id: str, heading: str) -> None:
        """Poll ``chunks?from_id=N`` every 0.2 s and stream each new chunk into one message."""
        heading = f"{STATUS_MARK} {heading}"
        status_line = cl.Message(content=f"{heading} · waiting for the first chunk", author="status")
        await status_line.send()
        answer = cl.Message(content="", author="assistant")
        shown, status, last_news = 0, "", time.monotonic()
        async with self._http() as http:
            while True:
                try:
                    response = await http.get(self.api.chunks_path(task_id), params={"from_id": shown})
                    response.raise_for_status()
                    page = self.api.page(response.json())
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    await self._say(status_line, f"{heading} · backend unreachable ({_why(exc)}), still trying")
                    page = None
                if page is not None:
                    for chunk in page.chunks:
                        await answer.stream_token(chunk["text"])
                        shown += 1
                    if page.chunks or page.status != status:
                        last_news = time.monotonic()
                    status = page.status
                    await self._say(status_line, heading + " · " + await self._progress(http, task_id, status, shown))
                    if status in self.api.terminal:
                        break
                if time.monotonic() - last_news > GIVE_UP_S:
                    await self._say(status_line, f"{heading} · nothing new for {GIVE_UP_S:.0f}s: gave up")
                    break
                await asyncio.sleep(POLL_S)
            if self.extras.stats_path and self.extras.stats:
                try:
                    stats = (await http.get(self.extras.stats_path)).json()
                    await cl.Message(content=f"{STATUS_MARK} {self.extras.stats(stats)}", author="status").send()
                except (httpx.HTTPError, ValueError):
                    pass
        if answer.content:
            await answer.send()  # ends the stream: the message is final

    async def _progress(self, http: httpx.AsyncClient, task_id: str, status: str, shown: int) -> str:
        if not self.extras.progress:
            return f"{status} · {shown} chunks"
        try:
            state = (await http.get(self.api.status_path(task_id))).json()
            total = state.get("total_chunks") or "?"
        except (httpx.HTTPError, ValueError, AttributeError):
            total = "?"
        return f"{status} · Chunks {shown}/{total}"

    @staticmethod
    async def _say(message: cl.Message, content: str) -> None:
        if message.content != content:
            message.content = content
            await message.update()

    async def _health(self) -> str:
        try:
            async with self._http() as http:
                (await http.get("/health")).raise_for_status()
            return f"backend up at {self.backend}"
        except httpx.HTTPError as exc:
            return f"⚠ backend unreachable at {self.backend} ({_why(exc)})"


def _why(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"[:200]
