"""The worker: polls ``stream-queue``. Streaming activities spend their time waiting on the
network, so it runs as many at once as the Temporal SDK does by default (100).

Waiting for the server, the health check and the graceful stop are
``stacks.common.temporal_worker``'s. Environment: that module's, ``DATABASE_URL``, and the
provider settings of ``stacks.common.llm_clients``.
"""

from __future__ import annotations

import asyncio

from stacks.common.temporal_worker import run_worker

from .activities import mark_failed, stream_answer
from .shared import TASK_QUEUE
from .workflows import StreamingChatWorkflow

if __name__ == "__main__":
    asyncio.run(run_worker(TASK_QUEUE, [StreamingChatWorkflow], [stream_answer, mark_failed], max_concurrent_activities=100))
