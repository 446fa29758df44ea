"""Reading stack compose files: interpolation, port variables, and refusals by name."""

from __future__ import annotations

import pytest

from llmchaos.errors import ComposeFileError, UnknownStackError
from stacks.compose import interpolate, load_compose, parse_duration
from stacks.spec import known_stacks, load_stack


def test_interpolation_follows_compose_rules():
    variables = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}-${MISSING:-d}-${EMPTY:-d}-${EMPTY-d}-$SET-$$HOME", variables) == "x-d-d--x-$HOME"


def test_durations():
    assert parse_duration("2s") == 2 and parse_duration("500ms") == 0.5 and parse_duration("1m30s") == 90
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_every_stack_loads_and_its_ports_can_be_moved():
    assert "mvp" in known_stacks()
    stack = load_stack("mvp")
    assert stack.port_variables() == {"LLM_PORT": "llm", "MVP_BACKEND_PORT": "backend", "MVP_FRONTEND_PORT": "frontend"}
    assert stack.primary_ports() == {"llm": "LLM_PORT", "backend": "MVP_BACKEND_PORT", "frontend": "MVP_FRONTEND_PORT"}
    moved = stack.compose({"MVP_BACKEND_PORT": "18000", "RESTART_POLICY": "always"}).services["backend"]
    assert (moved.ports[0].host_ip, moved.ports[0].host_port, moved.ports[0].container_port) == ("127.0.0.1", 18000, 8000)
    assert moved.restart == "always"
    assert stack.compose({}).start_order() == ["llm", "backend", "frontend"]
    assert stack.compose({}, profiles=()).start_order() == ["llm", "backend"], "the page is in profile frontend"
    for name in known_stacks():
        for svc in load_stack(name).compose({}).services.values():
            assert all(p.host_ip == "127.0.0.1" for p in svc.ports), f"{name}/{svc.name} must publish on 127.0.0.1 only"


def test_unknown_stack_lists_the_known_ones():
    with pytest.raises(UnknownStackError, match="known stacks: .*mvp"):
        load_stack("nosuch")


@pytest.mark.parametrize(
    "service,message",
    [
        ({"image": "i", "privileged": True, "x-llmchaos": {"role": "backend", "health": {"tcp": True}}}, "unsupported key(s) privileged"),
        ({"image": "i", "x-llmchaos": {"role": "cook", "health": {"tcp": True}}}, "x-llmchaos.role"),
        ({"image": "i", "x-llmchaos": {"role": "backend", "health": {"ping": 1}}}, "x-llmchaos.health"),
        ({"image": "i", "depends_on": ["ghost"], "x-llmchaos": {"role": "backend", "health": {"tcp": True}}}, "no service named 'ghost'"),
        ({"image": "i", "volumes": ["undeclared:/data"], "x-llmchaos": {"role": "backend", "health": {"tcp": True}}}, "not declared"),
        ({"image": "i", "ports": ["eighty"], "x-llmchaos": {"role": "backend", "health": {"tcp": True}}}, "IP:HOST:CONTAINER"),
        ({"image": "i", "ports": ["127.0.0.1:8000:8000"], "x-llmchaos": {"role": "backend", "health": {"tcp": True}}}, "so they can be moved"),
    ],
)
def test_a_bad_compose_file_is_refused_with_the_place_named(tmp_path, service, message):
    import yaml

    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump({"services": {"web": service}}))
    with pytest.raises(ComposeFileError) as caught:
        load_compose(path)
    assert str(path) in str(caught.value) and "services.web" in str(caught.value) and message in str(caught.value)


def test_an_http_probe_may_say_which_service_must_answer_it(tmp_path):
    import yaml

    path = tmp_path / "compose.yaml"
    meta = {"role": "backend", "health": {"http": "/health", "service": "backend", "port": "API_PORT"}}
    path.write_text(yaml.safe_dump({"services": {"web": {"image": "i", "ports": ["127.0.0.1:${API_PORT:-8000}:8000"], "x-llmchaos": meta}}}))
    health = load_compose(path).services["web"].health
    assert (health.kind, health.path, health.port_var, health.service) == ("http", "/health", "API_PORT", "backend")
    for bad, message in (({"tcp": True, "service": "backend"}, "needs an http probe"), ({"http": "/health", "service": ""}, "service: expected the name")):
        path.write_text(yaml.safe_dump({"services": {"web": {"image": "i", "x-llmchaos": {"role": "backend", "health": bad}}}}))
        with pytest.raises(ComposeFileError, match=message) as caught:
            load_compose(path)
        assert "services.web.x-llmchaos.health" in str(caught.value)


def test_every_backend_and_fake_provider_is_probed_for_its_own_name():
    """So a probe reaching another service on the port is refused (see test_ports.py)."""
    for name in known_stacks():
        for svc in load_stack(name).compose({}).services.values():
            if svc.role in ("backend", "llm"):
                assert svc.health.service == svc.role, f"{name}/{svc.name}: set x-llmchaos.health.service: {svc.role}"


def test_a_service_in_a_profile_is_kept_only_when_the_profile_is_active(tmp_path):
    path = tmp_path / "compose.yaml"
    path.write_text(
        "services:\n"
        "  api: {image: x, x-llmchaos: {role: backend, health: {process: true}}}\n"
        "  page: {image: x, profiles: [frontend], depends_on: [api], x-llmchaos: {role: frontend, health: {process: true}}}\n"
        "  debug: {image: x, profiles: [debug], depends_on: [page], x-llmchaos: {role: worker, health: {process: true}}}\n"
    )
    assert list(load_compose(path).services) == ["api", "page", "debug"]
    assert list(load_compose(path, profiles=()).services) == ["api"]
    assert list(load_compose(path, profiles=["frontend"]).services) == ["api", "page"]
    with pytest.raises(ComposeFileError, match=r"services.debug.depends_on: 'page' is in a profile that is not active"):
        load_compose(path, profiles=["debug"])
