"""Code every stack shares: the provider clients (``llm_clients``, built on the official
SDKs), the chat API, the frontend and the datastores' helpers.

Empty on purpose: a service imports the modules it uses, so one that never calls a
provider (a frontend, a backend that only enqueues) does not pay the SDKs' import (about
3 to 4 s of CPU for openai and anthropic together), at every start and every restart.
"""
