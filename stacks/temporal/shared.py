"""Inputs of the Temporal stack's workflows and activities, and their timeouts and retries.

Why the policies travel in the workflow input: they decide how long recovery takes (an
activity whose worker died is retried only after its start-to-close or heartbeat timeout),
so the matrix must be able to vary them, and a workflow must replay with the values it
started with. The backend reads them from the environment when it starts a workflow:

| variable | default | what it bounds |
|---|---|---|
| TEMPORAL_EXECUTION_TIMEOUT_S | 600 | the whole workflow (the seeds' 10 minutes) |
| TEMPORAL_VALIDATE_TIMEOUT_S | 10 | one ``validate_prompt`` attempt |
| TEMPORAL_GENERATE_TIMEOUT_S | 300 | one LLM call; after a worker crash, the wait before the retry |
| TEMPORAL_GENERATE_HEARTBEAT_S | 0 (none, as the seeds) | if set, a crash is noticed after this instead |
| TEMPORAL_SAVE_TIMEOUT_S | 10 | one chunk write |
| TEMPORAL_NOTIFY_TIMEOUT_S | 10 | the final notification |
| TEMPORAL_MAX_ATTEMPTS | 5 | attempts per activity (0: unlimited) |
| TEMPORAL_RETRY_INITIAL_S, _BACKOFF, _MAX_INTERVAL_S | 1, 2.0, 30 | the back-off between attempts |
| TEMPORAL_CHUNK_INTERVAL_S | 0 | a durable timer between chunk saves (paces delivery like the seeds' 100 chunks in 5 minutes) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

TASK_QUEUE = "chat-queue"
CHUNK_SIZE = 50


@dataclass
class ActivityPolicy:
    start_to_close_s: float
    heartbeat_s: float = 0.0  # 0: no heartbeat timeout
    max_attempts: int = 5  # 0: unlimited
    initial_interval_s: float = 1.0
    backoff: float = 2.0
    max_interval_s: float = 30.0


@dataclass
class WorkflowSettings:
    validate: ActivityPolicy
    generate: ActivityPolicy
    save_chunk: ActivityPolicy
    notify: ActivityPolicy
    execution_timeout_s: float = 600.0
    chunk_interval_s: float = 0.0
    chunk_size: int = CHUNK_SIZE

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "WorkflowSettings":
        def number(name: str, default: float) -> float:
            return float(env.get(name, default))

        def policy(prefix: str, timeout: float, heartbeat: float = 0.0) -> ActivityPolicy:
            return ActivityPolicy(
                start_to_close_s=number(f"TEMPORAL_{prefix}_TIMEOUT_S", timeout),
                heartbeat_s=number(f"TEMPORAL_{prefix}_HEARTBEAT_S", heartbeat),
                max_attempts=int(number("TEMPORAL_MAX_ATTEMPTS", 5)),
                initial_interval_s=number("TEMPORAL_RETRY_INITIAL_S", 1.0),
                backoff=number("TEMPORAL_RETRY_BACKOFF", 2.0),
                max_interval_s=number("TEMPORAL_RETRY_MAX_INTERVAL_S", 30.0),
            )

        return cls(
            validate=policy("VALIDATE", 10),
            generate=policy("GENERATE", 300),
            save_chunk=policy("SAVE", 10),
            notify=policy("NOTIFY", 10),
            execution_timeout_s=number("TEMPORAL_EXECUTION_TIMEOUT_S", 600),
            chunk_interval_s=number("TEMPORAL_CHUNK_INTERVAL_S", 0),
        )


@dataclass
class ChatInput:
    prompt: str
    provider: str
    model: str
    temperature: float
    max_tokens: int | None
    settings: WorkflowSettings


@dataclass
class BatchInput:
    chats: list[ChatInput] = field(default_factory=list)


@dataclass
class GenerateInput:
    workflow_id: str
    prompt: str
    provider: str
    model: str
    temperature: float
    max_tokens: int | None


@dataclass
class SaveChunkInput:
    workflow_id: str
    chunk_id: int
    text: str
    provider: str
    model: str


@dataclass
class NotifyInput:
    workflow_id: str
    total_chunks: int
    status: str
