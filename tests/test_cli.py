"""The command line: bad input gets one clear message and exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys

from click.testing import CliRunner

from llmchaos.cli import main


def llmchaos(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llmchaos", *args], capture_output=True, text=True, timeout=60)


def test_a_port_in_use_is_reported_plainly():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = llmchaos("llm", "serve", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 for the fake LLM provider is already in use (Address already in use); "
        "stop whatever listens there or pick another port with --port"
    )


def test_bad_fault_flags_are_reported_plainly(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["llm", "serve", "--error", "teapot"])
    assert result.exit_code == 2 and "expected STATUS=PROBABILITY" in result.output
    result = runner.invoke(main, ["llm", "serve", "--error", "418=0.5"])
    assert result.exit_code == 2 and "faults.0" in result.output
    bad = tmp_path / "faults.json"
    bad.write_text("{not json")
    result = runner.invoke(main, ["llm", "serve", "--faults", str(bad)])
    assert result.exit_code == 2 and "not valid JSON" in result.output
    result = runner.invoke(main, ["llm", "serve", "--ttft-ms", "-5"])
    assert result.exit_code == 2 and "ttft_ms" in result.output


def test_help_lists_the_provider_command():
    result = CliRunner().invoke(main, ["llm", "--help"])
    assert result.exit_code == 0 and "serve" in result.output
