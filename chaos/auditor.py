"""The final reads (Jepsen's final read): every task the cell accepted, read back once the
stack has recovered.

Why: what a user was shown during the run says nothing of what the stack kept. A crash
can take back chunks already shown (a file rewritten without fsync, a transaction rolled
back), and nobody notices until someone reads the task again. After the recovery, the
auditor reads every task ever accepted in the cell (the users' and the canary's), from
chunk 0, through the stack's own API, and writes what it got to the history::

    {"process": "auditor", "type": "ok", "f": "final-read", "task_id": "...",
     "value": {"request": "r-0-1", "status": "completed", "chunks": [...], "attempts": 1}}

A 5xx or a refused connection is retried every ``retry_s`` until ``deadline_s`` (the
stack may still be warming up); a task still unreadable then is a ``fail`` line
(*unreadable*, counted apart from loss). A 404 is the stack saying it no longer knows the
task: an ``ok`` line with ``"found": false`` and no chunks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from llmchaos.checker import AUDITOR, CANARY, USERS
from llmchaos.history import Event, HistoryWriter
from loadtests.adapters import StackAPI


@dataclass(frozen=True)
class Accepted:
    task_id: str
    request: str
    owner: str  # the process that submitted it


def accepted_tasks(events: Iterable[Event]) -> list[Accepted]:
    """Every task a user or the canary got from a submit, in order, once each."""
    seen: dict[str, Accepted] = {}
    for e in sorted(events, key=lambda e: e.t):
        if e.f == "submit" and e.type == "ok" and e.task_id and (e.process.startswith(USERS) or e.process == CANARY):
            seen.setdefault(e.task_id, Accepted(e.task_id, e.value.get("request", ""), e.process))
    return list(seen.values())


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


def final_reads(
    api: StackAPI, base_url: str, history: HistoryWriter, tasks: list[Accepted], deadline_s: float = 5.0, retry_s: float = 0.5, parallel: int = 4
) -> dict[str, int]:
    """Read every task back from chunk 0 (``parallel`` at a time: Temporal answers each
    read with a query, tens of milliseconds); returns how many were read, missing, unreadable."""
    counts = {"read": 0, "missing": 0, "unreadable": 0}
    attempts = {t.task_id: 0 for t in tasks}
    last_error: dict[str, str] = {}
    deadline = time.monotonic() + deadline_s

    def read(http: httpx.Client, task: Accepted) -> str | None:
        """One attempt: "read", "missing" (the stack does not know it), or None (try again)."""
        attempts[task.task_id] += 1
        base = {"request": task.request, "of": task.owner, "attempts": attempts[task.task_id]}
        try:
            response = http.get(api.chunks_path(task.task_id), params={"from_id": 0})
        except httpx.HTTPError as exc:
            last_error[task.task_id] = f"{type(exc).__name__}: {exc}"
            return None
        if _retryable(response.status_code):
            last_error[task.task_id] = f"HTTP {response.status_code}: {response.text[:200]}"
            return None
        if response.status_code != 200:
            history.record(AUDITOR, "ok", "final-read", task.task_id, {**base, "found": False, "http_status": response.status_code, "chunks": []})
            return "missing"
        page = api.page(response.json())
        chunks = [{"chunk_id": c["chunk_id"], "text": c["text"]} for c in page.chunks]
        history.record(AUDITOR, "ok", "final-read", task.task_id, {**base, "found": True, "status": page.status, "chunks": chunks})
        return "read"

    todo = list(tasks)
    with httpx.Client(base_url=base_url, timeout=10.0) as http, ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="auditor") as pool:
        while todo:
            settled = list(pool.map(lambda task: read(http, task), todo))
            for outcome in settled:
                if outcome is not None:
                    counts[outcome] += 1
            todo = [task for task, outcome in zip(todo, settled) if outcome is None]
            if todo and time.monotonic() + retry_s > deadline:
                for task in todo:
                    history.record(AUDITOR, "fail", "final-read", task.task_id, {
                        "request": task.request, "of": task.owner, "attempts": attempts[task.task_id],
                        "error": f"unreadable for {deadline_s:g}s: {last_error.get(task.task_id)}",
                    })  # fmt: skip
                    counts["unreadable"] += 1
                break
            if todo:
                time.sleep(retry_s)
    return counts
