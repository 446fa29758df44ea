"""Errors a user can act on. Each message says what is wrong and what to do.

``BadInputError`` and its subclasses are the user's to fix (exit code 2 from the CLI);
other ``LLMChaosError`` are failures of a run (exit code 1).
"""

from __future__ import annotations


class LLMChaosError(Exception):
    exit_code = 1


class BadInputError(LLMChaosError):
    exit_code = 2


class UnknownStackError(BadInputError):
    pass


class PortInUseError(BadInputError, OSError):
    pass


class NoDockerEngineError(BadInputError):
    pass


class MissingBinaryError(BadInputError):
    pass


class MissingImageError(BadInputError):
    pass


class ComposeFileError(BadInputError):
    pass


class UnhealthyError(LLMChaosError):
    """A service did not become healthy in time; its log tail is in the message."""
