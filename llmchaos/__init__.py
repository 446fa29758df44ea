"""llmchaos: deploy LLM chat backends for real, break them mid-generation, measure the loss."""

__version__ = "0.1.0"
