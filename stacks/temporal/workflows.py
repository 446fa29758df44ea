"""The seeds' workflows: ``ChatStreamingWorkflow`` and ``BatchChatWorkflow``.

``ChatStreamingWorkflow``: validate_prompt -> generate_full_text_with_llm (one call, its
result checkpointed in the workflow history) -> split into 50-character chunks ->
save_chunk_to_storage once per chunk -> notify_frontend. Queries ``get_status`` and
``get_chunks`` read the workflow's memory, which a worker rebuilds by replaying the
history after a crash; they need a live worker to answer. Signal ``cancel`` stops it
between chunks.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from stacks.common.chat_api import split_into_chunks

    from .activities import generate_full_text_with_llm, notify_frontend, save_chunk_to_storage, validate_prompt
    from .shared import ActivityPolicy, BatchInput, ChatInput, GenerateInput, NotifyInput, SaveChunkInput


def _options(policy: ActivityPolicy) -> dict:
    return {
        "start_to_close_timeout": timedelta(seconds=policy.start_to_close_s),
        "heartbeat_timeout": timedelta(seconds=policy.heartbeat_s) if policy.heartbeat_s else None,
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=policy.initial_interval_s),
            backoff_coefficient=policy.backoff,
            maximum_interval=timedelta(seconds=policy.max_interval_s),
            maximum_attempts=policy.max_attempts,
        ),
    }


@workflow.defn
class ChatStreamingWorkflow:
    def __init__(self) -> None:
        self.status = "started"
        self.chunks: list[dict] = []
        self.total_chunks = 0
        self.cancelled = False

    @workflow.run
    async def run(self, chat: ChatInput) -> dict:
        workflow_id = workflow.info().workflow_id
        settings = chat.settings
        try:
            self.status = "validating"
            await workflow.execute_activity(validate_prompt, chat.prompt, **_options(settings.validate))
            self.status = "generating"
            full_text = await workflow.execute_activity(
                generate_full_text_with_llm,
                GenerateInput(workflow_id, chat.prompt, chat.provider, chat.model, chat.temperature, chat.max_tokens),
                **_options(settings.generate),
            )
            self.status = "saving"
            pieces = split_into_chunks(full_text, settings.chunk_size)
            self.total_chunks = len(pieces)
            for chunk_id, text in enumerate(pieces):
                if self.cancelled:
                    self.status = "cancelled"
                    return self.get_status()
                await workflow.execute_activity(
                    save_chunk_to_storage, SaveChunkInput(workflow_id, chunk_id, text, chat.provider, chat.model), **_options(settings.save_chunk)
                )
                self.chunks.append({"chunk_id": chunk_id, "text": text})
                if settings.chunk_interval_s:
                    await workflow.sleep(settings.chunk_interval_s)
            await workflow.execute_activity(notify_frontend, NotifyInput(workflow_id, self.total_chunks, "completed"), **_options(settings.notify))
        except ActivityError:
            self.status = "failed"
            raise
        self.status = "completed"
        return self.get_status()

    @workflow.query
    def get_status(self) -> dict:
        done = len(self.chunks)
        return {
            "workflow_id": workflow.info().workflow_id,
            "status": self.status,
            "progress": round(100 * done / self.total_chunks) if self.total_chunks else (100 if self.status == "completed" else 0),
            "chunks_count": done,
            "total_chunks": self.total_chunks,
        }

    @workflow.query
    def get_chunks(self) -> list[dict]:
        return self.chunks

    @workflow.signal
    def cancel(self) -> None:
        self.cancelled = True


@workflow.defn
class BatchChatWorkflow:
    """Several chats at once, each its own child ``ChatStreamingWorkflow``."""

    @workflow.run
    async def run(self, batch: BatchInput) -> list[dict]:
        parent = workflow.info().workflow_id
        children = [
            workflow.execute_child_workflow(
                ChatStreamingWorkflow.run,
                chat,
                id=f"{parent}-{i}",
                execution_timeout=timedelta(seconds=chat.settings.execution_timeout_s),
            )
            for i, chat in enumerate(batch.chats)
        ]
        return list(await asyncio.gather(*children))
