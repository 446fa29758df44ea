"""Scenario files: every one loads in every profile; mistakes name the file and field."""

from __future__ import annotations

import pytest

from chaos.scenario import PROFILES, known_scenarios, load_scenario
from llmchaos.errors import BadInputError
from stacks.spec import known_stacks


@pytest.mark.parametrize("profile", PROFILES)
def test_every_scenario_loads_in_every_profile(profile):
    assert {"baseline", "f5-refresh"} <= set(known_scenarios())
    for name in known_scenarios():
        scenario = load_scenario(name, profile)
        assert scenario.name == name and scenario.description
        for stack in known_stacks():
            scenario.for_stack(stack, profile)


def test_profiles_change_what_they_say():
    ci, seed = load_scenario("baseline", "ci"), load_scenario("baseline", "seed")
    assert (seed.provider.output_tokens, seed.provider.itl_ms) == (900, 333)  # the seeds' ~100 chunks of 50 characters in 5 minutes
    assert ci.provider.itl_ms < seed.provider.itl_ms and seed.load.users < ci.load.users


def test_the_seed_profile_has_the_seeds_shape_on_every_scenario():
    """~100 chunks of 50 characters generated in about 5 minutes; Temporal's saving and
    one retried call fit the seeds' 10-minute execution timeout with their 30 s outage."""
    from stacks.common.chat_api import split_into_chunks
    from stacks.llm.text import expected_text

    for name in known_scenarios():
        seed = load_scenario(name, "seed")
        p, env = seed.provider, seed.for_stack("temporal", "seed").environment
        answers = [expected_text(f"Explain X (question {i})", "gpt-4o", 0, None, p.output_tokens) for i in range(10)]
        assert all(90 <= len(split_into_chunks(a)) <= 110 for a in answers), name
        generation_s = (p.ttft_ms + p.itl_ms * (p.output_tokens - 1)) / 1000
        assert 290 <= generation_s <= 310, (name, generation_s)
        saving_s = 110 * (float(env["TEMPORAL_CHUNK_INTERVAL_S"]) + 0.5)  # measured: ~0.45 s a chunk beyond the timer
        assert generation_s < float(env["TEMPORAL_GENERATE_TIMEOUT_S"]) and generation_s + saving_s + 30 + 30 < 600, name
        assert all(f.downtime_s == 30 for f in seed.faults if f.recovery == "restart"), name


def test_an_f5_left_to_the_front_end_is_what_each_stack_yaml_says():
    f5 = load_scenario("f5-refresh")
    assert f5.load.f5.mode == "frontend"
    assert {stack: f5.for_stack(stack, "ci").load.f5.mode for stack in ("mvp", "redis", "temporal", "dbos")} == {
        "mvp": "reask", "redis": "reask", "temporal": "reattach", "dbos": "reattach"}  # dbos keeps the id in storage: the same for an API user  # fmt: skip
    assert load_scenario("f5-reattach").for_stack("mvp", "ci").load.f5.mode == "reattach", "a scenario that names a mode keeps it"


def test_a_stacks_own_profile_changes_apply_to_it_only_and_a_scenario_can_still_override_them():
    seed = load_scenario("worker-stop-chunk-47", "seed")
    temporal, mvp = seed.for_stack("temporal", "seed"), seed.for_stack("mvp", "seed")
    assert (temporal.load.stall_timeout_s, temporal.environment["TEMPORAL_CHUNK_INTERVAL_S"]) == (360, "1")
    assert mvp.load.stall_timeout_s == 60 and "TEMPORAL_CHUNK_INTERVAL_S" not in mvp.environment
    ci = load_scenario("worker-stop-chunk-47", "ci").for_stack("temporal", "ci")
    assert ci.environment == {"TEMPORAL_CHUNK_INTERVAL_S": "0.2", "TEMPORAL_GENERATE_TIMEOUT_S": "10"}
    patient = seed.model_copy(update={"stack_overrides": {"temporal": {"load": {"stall_timeout_s": 500}}}})
    assert patient.for_stack("temporal", "seed").load.stall_timeout_s == 500, "the scenario's stack_overrides come last"


