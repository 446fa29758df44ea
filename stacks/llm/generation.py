"""One provider call, from the first byte to its ledger row: timing, faults and billing.

Why hand-written ASGI instead of a framework's streaming response: we need to know, to the
token, what left the server before the client went away (that is what gets billed), and
to drop a connection mid-body the way a crashed provider does. A watcher task reads
``receive()`` and cancels the call the moment the client disconnects; each token is aimed
at its own deadline (see ``schedule.py``); a ``cut`` raises ``StreamCut`` so the server
closes the socket without finishing the chunked body.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from .config import FaultRule
from .ledger import Call, Ledger
from .wire import ChatRequest, Flavour, compact


class StreamCut(Exception):
    """Raised to make the server drop the connection mid-response (an injected fault)."""


class _CutNow(Exception):
    """``POST /admin/cut-inflight`` reached this call: stop it the way it asked."""


@dataclass
class _Watch:
    client_gone: bool = False
    finished: bool = False


async def _watch_disconnect(receive, task: asyncio.Task, watch: _Watch) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if not watch.finished:
                watch.client_gone = True
                task.cancel("client disconnected")
            return


def _headers(content_type: bytes, call: Call, extra: dict[str, str] | None = None) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", content_type),
        (b"cache-control", b"no-cache"),
        (b"x-llmchaos-call", call.call_id.encode()),
        (b"x-request-id", call.call_id.encode()),
        (b"request-id", call.call_id.encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    return headers


class Generation:
    """The ASGI response for one accepted call (the request already parsed and priced)."""

    def __init__(
        self,
        flavour: Flavour,
        req: ChatRequest,
        call: Call,
        tokens: tuple[str, ...],
        truncated: bool,
        fault: FaultRule | None,
        ledger: Ledger,
    ) -> None:
        self.flavour = flavour
        self.req = req
        self.call = call
        self.tokens = tokens
        self.truncated = truncated
        self.fault = fault  # a cut or a hang; error faults are answered before a Generation exists
        if fault is not None and not req.stream:
            call.offsets = call.offsets[: self._stop_at()]  # progress stops where the fault does
        self.ledger = ledger
        self.fault_name: str | None = None
        self.status: int | None = None  # set when the response starts; 499 if it never did

    async def __call__(self, scope, receive, send) -> None:
        task = asyncio.current_task()
        assert task is not None
        watch = _Watch()
        watcher = asyncio.create_task(_watch_disconnect(receive, task, watch))
        outcome = "fault"
        try:
            if self.req.stream:
                await self._stream(send)
            else:
                await self._respond(send)
            outcome = "fault" if self.fault_name else "completed"
        except asyncio.CancelledError:
            if not watch.client_gone:
                raise
            task.uncancel()
            outcome = "fault" if self.fault_name == "hang" else "client_aborted"
        finally:
            watch.finished = True
            watcher.cancel()
            self.ledger.close_call(self.call, outcome, self.status or 499, self.call.tokens_so_far(), fault=self.fault_name)


    def _stop_at(self) -> int:
        """Index of the token at which an injected cut or hang stops the answer."""
        if self.fault is None:
            return len(self.tokens)
        return min(self.fault.after_tokens, len(self.tokens))

    async def _start(self, send, status: int, content_type: bytes, extra: dict[str, str] | None = None) -> None:
        self.status = status
        await send({"type": "http.response.start", "status": status, "headers": _headers(content_type, self.call, extra)})

    async def _sleep_until(self, offset: float) -> None:
        """Wait for a token's deadline; a cut ordered meanwhile interrupts the wait."""
        while True:
            if self.call.cut_requested:
                raise _CutNow()
            delay = self.call.start_mono + offset - time.monotonic()
            if delay <= 0.1:
                await asyncio.sleep(delay if delay > 0 else 0)
                if self.call.cut_requested:
                    raise _CutNow()
                return
            await asyncio.sleep(0.1)

    async def _hang(self, send) -> None:
        """Stop answering: until the client gives up, or for ``seconds`` and then give up too.

        Giving up is a dropped connection once the response has started, and the
        flavour's HTTP 500 when nothing was sent yet.
        """
        self.fault_name = "hang"
        if self.fault.seconds is None:
            await asyncio.Event().wait()  # until the watcher cancels us: the client gave up
        else:
            await asyncio.sleep(self.fault.seconds)
        if self.status is not None:
            raise StreamCut("hang ended")
        err = self.flavour.error(500, "The provider stopped answering (injected hang).")
        await self._send_json(send, err.status, err.body, err.headers)

    async def _stream(self, send) -> None:
        flavour, call = self.flavour, self.call
        stop_at = self._stop_at()
        if self.fault is not None and self.fault.action == "hang" and stop_at == 0:
            await self._hang(send)
            return
        await self._start(send, 200, b"text/event-stream; charset=utf-8")
        head, state = flavour.stream_head(self.req, flavour.response_id(call.call_id))
        await send({"type": "http.response.body", "body": head, "more_body": True})
        offsets = call.offsets
        try:
            for i in range(stop_at):
                await self._sleep_until(offsets[i])
                await send({"type": "http.response.body", "body": flavour.stream_token(state, self.tokens[i]), "more_body": True})
                call.tokens_sent = i + 1
                if i == 0:
                    call.first_token = time.time()
        except _CutNow:
            await self._cut_now(send)
            return
        if self.fault is None:
            tail = flavour.stream_tail(state, self.req, len(self.tokens), self.truncated)
            await send({"type": "http.response.body", "body": tail, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif self.fault.action == "hang":
            await self._hang(send)
        elif self.fault.mode == "drop":
            self.fault_name = "cut"
            raise StreamCut(f"stream cut after {call.tokens_sent} tokens")
        else:
            self.fault_name = "error_event"
            await send({"type": "http.response.body", "body": flavour.stream_error(), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _respond(self, send) -> None:
        """Non-streaming: as long as the same call streamed, progress visible while it runs."""
        flavour, call = self.flavour, self.call
        stop_at = self._stop_at()
        if stop_at > 0:
            try:
                await self._sleep_until(call.offsets[stop_at - 1])
            except _CutNow:
                await self._cut_now(send)
                return
        call.tokens_sent = stop_at  # generated, not yet sent: billed even if the client leaves now
        if self.fault is None:
            call.first_token = time.time()
            text = "".join(self.tokens)
            payload = flavour.full_response(self.req, flavour.response_id(call.call_id), text, len(self.tokens), self.truncated)
            await self._send_json(send, 200, payload)
        elif self.fault.action == "hang":
            await self._hang(send)
        elif self.fault.mode == "drop":
            # a well-formed start, half of the announced body, then the connection is gone
            self.fault_name = "cut"
            part = b'{"id":"' + flavour.response_id(call.call_id).encode() + b'","partial":'
            await self._start(send, 200, b"application/json", {"content-length": str(len(part) * 2)})
            await send({"type": "http.response.body", "body": part, "more_body": True})
            raise StreamCut("response cut")
        else:
            self.fault_name = "error_event"
            err = flavour.error(flavour.failure_status)
            await self._send_json(send, err.status, err.body, err.headers)

    async def _cut_now(self, send) -> None:
        """An outage reached a call in flight: drop it, or end it with the provider's error."""
        call, flavour = self.call, self.flavour
        if not call.stream:
            call.tokens_sent = self.call.tokens_so_far()
        if call.cut_requested == "drop":
            self.fault_name = "cut"
            if self.status is None:  # nothing sent yet: start a response, so the cut is a cut, not a 500
                await self._start(send, 200, b"application/json", {"content-length": "1000"})
            raise StreamCut("cut by /admin/cut-inflight")
        self.fault_name = "error_event"
        if self.status is None:
            err = flavour.error(flavour.failure_status)
            await self._send_json(send, err.status, err.body, err.headers)
            return
        await send({"type": "http.response.body", "body": flavour.stream_error(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _send_json(self, send, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = compact(payload)
        await self._start(send, status, b"application/json", {**(headers or {}), "content-length": str(len(body))})
        await send({"type": "http.response.body", "body": body, "more_body": False})
