"""The Temporal worker: polls ``chat-queue``, at most 10 activities at once (the seeds' limit).

Waiting for the server, the health check and the graceful stop are
``stacks.common.temporal_worker``'s. Environment: that module's, ``STORAGE_DIR``, and the
provider settings of ``stacks.common.llm_clients``.
"""

from __future__ import annotations

import asyncio

from stacks.common.temporal_worker import run_worker

from .activities import generate_full_text_with_llm, notify_frontend, save_chunk_to_storage, validate_prompt
from .shared import TASK_QUEUE
from .workflows import BatchChatWorkflow, ChatStreamingWorkflow

if __name__ == "__main__":
    asyncio.run(
        run_worker(
            TASK_QUEUE,
            [ChatStreamingWorkflow, BatchChatWorkflow],
            [validate_prompt, generate_full_text_with_llm, save_chunk_to_storage, notify_frontend],
            max_concurrent_activities=10,
        )
    )
