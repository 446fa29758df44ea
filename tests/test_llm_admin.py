"""The admin API and the ledger file: what the harness reads during and after a run."""

from __future__ import annotations

import json

from conftest import OUTPUT_TOKENS, wait_until
from sdk_calls import complete_text, stream_text


def test_settings_change_at_run_time_and_reset(provider):
    config = provider.configure(itl_ms=1, faults=[{"action": "cut", "after_tokens": 3, "probability": 0.5}])
    assert config["itl_ms"] == 1 and config["faults"][0]["after_tokens"] == 3 and config["faults_fired"] == [0]
    provider.reset()
    assert provider.admin("GET", "/admin/config").json()["faults"] == []


def test_bad_settings_are_refused_with_the_field_named(provider):
    response = provider.admin("POST", "/admin/config", json={"faults": [{"action": "error", "status": 418}]})
    assert response.status_code == 400
    assert response.json()["error"].startswith("faults.0")
    response = provider.admin("POST", "/admin/config", json={"itl_ms": "fast"})
    assert response.status_code == 400 and "itl_ms" in response.json()["error"]
    response = provider.admin("POST", "/admin/config", content=b"[1, 2]")
    assert response.status_code == 400
    assert provider.admin("GET", "/admin/config").json()["itl_ms"] != "fast"


async def test_the_ledger_file_holds_the_same_rows_as_the_api(provider, task_id):
    await stream_text(provider, "openai", "file me", task_id)
    await complete_text(provider, "anthropic", "file me too", task_id)
    rows = provider.wait_ledger(task_id, count=2)

    def in_file():
        lines = [json.loads(line) for line in provider.ledger_path.read_text().splitlines()]
        return [r for r in lines if r["task_id"] == task_id]

    assert wait_until(lambda: len(in_file()) == 2, what="rows in the ledger file")
    assert in_file() == rows


async def test_the_ledger_pages_and_filters(provider, task_id):
    before = provider.admin("GET", "/admin/ledger").json()["next"]
    await complete_text(provider, "openai", "page me", task_id)
    provider.wait_ledger(task_id)
    page = provider.admin("GET", "/admin/ledger", params={"since": before}).json()
    assert [r["task_id"] for r in page["rows"]] == [task_id] and page["next"] == before + 1
    assert provider.ledger(stack="no-such-stack") == []
    assert provider.admin("GET", "/admin/ledger", params={"since": "x"}).status_code == 400


def test_health_answers(provider):
    assert provider.admin("GET", "/health").json()["status"] == "ok"


def test_nothing_is_in_flight_between_calls(provider):
    assert provider.inflight() == []
    assert OUTPUT_TOKENS > 0


async def test_a_long_poll_answers_when_the_median_call_reaches_the_progress(provider, task_id):
    import asyncio

    provider.configure(itl_ms=20)
    assert provider.admin("GET", "/admin/inflight", params={"until_progress": 0.5, "timeout_s": 0.1}).json() == {"calls": [], "reached": False}
    streams = [asyncio.create_task(stream_text(provider, "openai", f"poll me {i}", task_id)) for i in range(3)]
    answer = await asyncio.to_thread(provider.admin, "GET", "/admin/inflight", params={"until_progress": 0.5, "min_inflight": 3, "timeout_s": 20})
    await asyncio.gather(*streams)
    body = answer.json()
    tokens = sorted(c["tokens_sent"] for c in body["calls"])
    assert body["reached"] is True and len(tokens) == 3
    assert OUTPUT_TOKENS / 2 <= tokens[1] <= OUTPUT_TOKENS / 2 + 1, "answered within a token of the median reaching half"
    assert provider.admin("GET", "/admin/inflight", params={"until_progress": "half"}).status_code == 400
