"""Scenario files: every one loads in every profile; mistakes name the file and field."""

from __future__ import annotations

import pytest

from chaos.scenario import PROFILES, known_scenarios, load_scenario
from llmchaos.errors import BadInputError


@pytest.mark.parametrize("profile", PROFILES)
def test_every_scenario_loads_in_every_profile(profile):
    assert {"baseline", "f5-refresh"} <= set(known_scenarios())
    for name in known_scenarios():
        scenario = load_scenario(name, profile)
        assert scenario.name == name and scenario.description
        for stack in ("mvp", "redis", "temporal"):
            scenario.for_stack(stack)


def test_profiles_change_what_they_say():
    ci, seed = load_scenario("baseline", "ci"), load_scenario("baseline", "seed")
    assert (seed.provider.output_tokens, seed.provider.itl_ms) == (100, 3000)  # the seeds' 100 chunks in 5 minutes
    assert ci.provider.itl_ms < seed.provider.itl_ms and seed.load.users < ci.load.users


def test_stack_overrides_apply_to_their_stack_only():
    f5 = load_scenario("f5-refresh")
    assert (f5.for_stack("mvp").load.f5.mode, f5.for_stack("temporal").load.f5.mode) == ("reask", "reattach")


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
