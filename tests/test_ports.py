"""A deployment's ports, and health probes that check who answered.

What must hold: the ports of one deployment are chosen together and never repeat (a
repeat put the MVP backend on the fake provider's port, whose /health then passed for the
backend's); a probe that reaches another service than the one it expects is not healthy
and names what answered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llmchaos.ports import free_port, free_port_plan, free_ports
from llmchaos.runtime.probes import probe
from stacks.compose import Health
from stacks.spec import known_stacks, load_stack


def test_a_thousand_port_plans_never_give_two_services_of_one_plan_the_same_port():
    variables = {name: list(load_stack(name).default_ports()) for name in known_stacks()}
    assert max(len(v) for v in variables.values()) >= 5, "the Temporal stack publishes five ports"
    for i in range(1000):
        stack = known_stacks()[i % len(known_stacks())]
        plan = free_port_plan(variables[stack])
        assert list(plan) == variables[stack]
        assert len(set(plan.values())) == len(plan), (stack, plan)
        assert all(1024 <= port <= 65535 for port in plan.values())


def test_ports_are_chosen_below_the_ephemeral_range():
    """A crashed service's port must not become some outgoing connection's source port
    before the service restarts (then it could not bind): the kernel hands those out from
    ip_local_port_range only."""
    from llmchaos.ports import LOWEST_PORT, _ephemeral_range

    low, _ = _ephemeral_range()
    ports = free_ports(50)
    assert all(LOWEST_PORT <= port < low for port in ports), ports


def test_ports_handed_out_one_by_one_do_not_repeat_either():
    """Tests and benchmarks that build a plan port by port get distinct ports too."""
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert free_ports(0) == [] and len(set(free_ports(20))) == 20
    with pytest.raises(ValueError):
        free_ports(-1)


class _Answer(BaseHTTPRequestHandler):
    """A real HTTP server whose /health says whatever the test sets (another program on a port)."""

    body: bytes = b"{}"

    def do_GET(self) -> None:  # http.server calls it by this name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator:
    """``answering(body)`` -> the port of a server whose /health answers ``body`` (JSON) with 200."""
    servers = []

    def start(body: object) -> int:
        handler = type("Handler", (_Answer,), {"body": json.dumps(body).encode()})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_probe_that_reaches_another_service_is_refused_and_names_it(provider_process):
    port = int(provider_process.url.rsplit(":", 1)[1])
    assert probe(Health("http", "/health", service="llm"), port), "the fake provider's /health names itself 'llm'"
    wrong = probe(Health("http", "/health", service="backend"), port)
    assert not wrong and wrong.foreign and wrong.answered_by == "llm"
    assert f"port {port} answered /health as service 'llm', not 'backend'" in wrong.why
    assert probe(Health("http", "/health"), port), "without an expectation, any 200 will do (as before)"


def test_a_200_that_names_no_service_is_not_the_expected_service(answering):
    port = answering({"status": "ok"})
    result = probe(Health("http", "/health", service="backend"), port)
    assert not result and result.foreign and result.answered_by is None
    assert "no \"service\": 'backend'" in result.why
    assert probe(Health("http", "/health", service="backend"), answering({"status": "healthy", "service": "backend"}))


def test_nothing_listening_is_unhealthy_but_not_foreign():
    [port] = free_ports(1)
    result = probe(Health("http", "/health", service="backend"), port)
    assert not result and not result.foreign and f"port {port}" in result.why
