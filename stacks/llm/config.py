"""The fake provider's settings: latency knobs and fault rules, validated.

Why one model for both: the same settings come from CLI flags at start-up and from
``POST /admin/config`` at run time (the nemesis uses the latter to start and end an
outage), and both must reject a bad value with a message that names the field.

Every number is finite and bounded (``NaN`` or ``Infinity`` would be a setting no later
``GET /admin/config`` could render, and a delay of an hour per token is a hang: use a
``hang`` fault for that), and every string valid Unicode, for the same reason.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .text import DEFAULT_OUTPUT_TOKENS

ERROR_STATUSES = (429, 500, 503, 529)
MAX_DELAY_MS = 3_600_000.0  # an hour per token
MAX_SECONDS = 86_400.0  # a day: hangs and retry-after
MAX_POLL_S = 60.0  # the longest a long poll of GET /admin/inflight may last
MAX_MIN_INFLIGHT = 1_000_000  # its min_inflight


class FaultRule(BaseModel):
    """One way to fail, and which calls it hits.

    - ``error``: answer HTTP ``status`` (429 with retry-after, 500, 503, or 529
      overloaded; the OpenAI flavour has no 529 and answers 503 "overloaded" instead).
    - ``cut``: stop the stream after ``after_tokens`` tokens, either by dropping the
      connection (``mode: drop``) or with the provider's own mid-stream error event
      (``mode: error``).
    - ``hang``: stop sending after ``after_tokens`` tokens (0: before any header) and hold
      the connection for ``seconds`` (forever if unset) or until the client gives up.

    Which calls: ``calls`` lists call numbers counted from 0 among the calls this rule
    matched since it was installed (a schedule); otherwise each matching call is hit with
    ``probability`` (1 if unset), drawn from a generator seeded by the provider's seed.
    ``flavour`` and ``model`` narrow the calls a rule matches; ``max_fires`` caps it.
    Strict types, as ``ProviderConfig``.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    action: Literal["error", "cut", "hang"]
    status: int | None = None
    probability: float | None = Field(None, ge=0.0, le=1.0)
    calls: list[int] | None = None
    after_tokens: int = Field(0, ge=0)
    mode: Literal["drop", "error"] = "drop"
    seconds: float | None = Field(None, gt=0, le=MAX_SECONDS)
    flavour: Literal["openai", "anthropic"] | None = None
    model: str | None = None
    max_fires: int | None = Field(None, ge=1)

    @field_validator("model")
    @classmethod
    def _valid_unicode(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("holds an unpaired UTF-16 surrogate, which is no Unicode text: give a model name in valid UTF-8") from None
        return value

    @model_validator(mode="after")
    def _check(self) -> "FaultRule":
        if self.action == "error":
            if self.status not in ERROR_STATUSES:
                raise ValueError(f"an error rule needs 'status', one of {list(ERROR_STATUSES)}")
        elif self.status is not None:
            raise ValueError(f"'status' only applies to action 'error', not {self.action!r}")
        if self.calls is not None and self.probability is not None:
            raise ValueError("give either 'calls' (a schedule) or 'probability', not both")
        if self.calls is not None and any(c < 0 for c in self.calls):
            raise ValueError("'calls' are call numbers counted from 0")
        return self


class ProviderConfig(BaseModel):
    """Everything that shapes the fake provider's answers, except the text itself.

    Strict types: ``{"ttft_ms": false}`` is a 422, not a 0 ms delay (pydantic's lax mode
    would turn a boolean into a number; found by the fuzzer)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    ttft_ms: float = Field(200.0, ge=0, le=MAX_DELAY_MS, description="time to first token")
    itl_ms: float = Field(20.0, ge=0, le=MAX_DELAY_MS, description="inter-token latency")
    jitter_ms: float = Field(0.0, ge=0, le=MAX_DELAY_MS, description="each delay +/- up to this, seeded")
    output_tokens: int = Field(DEFAULT_OUTPUT_TOKENS, ge=1, le=1_000_000, description="answer length before max_tokens")
    seed: int = Field(0, description="seeds the text, the jitter and probabilistic faults")
    retry_after_s: float = Field(1.0, ge=0, le=MAX_SECONDS, description="retry-after header of 429 answers")
    faults: list[FaultRule] = Field(default_factory=list)

    def updated(self, changes: dict) -> "ProviderConfig":
        """A copy with ``changes`` applied, fully re-validated (raises pydantic's ValidationError)."""
        return ProviderConfig.model_validate({**self.model_dump(), **changes})


def describe_validation_error(exc: Exception) -> str:
    """One line per bad field, e.g. ``faults.0.status: an error rule needs 'status' ...``."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    lines = []
    for err in errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "config"
        lines.append(f"{where}: {err.get('msg', 'invalid').removeprefix('Value error, ')}")
    return "; ".join(lines)