@pytest.mark.parametrize(
    "text,message",
    [
        ("name: x\ndescription: y\nload: {users: 0}\n", "load.users"),
        ("name: x\ndescription: y\nload: {colour: red}\n", "load.colour"),
        ("name: x\nload: {}\n", "description"),
        ("name: x\ndescription: y\nprofiles: {fast: {}}\n", "profiles"),
        ("- just\n- a list\n", "expected a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_a_bad_scenario_file_names_the_file_and_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(BadInputError) as caught:
        load_scenario(str(path))
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_unknown_scenarios_and_profiles_list_the_known_ones():
    with pytest.raises(BadInputError, match="known scenarios: .*baseline"):
        load_scenario("nosuch")
    with pytest.raises(BadInputError, match="known profiles: ci, seed"):
        load_scenario("baseline", "turbo")


FAULT = "name: x\ndescription: y\nfaults:\n  - action: kill\n    target: {target}\n    trigger: {{after_s: 1}}\n"


@pytest.mark.parametrize(
    "target,field,message",
    [
        ("backnd", "faults.0.target", "'backnd' is no role or service of any stack (did you mean 'backend'?)"),
        ("[backend, wroker]", "faults.0.target.1", "'wroker' is no role or service of any stack (did you mean 'worker'?)"),
    ],
)
def test_a_fault_target_no_stack_has_is_an_error_naming_the_file_and_field(tmp_path, target, field, message):
    path = tmp_path / "typo.yaml"
    path.write_text(FAULT.format(target=target))
    with pytest.raises(BadInputError) as caught:
        load_scenario(str(path))
    text = str(caught.value)
    assert str(path) in text and f"{field}: {message}" in text and "known: backend, datastore, frontend, llm" in text


@pytest.mark.parametrize("target", ["worker", "datastore", "server", "redis", "postgres", "temporal", "llm", "[datastore, server]"])
def test_a_target_some_stack_has_loads_and_stays_not_applicable_elsewhere(tmp_path, target):
    from chaos.faults import not_applicable
    from stacks.spec import load_stack

    path = tmp_path / "ok.yaml"
    path.write_text(FAULT.format(target=target))
    scenario = load_scenario(str(path))
    applicable = [s for s in ("mvp", "redis", "temporal") if not not_applicable(scenario.faults, s, load_stack(s).compose())]
    assert applicable, f"{target}: some stack has it"
    if target != "llm":
        assert "mvp" not in applicable, "the MVP has only llm and backend: not applicable there, as before"


def test_stack_overrides_must_name_a_stack_and_their_targets_are_checked_too(tmp_path):
    path = tmp_path / "override.yaml"
    path.write_text(FAULT.format(target="backend") + "stack_overrides:\n  mvpp: {seed: 2}\n")
    with pytest.raises(BadInputError, match=r"override.yaml \(profile ci\): stack_overrides.mvpp: no stack is named 'mvpp'; known stacks: .*\bmvp, redis\b"):
        load_scenario(str(path))
    path.write_text(FAULT.format(target="backend") + "stack_overrides:\n  temporal: {faults: [{target: wrker}]}\n")
    with pytest.raises(BadInputError, match=r"stack_overrides.temporal.faults.0.target: 'wrker' is no role or service of any stack \(did you mean 'worker'\?\)"):
        load_scenario(str(path))


def test_llmchaos_run_refuses_a_typo_before_deploying_anything(tmp_path):
    from click.testing import CliRunner

    from llmchaos.cli import main

    path = tmp_path / "typo.yaml"
    path.write_text(FAULT.format(target="backnd"))
    result = CliRunner().invoke(main, ["run", "--stack", "mvp", "--scenario", str(path), "--runtime", "local", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "faults.0.target: 'backnd' is no role or service of any stack" in result.output
    assert not (tmp_path / "out").exists(), "nothing ran"


def test_a_scenario_read_beside_another_names_one_of_the_catalogue_and_host_kill_is_the_real_cut():
    scenarios = {name: load_scenario(name) for name in known_scenarios()}
    for name, scenario in scenarios.items():
        assert not scenario.compare_with or scenario.compare_with in scenarios, f"{name}: compare_with {scenario.compare_with!r} is not a scenario"
    assert scenarios["host-kill"].compare_with == "host-kill-processes"
    assert [f.action for f in scenarios["host-kill"].faults] == ["power-cut"]
    assert [f.action for f in scenarios["host-kill-processes"].faults] == ["kill-all"]


@pytest.mark.parametrize("profile", PROFILES)
def test_host_kill_and_its_kill_only_twin_differ_by_the_lazy_filesystem_alone(profile):
    """The report reads the two side by side: any other difference (the users' patience,
    the trigger, the downtime) would be read as the lost writes' doing."""
    cut, kill = (load_scenario(name, profile).model_dump() for name in ("host-kill", "host-kill-processes"))
    assert [f["action"] for f in cut["faults"]] == ["power-cut"] and [f["action"] for f in kill["faults"]] == ["kill-all"]
    for scenario in (cut, kill):
        for key in ("name", "description", "compare_with"):
            scenario.pop(key)
        for fault in scenario["faults"]:
            fault.pop("action")
    assert cut == kill
