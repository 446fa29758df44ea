"""The fake provider as a service of every stack (each stack's compose file runs one)."""

from __future__ import annotations

from stacks.spec import LocalContext, LocalProcess


def llm_process(ctx: LocalContext) -> LocalProcess:
    """``llmchaos llm serve`` on the stack's llm port, its ledger in the stack's data.

    Latency settings come from LLM_TTFT_MS, LLM_ITL_MS, LLM_JITTER_MS, LLM_OUTPUT_TOKENS
    and LLM_SEED in the environment, as in the compose files.
    """
    return LocalProcess(
        [ctx.python, "-m", "llmchaos", "llm", "serve", "--port", str(ctx.port("llm")), "--ledger", str(ctx.data_dir / "llm-data" / "ledger.jsonl")]
    )
