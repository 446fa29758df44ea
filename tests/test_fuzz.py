"""Schema-driven fuzzing of every HTTP API: each stack's backend and the fake provider.

Schemathesis reads each service's own OpenAPI document and generates requests from it,
valid ones and invalid ones, against the real deployed services. For every operation:
no 5xx, no hang (each request has a client timeout), and every answer conforms to the
document (status documented, content type, body schema; invalid data refused with a
4xx, valid data not refused). Bounded and reproducible: a fixed number of examples per
operation, derandomized (the same requests every run), no example database, no shrinking
(a failure prints the request that failed, as a curl command).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import schemathesis
from stacks.spec import known_stacks

from conftest import FakeProvider
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

EXAMPLES = 25  # per operation and per mode (valid, invalid): at most 25 x 2 x 28 operations, some 1,400 requests
REQUEST_TIMEOUT_S = 20.0  # a hang is a failure; generous for a loaded 2-core machine
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def takes_input(operation) -> bool:
    """Whether the operation has anything to send wrong (no parameters, no body: no invalid request)."""
    return any(
        len(part) for part in (operation.path_parameters, operation.query, operation.headers, operation.cookies, operation.body)
    )


def fuzz(
    base_url: str,
    subtests,
    config: dict | None = None,
    fixed_query: dict[str, dict] | None = None,
    after_each: Callable[[schemathesis.Case], None] | None = None,
) -> int:
    """Fuzz every operation of the API at ``base_url``, one subtest per operation and mode;
    returns the number of operations. ``config``: schemathesis settings (per-operation
    checks); ``fixed_query``: query parameters set, not generated, per operation label."""
    schema = schemathesis.openapi.from_url(
        base_url + "/openapi.json", config=schemathesis.Config.from_dict(config or {}), timeout=REQUEST_TIMEOUT_S
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{base_url}/openapi.json describes no operation"
    for operation in operations:
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input(operation) else [])
        for mode in modes:
            with subtests.test(msg=f"{operation.label} ({mode.value})"):

                @FUZZ
                @given(case=operation.as_strategy(mode, query=(fixed_query or {}).get(operation.label)))
                def check(case: schemathesis.Case) -> None:
                    try:
                        case.call_and_validate(base_url=base_url, timeout=REQUEST_TIMEOUT_S)
                    finally:
                        if after_each is not None:
                            after_each(case)

                check()
    return len(operations)


@pytest.mark.parametrize("stack_name", known_stacks())
def test_fuzzing_a_backend_finds_no_5xx_no_hang_and_no_schema_violation(deploy, stack_name, subtests):
    stack = deploy(stack_name)
    config = {  # /health answers 503 by design while a server it needs is slow or down (documented)
        "operations": [{"include-name": "GET /health", "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "503"]}}}]
    }
    assert fuzz(stack.url("backend"), subtests, config) >= 5


def test_fuzzing_the_provider_finds_no_5xx_no_hang_and_no_schema_violation(provider: FakeProvider, subtests):
    def undo_settings(case: schemathesis.Case) -> None:
        """A fuzzed setting (an hour per token, a hang fault) must not reach the next request."""
        if case.operation.path == "/admin/config" and case.method.upper() == "POST":
            provider.reset()

    config = {  # the settings' cross-field rules (an error rule needs a status, ...) are not in the
        # JSON Schema, so a schema-valid body may be a 400 naming the rule: still checked for no 5xx
        "operations": [{"include-name": "POST /admin/config", "checks": {"positive_data_acceptance": {"enabled": False}}}]
    }
    long_poll = {"GET /admin/inflight": {"timeout_s": 0.2}}  # a long poll may last 60 s by design
    assert fuzz(provider.url, subtests, config, long_poll, undo_settings) >= 10
    assert httpx.get(provider.url + "/admin/ledger", timeout=REQUEST_TIMEOUT_S).status_code == 200, "the ledger still renders"
