"""What every stack's FastAPI backend shares: bounded ids and offsets, errors that render.

Why bounds on ids and offsets: they reach a file name (the MVP's ``{task_id}_state.json``:
a 300-character id is ENAMETOOLONG, a NUL byte an invalid path), a PostgreSQL parameter
(``chunk_id`` is an ``INTEGER``: 2**31 overflows; ``text`` refuses NUL) or a Temporal
workflow id. Checked at the door, a bad one is a 422 that says what is expected, never a
500 from deep below.

Why a handler of our own for validation errors: FastAPI's echoes each bad value
(``"input"``) in its 422 body, and when that value is ``NaN``, ``Infinity`` or a string
with a lone surrogate, the JSON encoder refuses to render it and the client gets a 500
instead. ``json_safe`` turns such values into text (and shortens long ones: a 10 MB
prompt need not come back) so the 422 always renders.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

MAX_ID_LENGTH = 128  # ids handed out are 36 to ~45 characters (uuid4, "chat-<uuid>", "batch-<uuid>-N")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # no "/", NUL, spaces or leading "." anywhere near a file name
MAX_FROM_ID = 2**31 - 1  # chunk ids are PostgreSQL INTEGERs in the Redis stack; the same bound everywhere
ECHO_LIMIT = 200  # characters of a refused value echoed back in a 422
ECHO_DEPTH = 8  # levels of a refused JSON value echoed back (JSON parses ~1000, more than Python recursion allows here)

TaskId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        description=f"An id this API returned: 1 to {MAX_ID_LENGTH} letters, digits, '-', '_' or '.', starting with a letter or digit.",
    ),
]
FromId = Annotated[
    int,
    Query(ge=0, le=MAX_FROM_ID, description=f"Return chunks whose chunk_id is at least this (0 to {MAX_FROM_ID})."),
]


class Problem(BaseModel):
    """An error answer: ``detail`` says what went wrong and what to do."""

    model_config = ConfigDict(extra="allow")

    detail: Any


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer, so clients (and the
    schema-driven fuzzer) know them."""
    described = {
        400: "The body could not be read as JSON (not UTF-8?).",
        404: "No such task or workflow.",
        413: "The request is larger than this stack accepts; the detail gives the limit.",
        503: "A server this backend needs is down; the detail names it. Retry later.",
    }
    return {status: {"model": Problem, "description": described[status]} for status in statuses}


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` with every float finite, every string encodable as UTF-8 and short, every
    exception its message, and no deeper than ``ECHO_DEPTH``."""
    if depth > ECHO_DEPTH:
        return "..."
    if isinstance(value, BaseException):
        return json_safe(str(value), depth)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf", "-inf"
    if isinstance(value, str):
        safe = value.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone "\ud800" becomes the 6 characters \ud800
        if len(safe) > ECHO_LIMIT:
            safe = f"{safe[:ECHO_LIMIT]}... ({len(value)} characters)"
        return safe
    if isinstance(value, dict):
        return {json_safe(k, depth + 1): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    return value


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 body, made renderable whatever the refused input was."""
    return JSONResponse({"detail": jsonable_encoder(json_safe(exc.errors()))}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
