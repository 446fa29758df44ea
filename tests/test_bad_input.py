"""Bad input to every HTTP API: a 4xx that renders and says what is expected, never a 500
or a hang (issue 13, each case a reproduction a fuzzing tester found).

The stacks are deployed for real on both runtimes; the provider is the real server of the
``provider`` fixture. Every request has a client timeout, so a hang fails the test instead
of stalling the suite.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from stacks.spec import known_stacks

from conftest import deployed, wait_until
from stack_api import client_for, ledger

STACKS = known_stacks()  # every folder of stacks/
TIMEOUT = 30  # seconds: any answer, even on a loaded machine; a hang fails
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module", params=STACKS)
def stack_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def stack(stack_name: str, module_runtime_kind: str):
    """One deployment per stack and runtime for the module's tests that only ask and read."""
    with deployed(stack_name, module_runtime_kind) as runtime:
        yield runtime


def detail_text(response: httpx.Response) -> str:
    """The error answer's body, parsed (it must be JSON) and flattened to search it."""
    return json.dumps(response.json(), ensure_ascii=False)


def test_bad_input_to_a_backend_is_a_4xx_that_renders(stack, subtests):
    base, api = stack.url("backend"), client_for(stack).api
    submit = base + api.submit_path()
    task_id, _ = client_for(stack).submit("a task to read")

    def raw_submit(body: bytes) -> httpx.Response:
        return httpx.post(submit, content=body, headers=JSON, timeout=TIMEOUT)

    cases = {
        # JSON NaN / Infinity: refused, and the 422 that echoes them still renders
        "temperature NaN": (raw_submit(b'{"prompt": "x", "temperature": NaN}'), 422, "finite number"),
        "temperature -Infinity": (raw_submit(b'{"prompt": "x", "temperature": -Infinity}'), 422, "finite number"),
        "max_tokens Infinity": (raw_submit(b'{"prompt": "x", "max_tokens": Infinity}'), 422, "finite number"),
        # a lone surrogate is valid JSON but no Unicode text
        "lone surrogate in the prompt": (raw_submit(b'{"prompt": "\\ud800"}'), 422, "prompt"),
        "lone surrogate in the model": (raw_submit(b'{"prompt": "x", "model": "gpt\\udfff"}'), 422, "model"),
        # PostgreSQL text refuses NUL: refused on every stack alike
        "NUL in the prompt": (httpx.post(submit, json={"prompt": "a\x00b"}, timeout=TIMEOUT), 422, "NUL"),
        # from_id beyond PostgreSQL's INTEGER
        "from_id 2**31": (
            httpx.get(base + api.chunks_path(task_id), params={"from_id": 2**31}, timeout=TIMEOUT),
            422,
            "2147483647",
        ),
        # ids reach file names (ENAMETOOLONG, NUL) and database parameters
        "300-character id (status)": (httpx.get(base + api.status_path("a" * 300), timeout=TIMEOUT), 422, "128"),
        "300-character id (chunks)": (httpx.get(base + api.chunks_path("a" * 300), timeout=TIMEOUT), 422, "128"),
        "id with %00 (status)": (httpx.get(base + api.status_path("ab%00cd"), timeout=TIMEOUT), 422, "pattern"),
        "id with %00 (chunks)": (httpx.get(base + api.chunks_path("ab%00cd"), timeout=TIMEOUT), 422, "pattern"),
    }
    for name, (response, status, words) in cases.items():
        with subtests.test(msg=name):
            assert response.status_code == status, f"{name}: HTTP {response.status_code} {response.text[:300]}"
            assert words in detail_text(response), f"{name}: the message should say {words!r}: {response.text[:300]}"
    with subtests.test(msg="the largest from_id is accepted"):
        assert httpx.get(base + api.chunks_path(task_id), params={"from_id": 2**31 - 1}, timeout=TIMEOUT).json()["chunks"] == []
    with subtests.test(msg="health names its service"):
        health = httpx.get(base + "/health", timeout=TIMEOUT).json()
        assert health["service"] == "backend" and health["status"] == "healthy"


def test_an_unknown_model_fails_the_task_after_one_provider_call(stack):
    """The provider's 404 cannot change on a retry: one call, then the task says failed
    (Temporal used to retry it 5 times over 15 s or more)."""
    client = client_for(stack)
    task_id, _ = client.submit("which model?", "openai", "no-such-model")
    started = time.monotonic()
    final = wait_until(
        lambda: (page := client.page(task_id)).status in client.api.terminal and page,
        timeout=60,
        interval=0.1,
        what="the task to end",
    )
    assert final.status == "failed"
    assert [(r["status"], r["outcome"]) for r in ledger(stack, task_id)] == [(404, "rejected")], "one call, no retry"
    assert time.monotonic() - started < 10, "failed at once, not after Temporal's back-off"


