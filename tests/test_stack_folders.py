"""A stack is a folder: the harness finds it, and refuses an incomplete one before deploying.

The test stack here is a copy of the MVP's folder under another name, with its own
``stack.yaml`` (an API shape spelled out, another colour, another F5 behaviour, its own
profile changes): every part of the harness that needs to know about stacks must pick it
up from the folder alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import stacks
from chaos.faults import stack_targets
from chaos.scenario import load_scenario
from llmchaos.cli import main
from llmchaos.errors import BadInputError
from loadtests.adapters import CHAT_API, WORKFLOW_API, adapter_for
from stacks import spec

TWIN_YAML = """description: the MVP under another name, to test discovery
colour: "#123456"
api:
  submit: /api/chat/generate
  chunks: /api/chat/chunks/{id}
  status: /api/chat/status/{id}
  id_key: task_id
  terminal: [completed, failed]
f5: reattach
profiles:
  seed:
    load: {stall_timeout_s: 99}
    environment: {TWIN_PACE_S: "2"}
"""


@pytest.fixture
def stacks_dir(tmp_path, monkeypatch) -> Path:
    """A stacks folder holding the seed stacks and whatever the test adds; stack modules
    are imported from it too."""
    root = tmp_path / "stacks"
    root.mkdir()
    for name in spec.known_stacks():
        (root / name).symlink_to(spec.STACKS_DIR / name)
    monkeypatch.setattr(spec, "STACKS_DIR", root)
    monkeypatch.setattr(stacks, "__path__", [*stacks.__path__, str(root)])
    spec.load_manifest.cache_clear()
    yield root
    spec.load_manifest.cache_clear()


def _twin(root: Path, name: str = "twin", without: str | None = None) -> Path:
    folder = root / name
    folder.mkdir()
    shutil.copy(root / "mvp" / "compose.yaml", folder / "compose.yaml")
    shutil.copy(root / "mvp" / "local.py", folder / "local.py")
    (folder / "__init__.py").write_text("")
    (folder / "stack.yaml").write_text(TWIN_YAML)
    if without:
        (folder / without).unlink()
    return folder


def test_the_seed_stacks_describe_themselves():
    assert {"mvp", "redis", "temporal"} <= set(spec.known_stacks())
    assert (adapter_for("mvp"), adapter_for("redis"), adapter_for("temporal")) == (CHAT_API, CHAT_API, WORKFLOW_API)
    assert {name: spec.load_stack(name).manifest.f5 for name in ("mvp", "redis", "temporal")} == {"mvp": "reask", "redis": "reask", "temporal": "reattach"}
    assert len({spec.load_manifest(name).colour for name in spec.known_stacks()}) == len(spec.known_stacks()), "each stack its own colour"


def test_a_new_folder_is_a_stack_everywhere_without_editing_anything_else(stacks_dir):
    _twin(stacks_dir)
    from reports.figures import _colour

    assert "twin" in spec.known_stacks()
    stack = spec.load_stack("twin")
    assert stack.manifest.f5 == "reattach"
    api = adapter_for("twin")
    assert (api.submit_path(), api.chunks_path("t1"), api.task_id({"task_id": "t1"}), api.terminal) == (
        "/api/chat/generate", "/api/chat/chunks/t1", "t1", frozenset({"completed", "failed"}))  # fmt: skip
    assert _colour("twin") == "#123456" and _colour("gone-elsewhere") == "#666666"
    assert "twin" in stack_targets()["backend"], "its services are fault targets"
    refresh = load_scenario("f5-refresh", "seed").for_stack("twin", "seed")
    assert (refresh.load.f5.mode, refresh.load.stall_timeout_s, refresh.environment["TWIN_PACE_S"]) == ("reattach", 99, "2")
    assert load_scenario("f5-refresh", "ci").for_stack("twin", "ci").load.stall_timeout_s is None, "its seed changes stay in the seed profile"


@pytest.mark.parametrize("piece", spec.PIECES)
def test_a_folder_missing_a_piece_is_refused_naming_it_before_anything_runs(stacks_dir, tmp_path, piece):
    _twin(stacks_dir, without=piece)
    with pytest.raises(BadInputError, match=f"stacks/twin/ has no {piece}"):
        spec.load_stack("twin")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", "--stack", "all", "--runtime", "local", "--out", str(out)])
    assert result.exit_code == 2 and f"has no {piece}" in result.output, result.output
    assert not out.exists(), "nothing was started"


@pytest.mark.parametrize(
    "change,message",
    [
        ("colour: red", "colour: String should match pattern"),
        ("api: grpc", "api"),
        ("f5: forget", "f5: Input should be 'reask', 'reattach' or 'remember'"),
        ("favourite: true", "favourite: Extra inputs are not permitted"),
        ("api: {submit: /go, chunks: /c, status: \"/s/{id}\", id_key: id, terminal: [done]}", "api.ApiPaths.chunks"),
        ("profiles: {fast: {}}", "unknown profile(s) fast"),
        ("profiles: {ci: {load: {users: 0}}}", "stacks/twin/stack.yaml: profiles.ci: load.users"),
    ],
)
def test_a_malformed_stack_yaml_names_the_file_and_the_field(stacks_dir, change, message):
    folder = _twin(stacks_dir)
    key = change.split(":")[0]
    kept = [line for line in TWIN_YAML.split("\n") if not line.startswith(key)]
    if key in ("api", "profiles"):  # drop the block below the key too
        text = TWIN_YAML.split(f"{key}:")[0] + change + "\n" + ("f5: reattach\n" if key == "api" else "")
    else:
        text = "\n".join(kept) + f"\n{change}\n"
    (folder / "stack.yaml").write_text(text)
    with pytest.raises(BadInputError, match="stacks/twin/stack.yaml") as raised:
        spec.load_stack("twin")
        load_scenario("baseline", "ci").for_stack("twin", "ci")
    assert message in str(raised.value)


def test_a_folder_whose_name_is_no_python_identifier_is_refused(stacks_dir):
    _twin(stacks_dir, name="twin-stack")
    with pytest.raises(BadInputError, match="must be a Python identifier"):
        spec.load_stack("twin-stack")
