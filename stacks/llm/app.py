"""The fake provider's HTTP application: the two chat APIs and the admin API.

Routes:
- ``POST /v1/chat/completions`` (OpenAI) and ``POST /v1/messages`` (Anthropic);
- ``GET /v1/models``; ``GET /health``; ``GET /openapi.json`` (this API described, see
  ``openapi.py``);
- ``GET /admin/config``, ``POST /admin/config`` (partial update), ``POST /admin/reset``;
- ``GET /admin/ledger?since=N&stack=S&task=T``; ``GET /admin/inflight`` (optionally a long
  poll until the median call in flight reaches a share of its tokens);
  ``POST /admin/cut-inflight`` (an outage reaching the calls already running).

The caller is identified by the ``X-LLMChaos-Stack`` and ``X-LLMChaos-Task`` headers,
which ``stacks.common.llm_clients`` sends on every call.

Bad input is a 400 that says what is expected, never a 500: a body that is no JSON (or
nested too deep to parse), text that is no Unicode, parameters out of their range.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import wire_anthropic, wire_openai
from .config import MAX_MIN_INFLIGHT, MAX_POLL_S, ProviderConfig, describe_validation_error
from .faults import FaultInjector
from .generation import Generation
from .ledger import Ledger
from .openapi import openapi_document
from .prices import models
from .schedule import token_offsets
from .text import expected_tokens, planned_token_count, text_sha256
from .wire import Flavour, WireError, brief

STACK_HEADER = "x-llmchaos-stack"
TASK_HEADER = "x-llmchaos-task"
DISCONNECT_CHECK_S = 0.1  # how often a long poll looks whether its client is still there
_NOT_JSON = object()


async def _json_body(request: Request) -> Any:
    """The parsed JSON body, or ``_NOT_JSON`` (not JSON, not UTF-8, or nested too deep)."""
    try:
        return await request.json()
    except (ValueError, RecursionError):
        return _NOT_JSON


class Provider:
    """The provider's mutable state: the settings in force, their fault counters, the ledger."""

    def __init__(self, config: ProviderConfig, ledger: Ledger) -> None:
        self.initial = config
        self.ledger = ledger
        self.configure(config)

    def configure(self, config: ProviderConfig) -> None:
        """Install new settings; fault rules start counting calls afresh."""
        self.config = config
        self.injector = FaultInjector(config.faults, config.seed)

    def describe(self) -> dict[str, Any]:
        return {**self.config.model_dump(), "faults_fired": self.injector.fired_counts()}


def _error_response(err: WireError) -> Response:
    return JSONResponse(err.body, status_code=err.status, headers=err.headers)


async def _chat(request: Request, flavour: Flavour) -> Response:
    arrived = time.time(), time.monotonic()  # the call's clock starts when the request arrives
    provider: Provider = request.app.state.provider
    ledger = provider.ledger
    stack = request.headers.get(STACK_HEADER)
    task_id = request.headers.get(TASK_HEADER)
    body = await _json_body(request)
    if body is _NOT_JSON:
        body = None
    try:
        req = flavour.parse(body)
        if req.model not in models(flavour.name):
            raise flavour.error(404, model=req.model)
    except WireError as err:
        model = body.get("model") if isinstance(body, dict) and isinstance(body.get("model"), str) else ""
        stream = bool(body.get("stream")) if isinstance(body, dict) else False
        call = ledger.open_call(flavour.name, model, stream, stack, task_id)
        ledger.close_call(call, "rejected", err.status, 0)
        return _error_response(err)

    config = provider.config
    seed = config.seed if req.seed is None else req.seed
    tokens = expected_tokens(req.prompt, req.model, seed, req.max_tokens, config.output_tokens)
    call = ledger.open_call(flavour.name, req.model, req.stream, stack, task_id)
    call.start, call.start_mono = arrived
    call.prompt_tokens = req.prompt_tokens
    call.planned_tokens = len(tokens)
    call.text_sha256 = text_sha256("".join(tokens))
    call.seed = seed
    call.max_tokens = req.max_tokens
    call.offsets = token_offsets(len(tokens), config.ttft_ms, config.itl_ms, config.jitter_ms, (seed, req.model, req.prompt))

    fault = provider.injector.decide(flavour.name, req.model)
    if fault is not None and fault.action == "error":
        err = flavour.error(fault.status, model=req.model, retry_after_s=config.retry_after_s)
        ledger.close_call(call, "fault", err.status, 0, fault=f"http_{fault.status}")
        return _error_response(err)
    truncated = len(tokens) < planned_token_count(None, config.output_tokens)
    return Generation(flavour, req, call, tokens, truncated, fault, ledger)


async def chat_completions(request: Request) -> Response:
    return await _chat(request, wire_openai)


async def messages(request: Request) -> Response:
    return await _chat(request, wire_anthropic)


async def list_models(request: Request) -> Response:
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "llmchaos"} for m in models()]
    return JSONResponse({"object": "list", "data": data})


async def health(request: Request) -> Response:
    """``long_polls``: ``GET /admin/inflight`` long polls still running (each ends by its
    timeout, its condition, or its client leaving)."""
    state = request.app.state
    return JSONResponse({"status": "ok", "service": "llm", "inflight": len(state.provider.ledger.inflight()), "long_polls": state.long_polls})


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def get_config(request: Request) -> Response:
    return JSONResponse(request.app.state.provider.describe())