def test_temporal_refuses_a_prompt_too_large_for_a_payload_with_a_413(deploy):
    stack = deploy("temporal")
    base = stack.url("backend")
    started = time.monotonic()
    response = httpx.post(base + "/api/workflows/start", json={"prompt": "x" * 10_000_000}, timeout=60)
    assert response.status_code == 413, response.text[:300]
    detail = response.json()["detail"]
    assert "100,000 characters" in detail and "131,072 bytes" in detail and len(response.content) < 2000
    assert time.monotonic() - started < 30
    # the byte limit: 30,000 characters of "é" are 180,000 bytes once escaped in a payload
    assert httpx.post(base + "/api/workflows/start", json={"prompt": "é" * 30_000}, timeout=TIMEOUT).status_code == 413
    batch = {"chats": [{"prompt": "x" * 100_000} for _ in range(6)]}  # each fits; together 600 KB in one payload
    response = httpx.post(base + "/api/workflows/batch", json=batch, timeout=TIMEOUT)
    assert response.status_code == 413 and "split it" in response.json()["detail"], response.text[:300]
    response = httpx.post(
        base + "/api/workflows/batch", json={"chats": [{"prompt": "ok"}, {"prompt": "x" * 200_000}]}, timeout=TIMEOUT
    )
    assert response.status_code == 413 and response.json()["detail"].startswith("chats[1]: "), response.text[:300]
    assert ledger(stack) == [], "nothing started"
    # the limit itself is accepted
    assert httpx.post(base + "/api/workflows/start", json={"prompt": "y" * 100_000}, timeout=TIMEOUT).status_code == 200


# -- the fake provider -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_a_lone_surrogate_is_a_400_and_the_ledger_stays_readable(provider, path):
    body = b'{"model": "gpt\\ud800", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}'
    response = httpx.post(provider.url + path, content=body, headers=JSON, timeout=TIMEOUT)
    assert response.status_code == 400 and "surrogate" in detail_text(response), response.text
    body = b'{"model": "gpt-4o", "max_tokens": 5, "messages": [{"role": "user", "content": "hi \\udc00"}]}'
    response = httpx.post(provider.url + path, content=body, headers=JSON, timeout=TIMEOUT)
    assert response.status_code == 400 and "messages[0].content" in detail_text(response), response.text
    rows = provider.admin("GET", "/admin/ledger").json()["rows"]  # used to be a 500 from here on
    assert rows[-2]["model"] == "gpt\\ud800" and rows[-2]["outcome"] == "rejected"
    for line in provider.ledger_path.read_text(encoding="utf-8").splitlines():
        json.loads(line)


@pytest.mark.parametrize(
    "params",
    [
        {"until_progress": 0.5, "timeout_s": "nan"},
        {"until_progress": 0.5, "timeout_s": "inf"},
        {"until_progress": 0.5, "timeout_s": -1},
        {"until_progress": 0.5, "timeout_s": 61},
        {"until_progress": "nan"},
        {"until_progress": 1.5},
        {"until_progress": 0.5, "min_inflight": 0},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_a_long_poll_with_bad_bounds_is_a_prompt_400(provider, params):
    response = provider.admin("GET", "/admin/inflight", params=params)  # 10 s client timeout: a hang fails
    assert response.status_code == 400, response.text
    name = next(k for k in ("timeout_s", "min_inflight", "until_progress") if k in response.json()["error"])
    assert name in params


def test_a_long_poll_stops_when_its_client_leaves(provider):
    with pytest.raises(httpx.TimeoutException):
        httpx.get(provider.url + "/admin/inflight", params={"until_progress": 0.9, "timeout_s": 60}, timeout=1)

    def no_long_poll() -> bool:
        return provider.admin("GET", "/health").json()["long_polls"] == 0

    wait_until(no_long_poll, timeout=20, interval=0.1, what="the abandoned long poll to stop")


@pytest.mark.parametrize(
    "body",
    [b'{"ttft_ms": NaN}', b'{"itl_ms": Infinity}', b'{"faults": [{"action": "cut", "probability": NaN}]}',
     b'{"faults": [{"action": "hang", "seconds": 1e300}]}', b'{"faults": [{"action": "cut", "model": "\\ud800"}]}',
     b'{"ttft_ms": false}', b'{"output_tokens": 60.5}', b'{"faults": [{"action": "error", "status": true}]}'],
    ids=["ttft NaN", "itl Infinity", "probability NaN", "hang 1e300 s", "model surrogate", "ttft a boolean", "tokens a fraction",
         "status a boolean"],
)  # fmt: skip
def test_settings_that_could_not_be_shown_again_are_refused(provider, body):
    response = provider.admin("POST", "/admin/config", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert provider.admin("GET", "/admin/config").status_code == 200


@pytest.mark.parametrize("path", ["/admin/config", "/v1/chat/completions", "/v1/messages", "/admin/cut-inflight"])
def test_json_nested_too_deep_to_parse_is_not_a_500(provider, path):
    response = provider.admin("POST", path, content=b"[" * 100_000, headers=JSON)
    assert response.status_code in (200, 400), response.text[:300]  # cut-inflight takes no body as {}


def test_the_ledger_refuses_a_negative_row_index(provider):
    response = provider.admin("GET", "/admin/ledger", params={"since": -1})
    assert response.status_code == 400 and "since" in response.json()["error"]


def test_the_provider_health_names_its_service_and_it_describes_its_api(provider):
    assert provider.admin("GET", "/health").json()["service"] == "llm"
    document = provider.admin("GET", "/openapi.json").json()
    assert document["openapi"].startswith("3.") and "/v1/chat/completions" in document["paths"]
