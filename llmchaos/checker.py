"""The checker: pure functions from a history to what each user got.

No I/O, no clock, no randomness: the same history always gives the same answer, so it is
tested on hand-made histories whose right answer is known, and a stored run can be
checked again later.

The unit is the user's *request* (one prompt typed in one tab): it may span several tasks
when the user refreshed and asked again. A refresh empties the page (a new *view*). What a
view *delivered* is the chunks it was shown, one per chunk id, in chunk-id order (a page
that received chunk 3 before chunk 2 still delivered the answer in order). Outcomes,
judged on the last view:

- ``correct``: the stack said completed and the view delivered exactly the expected
  answer, each chunk once;
- ``failed``: the stack said failed (or cancelled);
- ``lost``: the stack never said it ended before the user gave up or the run ended;
- ``duplicated``: completed, but a chunk id was shown twice, or text of the answer came
  again under new chunk ids (an SDK retry re-appending the answer from its start);
- ``truncated``: completed, everything shown is the answer's, but part of it is missing
  (its end, or a chunk in the middle);
- ``corrupt``: completed, and the page shows text that is not the answer's; also a cache
  hit whose text is not the right answer for its prompt (a stale or poisoned cache);
- ``rejected``: the submit itself failed (never accepted: not a task).

**Pages** (``browser-N``, a real browser on the stack's own page): the same requests, but
what a view delivered is the answer's text the page rendered (``page`` events, as words:
``as_words``), judged against the expected answer as words (``on_a_page``). A page shows no
chunk ids, so a chunk shown twice is found only as text shown twice (``duplicated``).

**Data loss**: the expected characters the last view did not deliver, found by aligning
the delivered text with the expected one (``difflib``, no junk heuristic): a missing chunk
costs its own characters, not the rest of the answer.

**Final reads** (Jepsen's final read): after the recovery, the auditor reads every task
again from chunk 0 (``process: auditor``, ``f: final-read``). *Acknowledged loss* is the
chunks a user was shown that the final read no longer returns, or returns different; a
task the stack could not serve at all (``fail``, 5xx until the deadline) is *unreadable*,
counted apart; a task the stack says it does not know (404) returns nothing, so every
chunk shown of it is lost.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from llmchaos.history import Event
from stacks.llm.text import expected_text

OUTCOMES = ("correct", "failed", "lost", "duplicated", "truncated", "corrupt", "rejected")
FAILED_STATUSES = ("failed", "cancelled")
USERS = "client-"  # the process prefix of simulated users
BROWSERS = "browser-"  # users in a real browser, on the stack's own page
CANARY = "canary"  # our availability probe's requests
AUDITOR = "auditor"  # the final reads
# a ``refresh`` whose page read the same task again: its id was kept in the URL (option A)
# or in the browser's storage (option B); after ``reask`` (option C) the user asks anew
REATTACHING = ("reattach", "remember")


def as_words(text: str) -> str:
    """Text as a page shows it: words separated by single spaces (a page renders the
    answer's paragraphs as blocks, not as blank lines)."""
    return " ".join(text.split())


@dataclass
class View:
    """What one page load showed for one task: chunks in arrival order, or, for a real
    browser's page, the answer's text as the page rendered it (``page``, as words)."""

    task_id: str | None
    chunks: list[tuple[int, str]] = field(default_factory=list)
    page: str | None = None

    @property
    def by_id(self) -> dict[int, str]:
        """The first text shown under each chunk id."""
        shown: dict[int, str] = {}
        for chunk_id, text in self.chunks:
            shown.setdefault(chunk_id, text)
        return shown

    @property
    def text(self) -> str:
        """The delivered text: one chunk per id, in chunk-id order (a browser's page: what it rendered)."""
        if self.page is not None:
            return self.page
        shown = self.by_id
        return "".join(shown[i] for i in sorted(shown))

    @property
    def repeated_ids(self) -> int:
        ids = [chunk_id for chunk_id, _ in self.chunks]
        return len(ids) - len(set(ids))


@dataclass(frozen=True)
class Alignment:
    """The delivered text against the expected one."""

    matched: int  # expected characters delivered, in order
    extra: list[tuple[int, int]]  # delivered ranges [start, end) that are not the answer's at their place
    repeated: list[tuple[int, int]]  # those of the extra ranges that are the answer's text again

    @property
    def repeated_chars(self) -> int:
        return sum(b - a for a, b in self.repeated)


def align(expected: str, delivered: str) -> Alignment:
    """Match ``delivered`` against ``expected`` in order (Ratcliff/Obershelp, no junk heuristic).

    Text inserted where nothing of the answer is missing, and found verbatim in the answer,
    is a repeat (the same text again under new chunk ids); any other unmatched delivered
    text is foreign (corrupt)."""
    if expected.startswith(delivered):  # the whole answer or a prefix of it (most requests): what the matcher finds, 10x faster
        return Alignment(len(delivered), [], [])
    return matched_alignment(expected, delivered)


def matched_alignment(expected: str, delivered: str) -> Alignment:
    """``align`` without its shortcut: the opcodes of difflib's matcher."""
    matcher = difflib.SequenceMatcher(None, expected, delivered, autojunk=False)
    matched, extra, repeated = 0, [], []
    for op, e0, e1, d0, d1 in matcher.get_opcodes():
        if op == "equal":
            matched += e1 - e0
        elif op in ("insert", "replace"):
            extra.append((d0, d1))
            piece = delivered[d0:d1].strip()  # a page joins the answer shown again with a space
            if op == "insert" and piece and piece in expected:
                repeated.append((d0, d1))
    return Alignment(matched, extra, repeated)


@dataclass(frozen=True)
class FinalRead:
    """What the auditor read of one task after the recovery."""

    task_id: str
    readable: bool  # False: the stack could not serve it at all (5xx until the deadline)
    found: bool = True  # False: the stack answered that it does not know the task (404)
    status: str | None = None
    chunks: dict[int, str] = field(default_factory=dict)

    @property
    def final_status(self) -> str:
        if not self.readable:
            return "unreadable"
        if not self.found:
            return "missing"
        return self.status or "unknown"


@dataclass
class RequestResult:
    request: str
    process: str
    prompt: str
    provider: str
    model: str
    max_tokens: int | None
    expected: str
    tasks: list[str] = field(default_factory=list)  # every task id this request got, in order
    views: list[View] = field(default_factory=list)
    status: str | None = None  # the last status the stack gave the final task
    cached: bool = False  # the final task was answered from a cache
    outcome: str = "lost"
    refreshes: int = 0
    submitted_t: float | None = None
    accepted_t: float | None = None  # the first submit that got a task
    first_chunk_t: float | None = None  # first non-empty chunk shown, first view
    ended_t: float | None = None
    gave_up: bool = False
    failed_submits: int = 0
    failed_polls: int = 0
    error_s: float = 0.0  # time from a failed submit or poll to the next success (or the end)
    news_t: list[float] = field(default_factory=list)  # when the page changed: accepted, each new chunk, the end
    chunk_t: list[float] = field(default_factory=list)  # when a chunk with new text was shown
    new_chunks: list[tuple[float, float, int]] = field(default_factory=list)  # (shown t, asked t, count) of chunks shown first
    chunk_log: list[tuple[float, float, str, int]] = field(default_factory=list)  # (shown t, asked t, task, chunk id) of each chunk shown first
    final_reads: dict[str, FinalRead] = field(default_factory=dict)
    alignment: Alignment = field(default_factory=lambda: Alignment(0, [], []))  # set once the history is read

    @property
    def final(self) -> View | None:
        return self.views[-1] if self.views else None

    @property
    def delivered_chars(self) -> int:
        """Characters of the expected answer the last view delivered, in order."""
        return self.alignment.matched

    @property
    def duplicate_chunks(self) -> int:
        """Chunks of the last view shown twice by id, plus chunks whose text came again under new ids."""
        view = self.final
        if view is None:
            return 0
        repeated = self.alignment.repeated
        if not repeated:
            return view.repeated_ids
        shown, start, again = view.by_id, 0, 0
        for chunk_id in sorted(shown):
            end = start + len(shown[chunk_id])
            if end > start and any(a <= start and end <= b for a, b in repeated):
                again += 1
            start = end
        return view.repeated_ids + again

    def shown_of(self, task_id: str) -> dict[int, str]:
        """Every chunk shown of one task, over all the views of it (first text per id)."""
        shown: dict[int, str] = {}
        for view in self.views:
            if view.task_id == task_id:
                for chunk_id, text in view.chunks:
                    shown.setdefault(chunk_id, text)
        return shown

    @property
    def acknowledged_loss_chunks(self) -> int | None:
        """Chunks shown to the user that the final read no longer returns (or returns
        changed), over every readable task; None when no task of it was read back."""
        lost, measured = 0, False
        for task in dict.fromkeys(self.tasks):
            read = self.final_reads.get(task)
            if read is None or not read.readable:
                continue
            measured = True
            lost += sum(1 for cid, text in self.shown_of(task).items() if read.chunks.get(cid) != text)
        return lost if measured else None

    @property
    def unreadable_tasks(self) -> int:
        return sum(1 for task in dict.fromkeys(self.tasks) if task in self.final_reads and not self.final_reads[task].readable)


ExpectFn = Callable[[str, str, int | None], str]


def expectation(output_tokens: int, llm_seed: int = 0) -> ExpectFn:
    """The expected answer of (prompt, model, max_tokens) under a provider profile."""
    return lambda prompt, model, max_tokens: expected_text(prompt, model, llm_seed, max_tokens, output_tokens)


def on_a_page(expect: ExpectFn) -> ExpectFn:
    """The expected answer as a browser's page shows it (``as_words``)."""
    return lambda prompt, model, max_tokens: as_words(expect(prompt, model, max_tokens))


def _judge(result: RequestResult) -> str:
    if not result.tasks:
        return "rejected"
    if result.status in FAILED_STATUSES:
        return "failed"
    if result.status != "completed":
        return "lost"
    view = result.final or View(result.tasks[-1])
    if view.text == result.expected and not view.repeated_ids:
        return "correct"
    if result.cached:
        return "corrupt"  # a cache hit that is not this prompt's answer
    alignment = result.alignment
    if view.repeated_ids or alignment.repeated:
        return "duplicated"
    if not alignment.extra:
        return "truncated"
    return "corrupt"


def _final_read(event: Event) -> FinalRead:
    v = event.value
    if event.type != "ok":
        return FinalRead(event.task_id or "", readable=False)
    if v.get("found") is False:
        return FinalRead(event.task_id or "", readable=True, found=False)
    chunks: dict[int, str] = {}
    for c in v.get("chunks", []):
        chunks.setdefault(c["chunk_id"], c["text"])
    return FinalRead(event.task_id or "", readable=True, status=v.get("status"), chunks=chunks)


def request_results(events: Iterable[Event], expect: ExpectFn, who: str = USERS, judge: bool = True) -> list[RequestResult]:
    """Every request of a history made by processes named ``who...`` (the users by default,
    ``CANARY`` for the availability probe), with what it got, in submission order.

    ``judge=False`` leaves outcomes and alignments out: what was shown is enough for a
    live reader (the nemesis's ``shown`` trigger), and much cheaper."""
    results: dict[str, RequestResult] = {}
    of_task: dict[str, RequestResult] = {}
    reads: dict[str, FinalRead] = {}
    error_since: dict[str, float] = {}

    def settle(result: RequestResult, t: float) -> None:
        since = error_since.pop(result.request, None)
        if since is not None:
            result.error_s += t - since

    for event in sorted(events, key=lambda e: e.t):
        if event.process == AUDITOR and event.f == "final-read" and event.task_id:
            reads[event.task_id] = _final_read(event)
            continue
        request = event.value.get("request")
        if not event.process.startswith(who) or request is None:
            continue
        result = results.get(request)
        if event.f == "submit" and event.type == "invoke":
            if result is None:
                v = event.value
                result = results[request] = RequestResult(
                    request, event.process, v["prompt"], v["provider"], v["model"], v.get("max_tokens"),
                    expect(v["prompt"], v["model"], v.get("max_tokens")), submitted_t=event.t,
                )  # fmt: skip
                result.news_t.append(event.t)
            continue
        if result is None:
            continue
        if event.type == "fail" and event.f in ("submit", "chunks"):
            if event.f == "submit":
                result.failed_submits += 1
            else:
                result.failed_polls += 1
            error_since.setdefault(request, event.t)
            continue
        if event.f == "submit" and event.type == "ok" and event.task_id:
            settle(result, event.t)
            result.tasks.append(event.task_id)
            of_task[event.task_id] = result
            result.views.append(View(event.task_id))
            result.status = event.value.get("status")
            result.cached = bool(event.value.get("cached"))
            if result.accepted_t is None:
                result.accepted_t = event.t
        elif event.f == "chunks" and event.type == "ok" and result.views:
            settle(result, event.t)
            view = result.views[-1]
            before = result.shown_of(view.task_id) if view.task_id else {}
            fresh = [(c["chunk_id"], c["text"]) for c in event.value.get("chunks", []) if c["chunk_id"] not in before]
            view.chunks.extend((c["chunk_id"], c["text"]) for c in event.value.get("chunks", []))
            asked = float(event.value.get("asked_t", event.t))
            result.chunk_log.extend((event.t, asked, view.task_id or "", chunk_id) for chunk_id, text in fresh if text)
            if any(text for _, text in fresh):
                result.chunk_t.append(event.t)
                result.news_t.append(event.t)
                result.new_chunks.append((event.t, asked, len(fresh)))
            if result.first_chunk_t is None and len(result.views) == 1 and view.text:
                result.first_chunk_t = event.t
            result.status = event.value.get("status", result.status)
        elif event.f == "page" and event.type == "ok" and result.views:
            view = result.views[-1]
            answer = event.value.get("answer", "")
            if answer and answer != view.page:
                result.chunk_t.append(event.t)
                result.news_t.append(event.t)
                if result.first_chunk_t is None and len(result.views) == 1:
                    result.first_chunk_t = event.t
            if answer or view.page is None:  # an emptied page (F5, before asking again) does not erase what this view showed
                view.page = answer
            result.status = event.value.get("status") or result.status
        elif event.f == "refresh" and result.views:
            result.refreshes += 1
            if event.value.get("mode") in REATTACHING:
                result.views.append(View(result.views[-1].task_id))
        elif event.f == "status":
            settle(result, event.t)
            result.ended_t = event.t
            result.news_t.append(event.t)
            if event.type == "ok":
                result.status = event.value.get("status")
            else:
                result.gave_up = True
                result.status = None
    last_t = max((r.news_t[-1] for r in results.values() if r.news_t), default=0.0)
    for request, since in error_since.items():  # still in error when the history ends
        result = results[request]
        result.error_s += max(0.0, (result.ended_t or last_t) - since)
    for task, read in reads.items():
        if task in of_task:
            of_task[task].final_reads[task] = read
    if judge:
        for result in results.values():
            result.alignment = align(result.expected, result.final.text if result.final else "")
            result.outcome = _judge(result)
    return sorted(results.values(), key=lambda r: r.submitted_t or 0.0)


def summarize(results: list[RequestResult]) -> dict[str, int | float]:
    """Counts per outcome and the share of expected characters not delivered."""
    accepted = [r for r in results if r.outcome != "rejected"]
    expected = sum(len(r.expected) for r in accepted)
    delivered = sum(r.delivered_chars for r in accepted)
    summary: dict[str, int | float] = {"requests": len(results), "accepted": len(accepted)}
    summary.update({outcome: sum(r.outcome == outcome for r in results) for outcome in OUTCOMES})
    summary["data_loss_pct"] = 100.0 * (expected - delivered) / expected if expected else 0.0
    summary["refreshes"] = sum(r.refreshes for r in results)
    return summary
