"""Code every stack shares: the provider clients, built on the official SDKs."""

from .llm_clients import LLMClients, ProviderSettings, generate_full_text, stream_anthropic, stream_openai

__all__ = ["LLMClients", "ProviderSettings", "generate_full_text", "stream_anthropic", "stream_openai"]
