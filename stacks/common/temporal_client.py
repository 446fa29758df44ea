"""The Temporal client of a backend: connected on first use, because the server may start
after the backend (or restart under it); a failed connection is ``Unavailable``, which
the backends answer with a 503 naming Temporal."""

from __future__ import annotations

import asyncio

from temporalio.client import Client


class Unavailable(Exception):
    """A server the backend needs did not answer: a 503, never a 500."""


class LazyClient:
    def __init__(self, address: str, namespace: str) -> None:
        self.address, self.namespace = address, namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await Client.connect(self.address, namespace=self.namespace)
                except Exception as exc:  # any failure to reach the server: refused, DNS, TLS, timeout
                    raise Unavailable(f"temporal unavailable at {self.address}: {exc}") from exc
            return self._client
