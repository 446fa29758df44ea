"""``chat_workflow``: one step streams the answer and writes each chunk to a DBOS durable stream.

This is the pattern of DBOS's own guide ("Streaming Responses"): the step that streams
from the LLM writes to the stream as the answer arrives. A step is at least once: if its
worker dies, the recovered workflow runs the step again from its start, a second LLM call
(billed: the ledger shows it), and DBOS appends its chunks again after the first ones (a
stream is append-only; a step's writes are not checkpointed). Each value therefore
carries its ``chunk_id``, and readers keep the first value of each (``backend.py``): with
the same text again, the page goes on where it was; a different text (a real LLM seldom
answers twice alike) would be shown spliced, old chunks then new ones: a weakness of the
pattern, recorded here rather than hidden.

The step retries a provider outage or 5xx (5 attempts, back-off from 1 s); a 4xx other
than 408, 409 and 429 (unknown model, bad parameters) fails the task at once.
"""

from __future__ import annotations

from dbos import DBOS, WorkflowSerializationFormat

from stacks.common.chat_api import CHUNK_SIZE
from stacks.common.llm_clients import default_clients, refused_status

from .shared import STREAM, WORKFLOW

PORTABLE = WorkflowSerializationFormat.PORTABLE  # JSON in the stream table: readers need no pickle


def _retryable(exc: BaseException) -> bool:
    return refused_status(exc) is None


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=1.0, backoff_rate=2.0, should_retry=_retryable)
async def stream_answer(task_id: str, prompt: str, provider: str, model: str, temperature: float, max_tokens: int | None) -> int:
    text, written = "", 0
    async for delta in default_clients().stream(provider, prompt, model, temperature, max_tokens, task_id=task_id):
        text += delta
        while len(text) >= (written + 1) * CHUNK_SIZE:
            await DBOS.write_stream_async(STREAM, {"chunk_id": written, "text": text[written * CHUNK_SIZE : (written + 1) * CHUNK_SIZE]}, serialization_type=PORTABLE)
            written += 1
    if len(text) > written * CHUNK_SIZE:
        await DBOS.write_stream_async(STREAM, {"chunk_id": written, "text": text[written * CHUNK_SIZE :]}, serialization_type=PORTABLE)
        written += 1
    return written


@DBOS.workflow(name=WORKFLOW)
async def chat_workflow(task_id: str, prompt: str, provider: str, model: str, temperature: float, max_tokens: int | None) -> dict:
    total = await stream_answer(task_id, prompt, provider, model, temperature, max_tokens)
    await DBOS.close_stream_async(STREAM)
    return {"total_chunks": total}
