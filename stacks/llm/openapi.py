"""The fake provider's API described as OpenAPI 3.1, served at ``GET /openapi.json``.

Why by hand: the app is plain Starlette (its chat routes are hand-written ASGI, see
``generation.py``), so nothing derives a description from it. This one is what clients,
and the schema-driven fuzzer of the test suite, need: every route, its parameters and
their bounds, the statuses it answers. The chat bodies describe the subset of the OpenAI
and Anthropic APIs this provider reads (others are accepted and ignored); the settings
come from ``ProviderConfig`` itself, so they cannot drift.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .config import MAX_MIN_INFLIGHT, MAX_POLL_S, ProviderConfig

_JSON = "application/json"


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": {"type": "object"}}}}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema or {"type": "object"}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_TEXT_PART = {
    "type": "object",
    "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
    "required": ["type", "text"],
}
_CONTENT = {"anyOf": [{"type": "string"}, {"type": "array", "items": _TEXT_PART}]}
_CHAT_ANSWERS = {
    "200": {
        "description": "The answer: one JSON object, or server-sent events when `stream` is true.",
        "content": {_JSON: {"schema": {"type": "object"}}, "text/event-stream": {"schema": {"type": "string"}}},
    },
    "400": _error("The request is malformed; the message names the field."),
    "404": _error("No such model."),
    "429": _error("Rate limited (an injected fault)."),
    "500": _error("An injected fault."),
    "503": _error("Overloaded (an injected fault)."),
    "529": _error("Overloaded (an injected fault, Anthropic)."),
}
_CALL_HEADERS = [
    {
        "name": "X-LLMChaos-Stack",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "Who calls, for the ledger.",
    },
    {
        "name": "X-LLMChaos-Task",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "The caller's task id, for the ledger.",
    },
]


def _openai_body() -> dict[str, Any]:
    message = {"type": "object", "properties": {"role": {"type": "string"}, "content": _CONTENT}, "required": ["role", "content"]}
    return {
        "type": "object",
        "properties": {
            "model": {"type": "string", "minLength": 1},
            "messages": {"type": "array", "items": message, "minItems": 1},
            "max_tokens": {"type": "integer", "minimum": 1},
            "max_completion_tokens": {"type": "integer", "minimum": 1},
            "stream": {"type": "boolean"},
            "seed": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        },
        "required": ["model", "messages"],
    }


def _anthropic_body() -> dict[str, Any]:
    message = {
        "type": "object",
        "properties": {"role": {"enum": ["user", "assistant"]}, "content": _CONTENT},
        "required": ["role", "content"],
    }
    return {
        "type": "object",
        "properties": {
            "model": {"type": "string", "minLength": 1},
            "messages": {"type": "array", "items": message, "minItems": 1},
            "max_tokens": {"type": "integer", "minimum": 1},
            "system": _CONTENT,
            "stream": {"type": "boolean"},
        },
        "required": ["model", "messages", "max_tokens"],
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    config_schema = ProviderConfig.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = config_schema.pop("$defs", {})
    schemas["ProviderConfig"] = config_schema
    config_ref = {"$ref": "#/components/schemas/ProviderConfig"}
    bad_request = _error("A parameter or the body is out of range; `error` says what is expected.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "llmchaos fake LLM provider",
            "version": "1.0.0",
            "description": "OpenAI chat completions and Anthropic messages on the wire, deterministic, with a cost ledger and an admin API.",
        },
        "paths": {
            "/v1/chat/completions": {
                "post": {
                    "summary": "OpenAI chat completion",
                    "parameters": _CALL_HEADERS,
                    "requestBody": {"required": True, "content": {_JSON: {"schema": _openai_body()}}},
                    "responses": _CHAT_ANSWERS,
                }
            },
            "/v1/messages": {
                "post": {
                    "summary": "Anthropic message",
                    "parameters": _CALL_HEADERS,
                    "requestBody": {"required": True, "content": {_JSON: {"schema": _anthropic_body()}}},
                    "responses": _CHAT_ANSWERS,
                }
            },
            "/v1/models": {"get": {"summary": "The models this provider knows", "responses": {"200": _json("The models.")}}},
            "/health": {
                "get": {"summary": "Liveness, the calls in flight and the long polls running", "responses": {"200": _json("Up.")}}
            },
            "/admin/config": {
                "get": {
                    "summary": "The settings in force",
                    "responses": {"200": _json("The settings and how often each fault fired.")},
                },
                "post": {
                    "summary": "Change some settings (the others are kept)",
                    "requestBody": {"required": True, "content": {_JSON: {"schema": config_ref}}},
                    "responses": {"200": _json("The settings now in force."), "400": bad_request},
                },
            },
            "/admin/reset": {
                "post": {"summary": "Back to the start-up settings", "responses": {"200": _json("The settings now in force.")}}
            },
            "/admin/ledger": {
                "get": {
                    "summary": "The ledger's rows, optionally from a row index and for one stack or task",
                    "parameters": [
                        _query("since", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, "First row index to return."),
                        _query("stack", {"type": "string"}, "Only this caller's rows."),
                        _query("task", {"type": "string"}, "Only this task's rows."),
                    ],
                    "responses": {"200": _json("`rows`, and `next`: the index to ask from next time."), "400": bad_request},
                }
            },
            "/admin/inflight": {
                "get": {
                    "summary": "The calls in flight; with until_progress, a long poll",
                    "parameters": [
                        _query(
                            "until_progress",
                            {"type": "number", "minimum": 0, "maximum": 1},
                            "Answer once the median call in flight has sent this share of its tokens.",
                        ),
                        _query(
                            "min_inflight",
                            {"type": "integer", "minimum": 1, "maximum": MAX_MIN_INFLIGHT},
                            "...and at least this many calls are in flight.",
                        ),
                        _query(
                            "timeout_s",
                            {"type": "number", "minimum": 0, "maximum": MAX_POLL_S},
                            "Answer after this many seconds at the latest.",
                        ),
                    ],
                    "responses": {"200": _json("`calls`, and `reached` for a long poll."), "400": bad_request},
                }
            },
            "/admin/cut-inflight": {
                "post": {
                    "summary": "Cut every call in flight now (an outage reaching running streams)",
                    "requestBody": {
                        "required": False,
                        "content": {
                            _JSON: {
                                "schema": {
                                    "type": "object",
                                    "properties": {"mode": {"enum": ["drop", "error"]}, "stack": {"type": ["string", "null"]}},
                                }
                            }
                        },
                    },
                    "responses": {"200": _json("`cut`: the ids of the calls cut."), "400": bad_request},
                }
            },
        },
        "components": {"schemas": schemas},
    }
