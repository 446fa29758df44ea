"""The stacks' Chainlit pages in headless Chromium: ask, press F5 at half the answer, and
check what the page shows after, as the seeds tell it per stack.

- ``reask`` stacks (MVP, Redis): the refreshed page has lost the task (empty, no task id
  in its address); asking again shows the whole answer, generated a second time by the MVP,
  and by Redis unless the first answer was already cached (the page's badge says which).
- ``reattach`` stacks (Temporal, temporal_streams): the address keeps the task id, the
  refreshed page reads the same task again and ends with the full, correct answer, each
  chunk shown once, and the provider was called once.
- ``remember`` stacks (dbos): the same, the id kept in the browser's localStorage instead
  of the address; a second F5 after the end shows the whole answer again, at no cost.
Every stack on local processes; the MVP in containers too (the compose ``frontend``
service, the same for every stack). Skipped with the reason where Chromium is absent.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from llmchaos.ports import free_port_plan
from llmchaos.runtime import make_runtime
from loadtests.browser import BrowserUser, chromium_path, normalise
from stacks.llm.text import expected_text, text_sha256
from stacks.spec import known_stacks, load_manifest, load_stack

from stack_api import ledger

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="no Chromium: apt-get install chromium (.ci/run installs it)")

TOKENS = 120
# slow enough that half an answer is on screen for a while (about 7 s of streaming); the
# seeds' Temporal saves one chunk per activity, spaced as in its seed profile
LLM = {"LLM_TTFT_MS": "200", "LLM_ITL_MS": "60", "LLM_OUTPUT_TOKENS": str(TOKENS), "TEMPORAL_CHUNK_INTERVAL_S": "0.3"}
CASES = [pytest.param(s, "local", id=f"{s}-local") for s in known_stacks()] + [
    pytest.param(s, "docker", id=f"{s}-docker", marks=pytest.mark.docker) for s in ("mvp",)
]


@pytest.fixture
def page_stack(request):
    stack_name, runtime_kind = request.param
    stack = load_stack(stack_name)
    workdir = Path(tempfile.mkdtemp(prefix="llmchaos-test-"))
    workdir.chmod(0o755)
    extra = {"workdir": workdir / stack_name} if runtime_kind == "local" else {"project": f"llmchaos-test-{uuid.uuid4().hex[:8]}"}
    runtime = make_runtime(runtime_kind, stack, ports=free_port_plan(stack.default_ports()), env=LLM, profiles=("frontend",), **extra)
    try:
        runtime.up()
        yield runtime, workdir
    finally:
        runtime.down()
        shutil.rmtree(workdir, ignore_errors=True)


def calls_for(runtime, answer: str) -> int:
    """How many times the provider was asked for this answer (prompt, model and seed fix it)."""
    return sum(1 for row in ledger(runtime) if row["text_sha256"] == text_sha256(answer))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page_stack", [c.values for c in CASES], ids=[c.id for c in CASES], indirect=True)
def test_f5_at_half_the_answer_shows_what_the_seeds_say(page_stack):
    runtime, workdir = page_stack
    f5 = load_manifest(runtime.stack.name).f5
    prompt = f"What survives a refresh on {runtime.stack.name}? {uuid.uuid4().hex[:6]}"
    answer = expected_text(prompt, "gpt-4o", 0, output_tokens=TOKENS)
    want = normalise(answer)
    with BrowserUser(runtime.url("frontend"), shots=workdir / "shots") as user:
        user.open()
        user.ask(prompt)
        half = user.wait(lambda v: len(normalise(v.answer)) >= len(want) / 2, 90, "half of the answer")
        assert want.startswith(normalise(half.answer)), "the page shows text that is not the answer's beginning"
        before, after = user.refresh()
        assert want.startswith(normalise(before.answer)) and len(normalise(before.answer)) >= len(want) / 2
        if f5 == "reask":
            assert "task_id=" not in after.url and after.answer == "", f"a {f5} page kept its task after F5: {after}"
            time.sleep(1.0)  # a person reads the empty page, then asks again
            assert user.look().answer == "", "the refreshed page found the task by itself"
            user.ask(prompt)
            end = user.wait_end(90, "the end of the second answer")
            assert normalise(end.answer) == want
            calls = calls_for(runtime, answer)
            cache_hit = any("CACHE HIT" in line for line in end.status)
            if runtime.stack.name == "redis":
                assert calls == (1 if cache_hit else 2), (calls, end.status)
            else:
                assert calls == 2, f"the MVP should have generated the answer again: {calls} calls"
        else:
            stored = user.page.evaluate("window.localStorage.getItem('current_task')")
            if f5 == "reattach":
                assert "task_id=" in after.url and stored is None, f"the address lost the task id: {after.url}"
            else:
                assert "task_id=" not in after.url and stored, f"the browser's storage lost the task id: {after.url}, {stored!r}"
            end = user.wait_end(90, "the end of the answer")
            assert normalise(end.answer) == want, "the refreshed page does not show the answer exactly once"
            assert calls_for(runtime, answer) == 1, "a refresh made the stack call the provider again"
            if f5 == "remember":
                assert f"task {stored} found in the browser's storage" in " ".join(end.status), end.status
                user.refresh()  # the id stays after the end: F5 shows the whole answer again, at no cost
                again = user.wait_end(60, "the ended answer, after a second F5")
                assert normalise(again.answer) == want and calls_for(runtime, answer) == 1


@pytest.mark.timeout(400)
def test_the_f5_browser_scenario_writes_what_real_pages_showed_into_the_cell_and_the_report(traversable_tmp):
    """The catalogue's f5-browser, made small: one Locust user and one person in Chromium per
    stack, on a re-asking stack (MVP) and a re-attaching one (dbos). The pages' requests,
    their F5, their LLM calls and the screenshots reach the matrix and the report."""
    import yaml

    from chaos.orchestrator import Orchestrator, Plan
    from chaos.scenario import SCENARIOS_DIR
    from reports.report import write_report

    scenario = yaml.safe_load((SCENARIOS_DIR / "f5-browser.yaml").read_text())
    scenario["load"].update(users=1, spawn_rate=1, tasks_per_user=1)
    scenario["browsers"].update(users=1)
    path = traversable_tmp / "f5-browser.yaml"
    path.write_text(yaml.safe_dump(scenario))
    cells = Orchestrator(Plan(["mvp", "dbos"], [str(path)], traversable_tmp / "run", runtime="local")).run()
    assert [c.status for c in cells] == ["complete", "complete"], [c.error for c in cells]
    write_report(traversable_tmp / "run")
    matrix = json.loads((traversable_tmp / "run" / "matrix.json").read_text())
    pages = {c["stack"]: c["pages"] for c in matrix["cells"]}
    assert all(c["unattributed_calls"] == 0 for c in matrix["cells"]), "the pages' calls are attributed to them, pooled too"
    for stack, calls in (("mvp", 2), ("dbos", 1)):  # the MVP's page forgot the question: asked again, generated again
        p = pages[stack]
        assert (p["correct"], p["refreshes"], p["llm_calls"], p["regenerations"]) == (1, 1, calls, calls - 1), (stack, p)
        [shot] = p["shots"]
        assert (traversable_tmp / "run" / shot["before"]).is_file() and (traversable_tmp / "run" / shot["after"]).is_file()
        assert shot["before_chars"] > 0
    html = (traversable_tmp / "run" / "report.html").read_text()
    assert "What real pages showed after F5" in html and html.count('style="width:49%" src="data:image/png;base64,') == 4


@pytest.mark.timeout(300)
def test_a_killed_front_end_is_a_fault_like_the_others_and_its_restart_is_measured(traversable_tmp):
    """frontend-kill, made small, on the MVP: the page server is deployed for the fault (the
    scenario targets it), killed while a person reads an answer, started again; the probe
    measures its restart and the cell says what the person's page showed."""
    import yaml

    from chaos.orchestrator import Orchestrator, Plan
    from chaos.scenario import SCENARIOS_DIR
    from reports.matrix import build_matrix, load_run

    scenario = yaml.safe_load((SCENARIOS_DIR / "frontend-kill.yaml").read_text())
    scenario["load"].update(users=2, spawn_rate=2, tasks_per_user=1)
    scenario["browsers"].update(users=1)
    scenario["faults"][0]["trigger"] = {"shown": 0.3, "min_inflight": 1, "seen_by": "pages"}
    path = traversable_tmp / "frontend-kill.yaml"
    path.write_text(yaml.safe_dump(scenario))
    [cell] = Orchestrator(Plan(["mvp"], [str(path)], traversable_tmp / "run", runtime="local")).run()
    assert cell.status == "complete", cell.error
    [fault] = json.loads((cell.directory / "cell.json").read_text())["faults"]
    assert fault["fired"] and fault["services"] == ["frontend"] and fault["healthy_t"] is not None, fault
    seen = fault["observed"]["requests"]  # the trigger read the person's page, not the Locust users'
    assert [r["request"].startswith("r-page-") for r in seen] == [True] and seen[0]["shown_chars"] > 0, seen
    [matrix_cell] = build_matrix(load_run(traversable_tmp / "run"))["cells"]
    assert matrix_cell["recovery_s"]["health"] is not None and matrix_cell["recovery_s"]["health"] >= 3.0  # the downtime, then its restart
    pages = matrix_cell["pages"]
    assert pages["requests"] == 1 and pages["accepted"] == 1, pages