async def post_config(request: Request) -> Response:
    provider: Provider = request.app.state.provider
    changes = await _json_body(request)
    if not isinstance(changes, dict):
        return JSONResponse({"error": "the body must be a JSON object of settings to change"}, status_code=400)
    try:
        provider.configure(provider.config.updated(changes))
    except ValidationError as exc:
        return JSONResponse({"error": describe_validation_error(exc)}, status_code=400)
    return JSONResponse(provider.describe())


async def reset(request: Request) -> Response:
    provider: Provider = request.app.state.provider
    provider.configure(provider.initial)
    return JSONResponse(provider.describe())


class BadParam(ValueError):
    """A query parameter out of its type or range; the message says what is expected."""


def _number_param(request: Request, name: str, default: float, low: float, high: float, kind: type = float) -> Any:
    """A numeric query parameter of type ``kind`` within [low, high], else ``BadParam``
    (NaN, which compares false with everything, is refused too)."""
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = math.nan
    if not low <= number <= high:
        what, shown = ("an integer", str) if kind is int else ("a number", "{:g}".format)
        raise BadParam(f"{name} must be {what} from {shown(low)} to {shown(high)}, got {brief(value)}")
    return number


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    return _number_param(request, name, default, low, high, int)


def _float_param(request: Request, name: str, default: float, low: float, high: float) -> float:
    return _number_param(request, name, default, low, high, float)


async def get_ledger(request: Request) -> Response:
    ledger: Ledger = request.app.state.provider.ledger
    try:
        since = _int_param(request, "since", 0, 0, 2**63 - 1)
    except BadParam as exc:
        return JSONResponse({"error": f"{exc} (a row index)"}, status_code=400)
    rows = ledger.rows(since, request.query_params.get("stack"), request.query_params.get("task"))
    return JSONResponse({"rows": rows, "next": len(ledger)})


async def cut_inflight(request: Request) -> Response:
    """Cut every call in flight now (``{"mode": "drop"|"error", "stack": optional}``, or no
    body: drop them all): an outage reaches the streams already running, not only the calls
    that start during it."""
    body = await _json_body(request) if await request.body() else {}
    if not isinstance(body, dict):
        return JSONResponse({"error": 'the body, if any, must be a JSON object: {"mode": "drop"|"error", "stack": optional}'}, status_code=400)
    mode = body.get("mode", "drop")
    if mode not in ("drop", "error"):
        return JSONResponse({"error": "mode: expected 'drop' or 'error'"}, status_code=400)
    stack = body.get("stack")
    if stack is not None and not isinstance(stack, str):
        return JSONResponse({"error": "stack: expected a stack name (a string), or nothing for every stack"}, status_code=400)
    cut = request.app.state.provider.ledger.cut_inflight(mode, stack)
    return JSONResponse({"cut": cut})


async def get_inflight(request: Request) -> Response:
    """The calls in flight. With ``until_progress=P`` (and ``min_inflight=N``, ``timeout_s=T``),
    a long poll: answers as soon as at least N calls are in flight and their median has
    produced P of its planned tokens (``"reached": true``), or after T seconds.

    Why in the provider: it sees every token as it leaves, so the condition is checked
    every 2 ms on its own clock; polling over HTTP from outside would add a poll interval
    of lag and make the fault's firing point depend on the machine's load.

    Bounds: P from 0 to 1, N from 1 to 1,000,000, T from 0 to 60 s (finite: a NaN
    deadline is never reached). A poll whose client has gone stops within 0.1 s instead
    of spinning to its deadline.
    """
    ledger: Ledger = request.app.state.provider.ledger
    try:
        wanted = _float_param(request, "until_progress", 0.0, 0.0, 1.0)
        least = _int_param(request, "min_inflight", 1, 1, MAX_MIN_INFLIGHT)
        timeout = _float_param(request, "timeout_s", 1.0, 0.0, MAX_POLL_S)
    except BadParam as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    if "until_progress" not in request.query_params:
        return JSONResponse({"calls": ledger.inflight()})
    state = request.app.state
    state.long_polls += 1
    try:
        now = time.monotonic()
        deadline, look_again = now + timeout, now + DISCONNECT_CHECK_S
        while True:
            calls = ledger.inflight()
            if len(calls) >= least and statistics.median(c["progress"] for c in calls) >= wanted:
                return JSONResponse({"calls": calls, "reached": True})
            now = time.monotonic()
            if now >= deadline:
                return JSONResponse({"calls": calls, "reached": False})
            if now >= look_again:
                if await request.is_disconnected():
                    return Response(status_code=499)  # nobody to read it: the client left
                look_again = now + DISCONNECT_CHECK_S
            await asyncio.sleep(0.002)
    finally:
        state.long_polls -= 1


def create_app(config: ProviderConfig | None = None, ledger: Ledger | None = None) -> Starlette:
    """The ASGI app; serve it with ``stacks.llm.server.serve`` or any ASGI server."""
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/admin/config", get_config, methods=["GET"]),
            Route("/admin/config", post_config, methods=["POST"]),
            Route("/admin/reset", reset, methods=["POST"]),
            Route("/admin/ledger", get_ledger, methods=["GET"]),
            Route("/admin/inflight", get_inflight, methods=["GET"]),
            Route("/admin/cut-inflight", cut_inflight, methods=["POST"]),
        ]
    )
    app.state.provider = Provider(config or ProviderConfig(), ledger if ledger is not None else Ledger())
    app.state.long_polls = 0
    return app
