"""``StreamingChatWorkflow``: one streaming activity that writes the answer into the chunk log.

Unlike the seeds' workflow, the answer never travels through Temporal: the activity
appends it to PostgreSQL as it streams, and readers read PostgreSQL. The workflow only
decides retries (a heartbeat timeout notices a dead worker in seconds) and, when every
attempt failed, tells readers so.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from .activities import mark_failed, stream_answer
    from .shared import FailInput, StreamInput


@workflow.defn
class StreamingChatWorkflow:
    @workflow.run
    async def run(self, chat: StreamInput) -> dict:
        policy = chat.policy
        try:
            return await workflow.execute_activity(
                stream_answer,
                chat,
                start_to_close_timeout=timedelta(seconds=policy.start_to_close_s),
                heartbeat_timeout=timedelta(seconds=policy.heartbeat_s) if policy.heartbeat_s else None,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=policy.initial_interval_s),
                    backoff_coefficient=policy.backoff,
                    maximum_interval=timedelta(seconds=policy.max_interval_s),
                    maximum_attempts=policy.max_attempts,
                ),
            )
        except ActivityError as exc:
            await workflow.execute_activity(
                mark_failed,
                FailInput(chat.task_id, str(exc.cause or exc)),
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=5)),  # until PostgreSQL answers
            )
            raise
