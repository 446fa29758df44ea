"""The ``llmchaos`` command line.

Every mistake a user can make (a bad flag value, a port in use, a malformed faults file)
ends in one line saying what is wrong and what to do, and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from pydantic import ValidationError

from stacks.llm.config import ProviderConfig, describe_validation_error


class BadInput(click.ClickException):
    """A user error: printed as one line, exit code 2."""

    exit_code = 2


@click.group()
@click.version_option(package_name="llmchaos")
def main() -> None:
    """Deploy LLM chat backends, break them mid-generation, measure what is lost."""


@main.group()
def llm() -> None:
    """The fake LLM provider (OpenAI and Anthropic wire-compatible, with a cost ledger)."""


def _error_rules(values: tuple[str, ...]) -> list[dict]:
    rules = []
    for value in values:
        status, sep, probability = value.partition("=")
        try:
            rules.append({"action": "error", "status": int(status), "probability": float(probability) if sep else 1.0})
        except ValueError:
            raise BadInput(f"--error {value!r}: expected STATUS=PROBABILITY, e.g. --error 429=0.1") from None
    return rules


@llm.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 only inside a container).")
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--ttft-ms", type=float, default=200.0, show_default=True, help="Time to first token.")
@click.option("--itl-ms", type=float, default=20.0, show_default=True, help="Inter-token latency.")
@click.option("--jitter-ms", type=float, default=0.0, show_default=True, help="Each delay moves by up to +/- this much (seeded).")
@click.option("--output-tokens", type=int, default=200, show_default=True, help="Answer length before max_tokens caps it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the text, the jitter and probabilistic faults.")
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path), help="Append one JSON line per call here.")
@click.option("--error", "errors", multiple=True, metavar="STATUS=P", help="Answer HTTP STATUS (429, 500, 503, 529) with probability P. Repeatable.")
@click.option("--cut-after-tokens", type=int, help="Cut streams after this many tokens.")
@click.option("--cut-probability", type=float, default=1.0, show_default=True, help="Share of calls the cut hits.")
@click.option("--cut-mode", type=click.Choice(["drop", "error"]), default="drop", show_default=True, help="Drop the connection, or send the provider's error event.")
@click.option("--hang-after-tokens", type=int, help="Stop sending after this many tokens and hold the connection.")
@click.option("--faults", "faults_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="JSON list of fault rules (see stacks/llm/config.py).")
@click.option("--log-level", default="warning", show_default=True, type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def llm_serve(
    host: str,
    port: int,
    ttft_ms: float,
    itl_ms: float,
    jitter_ms: float,
    output_tokens: int,
    seed: int,
    ledger_path: Path | None,
    errors: tuple[str, ...],
    cut_after_tokens: int | None,
    cut_probability: float,
    cut_mode: str,
    hang_after_tokens: int | None,
    faults_file: Path | None,
    log_level: str,
) -> None:
    """Serve the fake provider: OpenAI at /v1/chat/completions, Anthropic at /v1/messages."""
    from stacks.llm.server import PortInUseError, serve

    faults: list[dict] = _error_rules(errors)
    if cut_after_tokens is not None:
        faults.append({"action": "cut", "after_tokens": cut_after_tokens, "probability": cut_probability, "mode": cut_mode})
    if hang_after_tokens is not None:
        faults.append({"action": "hang", "after_tokens": hang_after_tokens})
    if faults_file is not None:
        try:
            loaded = json.loads(faults_file.read_text())
        except ValueError as exc:
            raise BadInput(f"{faults_file}: not valid JSON ({exc})") from None
        if not isinstance(loaded, list):
            raise BadInput(f"{faults_file}: expected a JSON list of fault rules")
        faults.extend(loaded)
    try:
        config = ProviderConfig(
            ttft_ms=ttft_ms,
            itl_ms=itl_ms,
            jitter_ms=jitter_ms,
            output_tokens=output_tokens,
            seed=seed,
            faults=faults,
        )
    except ValidationError as exc:
        raise BadInput(f"invalid provider settings: {describe_validation_error(exc)}") from None
    click.echo(f"fake LLM provider on http://{host}:{port}  (OpenAI: /v1, Anthropic: /, admin: /admin/config)", err=True)
    try:
        serve(config, host=host, port=port, ledger_path=ledger_path, log_level=log_level)
    except PortInUseError as exc:
        raise BadInput(str(exc)) from None


if __name__ == "__main__":
    main()
