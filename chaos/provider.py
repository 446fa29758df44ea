"""The fake provider's admin API, as the harness uses it: one client, one place.

The nemesis reads progress from it (to fire "partway through a generation") and turns
outages on and off; the orchestrator skips the warm-up's calls, waits for the calls in
flight to end, and collects the ledger. Always 127.0.0.1: the provider runs beside the
stack.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from llmchaos.runtime import Runtime


class ProviderAdmin:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    @classmethod
    def of(cls, runtime: Runtime, timeout: float = 10.0) -> "ProviderAdmin":
        """The admin client of a deployed stack's provider (its service with role ``llm``)."""
        llm = next(s for s in runtime.services() if runtime.compose.services[s].role == "llm")
        return cls(runtime.url(llm), timeout)

    def close(self) -> None:
        self._http.close()

    def inflight(self) -> list[dict[str, Any]]:
        """Every call in flight with its tokens sent and planned."""
        return self._http.get("/admin/inflight").json()["calls"]

    def wait_progress(self, progress: float, min_inflight: int, timeout_s: float) -> dict[str, Any]:
        """A long poll: answers when the median call in flight reaches ``progress`` (``reached``), or after ``timeout_s``."""
        params = {"until_progress": progress, "min_inflight": min_inflight, "timeout_s": timeout_s}
        return self._http.get("/admin/inflight", params=params, timeout=timeout_s + 10).json()

    def fault_rules(self) -> list[dict[str, Any]]:
        return self._http.get("/admin/config").json()["faults"]

    def set_fault_rules(self, rules: list[dict[str, Any]]) -> None:
        self._http.post("/admin/config", json={"faults": rules}).raise_for_status()

    def cut_inflight(self, mode: str) -> None:
        self._http.post("/admin/cut-inflight", json={"mode": mode}).raise_for_status()

    def ledger_rows(self, since: int = 0) -> tuple[list[dict[str, Any]], int]:
        """The ledger's rows from index ``since`` on, and the index of the next row."""
        answer = self._http.get("/admin/ledger", params={"since": since}, timeout=30).json()
        return answer["rows"], answer["next"]

    def drain(self, timeout: float = 30.0) -> float:
        """Wait until no call is in flight (retries after users gave up still cost money); seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < timeout and self.inflight():
            time.sleep(0.1)
        return round(time.monotonic() - started, 3)
