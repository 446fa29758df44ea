"""The Redis response cache of the seeds' Redis stack.

Key ``chat:cache:`` + sha256(``prompt:provider:model``), value
``{full_response, provider, model, timestamp}`` as JSON, 3600 s TTL. Redis failures
surface as ``DependencyDown("redis")`` within the client timeouts; the client reconnects
by itself on the next command once the server is back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import redis.asyncio as redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from .db import DependencyDown

CACHE_TTL_S = 3600
KEY_PREFIX = "chat:cache:"


def cache_key(prompt: str, provider: str, model: str) -> str:
    return KEY_PREFIX + hashlib.sha256(f"{prompt}:{provider}:{model}".encode()).hexdigest()


class ResponseCache:
    def __init__(self, url: str, ttl_s: int = CACHE_TTL_S) -> None:
        # one retry, no back-off: a dead Redis is reported in seconds, not retried for minutes
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1))
        self.ttl_s = ttl_s

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, *args: Any) -> Any:
        try:
            return await getattr(self.client, method)(*args)
        except (RedisError, OSError) as exc:
            raise DependencyDown("redis", exc) from exc

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self._call("get", key)
        return None if raw is None else json.loads(raw)

    async def put(self, key: str, full_response: str, provider: str, model: str) -> None:
        value = {"full_response": full_response, "provider": provider, "model": model, "timestamp": datetime.now(timezone.utc).isoformat()}
        await self._call("setex", key, self.ttl_s, json.dumps(value, ensure_ascii=False))

    async def ping(self) -> None:
        await self._call("ping")

    async def entries(self) -> int:
        """How many responses are cached (a scan: fine for a test harness's key counts)."""
        try:
            return len([k async for k in self.client.scan_iter(match=KEY_PREFIX + "*", count=1000)])
        except (RedisError, OSError) as exc:
            raise DependencyDown("redis", exc) from exc
