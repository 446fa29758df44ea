"""The ready CI definitions stay in step with the Makefile, the README and the report.

``.github/workflows/chaos-test.yml`` and ``.gitlab-ci.yml`` are copied by teams, not run
by this project's own CI, so nothing else would notice a renamed target or a file the
report no longer writes: they must parse, run the README's ``make chaos-test
BASELINE=...`` on a schedule and on demand, name only targets and variables the Makefile
has, and publish only files a report writes.
"""

from __future__ import annotations

import re
import shlex
import tarfile
from pathlib import Path

import pytest
import yaml

from reports.claims import F5_DEFAULT
from reports.report import write_report

ROOT = Path(__file__).resolve().parents[1]
GITHUB, GITLAB = ROOT / ".github" / "workflows" / "chaos-test.yml", ROOT / ".gitlab-ci.yml"
RECORDED = Path(__file__).parent / "data" / "run-ci.tar.gz"
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


def makefile() -> tuple[set[str], set[str]]:
    """The Makefile's targets and the variables it reads (assigned at the start of a line)."""
    targets, variables = set(), set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith(("\t", "#", " ")) or not line.strip():
            continue
        if assigned := re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*[:?+!]?=", line):
            variables.add(assigned.group(1))
        elif rule := re.match(r"([^:=#]+):(?!=)", line):
            targets.update(rule.group(1).split())
    return targets - {".PHONY"}, variables


def github() -> dict:
    return yaml.safe_load(GITHUB.read_text())


def gitlab() -> dict:
    return yaml.safe_load(GITLAB.read_text())


def shell_lines(path: Path) -> list[str]:
    """Every shell line a definition runs: GitHub steps' ``run``, GitLab jobs' scripts."""
    if path == GITHUB:
        scripts = [step["run"] for job in github()["jobs"].values() for step in job["steps"] if "run" in step]
    else:
        jobs = [job for name, job in gitlab().items() if isinstance(job, dict) and not name.startswith(".")]
        scripts = [line for job in jobs for key in ("before_script", "script", "after_script") for line in job.get(key, [])]
    return [line for script in scripts for line in script.splitlines() if line.strip()]


def make_calls(path: Path) -> list[tuple[list[str], dict[str, str]]]:
    """Each ``make`` a definition runs: its targets and the variables it sets."""
    calls = []
    for line in shell_lines(path):
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words):
            if word != "make":
                continue
            targets, variables = [], {}
            for arg in words[i + 1 :]:
                if arg in SHELL_OPERATORS:
                    break
                if "=" in arg:
                    name, value = arg.split("=", 1)
                    variables[name] = value
                elif not arg.startswith("-"):
                    targets.append(arg)
            calls.append((targets, variables))
    return calls


def published(path: Path) -> set[str]:
    """Every file or folder a definition keeps or shows: artifacts, the JUnit report, the summary."""
    if path == GITHUB:
        steps = github()["jobs"]["chaos-test"]["steps"]
        kept = {
            p.strip()
            for step in steps
            if "upload-artifact" in step.get("uses", "")
            for p in step["with"]["path"].splitlines()
            if p.strip()
        }
        kept |= {step["with"]["report_paths"] for step in steps if "junit" in step.get("uses", "")}
    else:
        artifacts = gitlab()["chaos-test"]["artifacts"]
        kept = set(artifacts["paths"]) | {artifacts["reports"]["junit"]}
    return kept | set(re.findall(r"runs/ci/[\w./-]+\.md", " ".join(shell_lines(path))))


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_the_definition_parses_and_runs_on_a_schedule_and_on_demand(path):
    if path == GITHUB:
        triggers = github().get("on", github().get(True))  # YAML 1.1 reads a bare `on` as true
        assert set(triggers) == {"schedule", "workflow_dispatch"} and triggers["schedule"][0]["cron"]
        steps = github()["jobs"]["chaos-test"]["steps"]
        after = steps[next(i for i, s in enumerate(steps) if "make chaos-test" in s.get("run", "")) + 1 :]
        assert after and all(step.get("if") == "always()" for step in after)  # published even when the gate fails the job
        assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") and "summary.md" in step["run"] for step in after)
    else:
        job = gitlab()["chaos-test"]
        assert {rule["if"] for rule in job["rules"]} == {'$CI_PIPELINE_SOURCE == "schedule"', '$CI_PIPELINE_SOURCE == "web"'}
        assert job["artifacts"]["when"] == "always"


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_every_make_command_names_what_the_makefile_has_and_is_the_readmes(path):
    targets, variables = makefile()
    calls = make_calls(path)
    assert calls, f"{path.name} runs no make command"
    for called, settings in calls:
        assert called and set(called) <= targets, (called, sorted(targets))
        assert set(settings) <= variables, (settings, sorted(variables))
    # nightly, the whole catalogue (the default is its guarantees' part) against the baseline
    assert (["chaos-test"], {"SCENARIOS": "all", "BASELINE": "reports/baseline.json", "OUT": "runs/ci"}) in calls
    assert (ROOT / "reports" / "baseline.json").is_file()
    readme = (ROOT / "README.md").read_text()
    assert "make chaos-test SCENARIOS=all BASELINE=reports/baseline.json OUT=runs/ci" in readme and path.name in readme


def test_the_published_files_are_the_ones_the_report_writes(tmp_path):
    run = tmp_path / "run"
    with tarfile.open(RECORDED) as archive:
        archive.extractall(run, filter="data")
    recipe = re.search(r"^chaos-test:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.MULTILINE | re.DOTALL).group(0)
    assert "--junit $(OUT)/junit.xml" in recipe  # what make chaos-test asks of the report
    written = {str(p.relative_to(run)) for p in write_report(run, junit=run / "junit.xml").files}
    for path in (GITHUB, GITLAB):
        kept = published(path)
        assert {"runs/ci/junit.xml", "runs/ci/summary.md", "runs/ci/report.html"} <= kept, (path.name, kept)
        for name in kept:
            relative = name.removeprefix("runs/ci/")
            assert relative != name, f"{path.name}: {name} is not in the run directory make chaos-test writes (OUT=runs/ci)"
            assert relative in written or any(w.startswith(relative) for w in written if relative.endswith("/")), (
                path.name,
                name,
            )


def test_the_default_chaos_test_is_the_guarantees_part_of_the_catalogue():
    """``make chaos-test`` without SCENARIOS: names the catalogue has (a typo would fail the
    newcomer's first run), and every scenario the guarantees table reads for a refresh, a
    backend crash, a worker crash and a power cut, with the baseline they are judged against."""
    default = re.search(r"^GUARANTEE_SCENARIOS\s*:=\s*(\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1).split(",")
    catalogue = {path.stem for path in (ROOT / "chaos" / "scenarios").glob("*.yaml")}
    assert set(default) <= catalogue, sorted(set(default) - catalogue)
    assert {"baseline", F5_DEFAULT[0], "backend-kill", "worker-kill", "host-kill"} <= set(default)
    assert re.search(r"^SCENARIOS \?= \$\(GUARANTEE_SCENARIOS\)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
