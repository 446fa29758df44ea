"""The architectures under test, the fake LLM provider, and the code they share.

One folder per stack (``mvp``, ``redis``, ``temporal``, ...), plus ``llm`` (the fake
provider every stack talks to) and ``common`` (the provider clients every stack uses).
"""
