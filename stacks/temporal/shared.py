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

The prompt's size is bounded (``prompt_too_large``) because it travels in Temporal payloads
(the workflow input, then the inputs of ``validate_prompt`` and of the LLM call), and
Temporal warns at 256 KB per payload and fails at 2 MB (the gRPC limit is 4 MB): a prompt
of at most 100,000 characters and 128 KiB once encoded keeps every payload well below the
warning. The backend refuses a larger one with a 413 before starting anything, and
``validate_prompt`` applies the same rule to workflows started otherwise. A batch's
prompts travel together in its one input payload: at most 512 KiB in all (above the
warning, which is only logged, and well below the 2 MB failure).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

TASK_QUEUE = "chat-queue"
CHUNK_SIZE = 50
MAX_PROMPT_CHARS = 100_000
MAX_PROMPT_PAYLOAD_BYTES = 128 * 1024  # the prompt as Temporal's JSON converter encodes it (non-ASCII escaped)
MAX_BATCH_PAYLOAD_BYTES = 512 * 1024  # every prompt of a batch together: they travel in one payload


def payload_bytes(prompt: str) -> int:
    """The prompt's size in a Temporal payload: the JSON converter escapes non-ASCII
    (``json.dumps`` default), so "é" takes 6 bytes and an emoji 12."""
    return len(json.dumps(prompt))


def prompt_too_large(prompt: str) -> str | None:
    """Why the prompt is too large for this stack (a message with the limits), or None."""
    size = payload_bytes(prompt)
    if len(prompt) <= MAX_PROMPT_CHARS and size <= MAX_PROMPT_PAYLOAD_BYTES:
        return None
    return (
        f"the prompt is {len(prompt):,} characters ({size:,} bytes as a Temporal payload); this stack accepts at most "
        f"{MAX_PROMPT_CHARS:,} characters and {MAX_PROMPT_PAYLOAD_BYTES:,} bytes (Temporal warns at 256 KB per payload "
        "and fails at 2 MB): shorten the prompt"
    )


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
