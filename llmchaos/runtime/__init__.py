"""Runtimes: the same stack deployed in Docker or as local processes, behind one interface."""

from __future__ import annotations

from typing import Any

from stacks.spec import Stack

from .base import RESTART_POLICIES, Runtime, live_runtimes

RUNTIME_CHOICES = ("auto", "docker", "local")


def choose_runtime(requested: str) -> tuple[str, str]:
    """The runtime to use and why: ``auto`` is docker when an engine answers, else local."""
    from .docker import engine_available

    if requested == "auto":
        if engine_available():
            return "docker", "auto: a Docker engine answers, using docker"
        return "local", "auto: no Docker engine answers, using local processes"
    if requested not in RUNTIME_CHOICES:
        raise ValueError(f"runtime {requested!r}: expected one of {', '.join(RUNTIME_CHOICES)}")
    return requested, f"using {requested} (asked for)"


def runtime_class(kind: str) -> type[Runtime]:
    """The class of the runtime ``kind`` ("docker" or "local")."""
    if kind == "docker":
        from .docker import DockerRuntime

        return DockerRuntime
    if kind == "local":
        from .local import LocalRuntime

        return LocalRuntime
    raise ValueError(f"runtime {kind!r}: expected docker or local")


def make_runtime(kind: str, stack: Stack, **kwargs: Any) -> Runtime:
    """A runtime of ``kind`` ("docker" or "local") for ``stack``."""
    return runtime_class(kind)(stack, **kwargs)


__all__ = ["RESTART_POLICIES", "RUNTIME_CHOICES", "Runtime", "choose_runtime", "live_runtimes", "make_runtime", "runtime_class"]
