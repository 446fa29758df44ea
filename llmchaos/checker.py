"""The checker: pure functions from a history to what each user got.

No I/O, no clock, no randomness: the same history always gives the same answer, so it is
tested on hand-made histories whose right answer is known, and a stored run can be
checked again later.

The unit is the user's *request* (one prompt typed in one tab): it may span several tasks
when the user refreshed and asked again. What the user sees is modelled on the seeds'
front end: chunks are shown in the order they arrive, without deduplication, and a
refresh empties the page (a new *view*). Outcomes, judged on the last view:

- ``correct``: the stack said completed and the page shows exactly the expected answer;
- ``failed``: the stack said failed (or cancelled);
- ``lost``: the stack never said it ended before the user gave up or the run ended;
- ``duplicated``: completed, but some chunk was shown twice;
- ``truncated``: completed, but the page shows only a beginning of the answer;
- ``corrupt``: completed, and the page shows something else;
- ``rejected``: the submit itself failed (never accepted: not a task).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from llmchaos.history import Event
from stacks.llm.text import expected_text

OUTCOMES = ("correct", "failed", "lost", "duplicated", "truncated", "corrupt", "rejected")
FAILED_STATUSES = ("failed", "cancelled")


@dataclass
class View:
    """What one page load showed for one task: chunks in arrival order."""

    task_id: str | None
    chunks: list[tuple[int, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.chunks)

    @property
    def duplicates(self) -> int:
        ids = [chunk_id for chunk_id, _ in self.chunks]
        return len(ids) - len(set(ids))


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
    outcome: str = "lost"
    refreshes: int = 0
    submitted_t: float | None = None
    first_chunk_t: float | None = None  # first non-empty chunk shown, first view
    ended_t: float | None = None
    gave_up: bool = False

    @property
    def final(self) -> View | None:
        return self.views[-1] if self.views else None

    @property
    def delivered_chars(self) -> int:
        """Characters of the expected answer correctly shown, from its start."""
        shown = self.final.text if self.final else ""
        n = 0
        for a, b in zip(shown, self.expected):
            if a != b:
                break
            n += 1
        return n

    @property
    def acknowledged_loss_chunks(self) -> int:
        """Chunks shown in an earlier view of the final task that the final view lacks or changed."""
        final = self.final
        if final is None:
            return 0
        now = dict(final.chunks)
        lost = set()
        for view in self.views[:-1]:
            if view.task_id == final.task_id:
                lost |= {cid for cid, text in view.chunks if now.get(cid) != text}
        return len(lost)


ExpectFn = Callable[[str, str, int | None], str]


def expectation(output_tokens: int, llm_seed: int = 0) -> ExpectFn:
    """The expected answer of (prompt, model, max_tokens) under a provider profile."""
    return lambda prompt, model, max_tokens: expected_text(prompt, model, llm_seed, max_tokens, output_tokens)


def _judge(result: RequestResult) -> str:
    if not result.tasks:
        return "rejected"
    if result.status in FAILED_STATUSES:
        return "failed"
    if result.status != "completed":
        return "lost"
    view = result.final or View(result.tasks[-1])
    if view.text == result.expected:
        return "correct"
    if view.duplicates:
        return "duplicated"
    if result.expected.startswith(view.text):
        return "truncated"
    return "corrupt"


def request_results(events: Iterable[Event], expect: ExpectFn) -> list[RequestResult]:
    """Every user request of a history, with what the user got (in submission order)."""
    results: dict[str, RequestResult] = {}
    for event in sorted(events, key=lambda e: e.t):
        request = event.value.get("request")
        if not event.process.startswith("client-") or request is None:
            continue
        result = results.get(request)
        if event.f == "submit" and event.type == "invoke":
            if result is None:
                v = event.value
                result = results[request] = RequestResult(
                    request, event.process, v["prompt"], v["provider"], v["model"], v.get("max_tokens"),
                    expect(v["prompt"], v["model"], v.get("max_tokens")), submitted_t=event.t,
                )  # fmt: skip
            continue
        if result is None:
            continue
        if event.f == "submit" and event.type == "ok" and event.task_id:
            result.tasks.append(event.task_id)
            result.views.append(View(event.task_id))
            result.status = event.value.get("status")
        elif event.f == "chunks" and event.type == "ok" and result.views:
            view = result.views[-1]
            view.chunks.extend((c["chunk_id"], c["text"]) for c in event.value.get("chunks", []))
            if result.first_chunk_t is None and len(result.views) == 1 and view.text:
                result.first_chunk_t = event.t
            result.status = event.value.get("status", result.status)
        elif event.f == "refresh" and result.views:
            result.refreshes += 1
            if event.value.get("mode") == "reattach":
                result.views.append(View(result.views[-1].task_id))
        elif event.f == "status":
            result.ended_t = event.t
            if event.type == "ok":
                result.status = event.value.get("status")
            else:
                result.gave_up = True
                result.status = None
    for result in results.values():
        result.outcome = _judge(result)
    return sorted(results.values(), key=lambda r: r.submitted_t or 0.0)


def summarize(results: list[RequestResult]) -> dict[str, int | float]:
    """Counts per outcome and the share of expected characters not correctly delivered."""
    accepted = [r for r in results if r.outcome != "rejected"]
    expected = sum(len(r.expected) for r in accepted)
    delivered = sum(r.delivered_chars for r in accepted)
    summary: dict[str, int | float] = {"requests": len(results), "accepted": len(accepted)}
    summary.update({outcome: sum(r.outcome == outcome for r in results) for outcome in OUTCOMES})
    summary["data_loss_pct"] = 100.0 * (expected - delivered) / expected if expected else 0.0
    summary["refreshes"] = sum(r.refreshes for r in results)
    return summary
