"""Inputs of the streaming workflow, and the timeouts and retries that decide its recovery.

The policies travel in the workflow input (read by the backend from the environment when
it starts a workflow), so a workflow replays with the values it started with and the
matrix can vary them:

| variable | default | what it bounds |
|---|---|---|
| STREAMS_EXECUTION_TIMEOUT_S | 600 | the whole workflow (the seeds' 10 minutes) |
| STREAMS_STREAM_TIMEOUT_S | 300 | one streaming attempt, first token to last chunk written |
| STREAMS_HEARTBEAT_S | 10 | a worker that died mid-stream is noticed after this, and the stream retried |
| STREAMS_MAX_ATTEMPTS | 5 | attempts of the streaming activity (0: unlimited) |
| STREAMS_RETRY_INITIAL_S, _BACKOFF, _MAX_INTERVAL_S | 1, 2.0, 30 | the back-off between attempts |

Why a heartbeat: the activity streams for as long as the answer takes (5 minutes in the
seed profile); without one, a worker crash would be noticed only at the start-to-close
timeout. The seeds' design has none, and waits its 300 s.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

TASK_QUEUE = "stream-queue"


@dataclass
class StreamPolicy:
    start_to_close_s: float = 300.0
    heartbeat_s: float = 10.0
    max_attempts: int = 5  # 0: unlimited
    initial_interval_s: float = 1.0
    backoff: float = 2.0
    max_interval_s: float = 30.0
    execution_timeout_s: float = 600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StreamPolicy:
        def number(name: str, default: float) -> float:
            return float(env.get(f"STREAMS_{name}", default))

        return cls(
            start_to_close_s=number("STREAM_TIMEOUT_S", 300),
            heartbeat_s=number("HEARTBEAT_S", 10),
            max_attempts=int(number("MAX_ATTEMPTS", 5)),
            initial_interval_s=number("RETRY_INITIAL_S", 1.0),
            backoff=number("RETRY_BACKOFF", 2.0),
            max_interval_s=number("RETRY_MAX_INTERVAL_S", 30.0),
            execution_timeout_s=number("EXECUTION_TIMEOUT_S", 600),
        )


@dataclass
class StreamInput:
    task_id: str
    prompt: str
    provider: str
    model: str
    temperature: float
    max_tokens: int | None
    policy: StreamPolicy


@dataclass
class FailInput:
    task_id: str
    error: str
