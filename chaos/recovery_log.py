"""What a service's log says about recovering its data: named lines, counted.

Why: the users' outcome says whether answers survived a crash or a power cut, and the
disk's survey (``chaos/lazyfs/survey.py``) what the cut took from the files; neither says
what the datastore did in between. PostgreSQL says "automatic recovery in progress" and
"redo done at ..." when it replays its WAL; Redis says "short read while loading the AOF"
when its append-only file ends mid-record. Which lines matter is the stack's knowledge
(``x-llmchaos.recovery_log`` in its compose.yaml, named patterns per service); this module
only counts them in a log, so it is pure and tested on hand-made logs. The cell records
what each service said in its history (``process: orchestrator``, ``f: recovery-log``), and
``llmchaos.metrics.recovery_logs`` sums it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MAX_LINES = 8  # lines quoted per service: enough to read what happened, not the whole log
MAX_CHARS = 240  # per quoted line


def said(log: str, patterns: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Per pattern name, how many lines of ``log`` match it (``said``), and the first few
    matching lines (``lines``). A line matching two patterns counts for both, quoted once."""
    compiled = [(name, re.compile(pattern)) for name, pattern in patterns]
    counts = dict.fromkeys((name for name, _ in compiled), 0)
    quoted: list[str] = []
    for line in log.splitlines():
        hits = [name for name, rx in compiled if rx.search(line)]
        for name in hits:
            counts[name] += 1
        if hits and len(quoted) < MAX_LINES:
            quoted.append(line.strip()[:MAX_CHARS])
    return {"said": counts, "lines": quoted}


def read_logs(logs: Path, patterns: Mapping[str, Iterable[tuple[str, str]]]) -> dict[str, dict[str, Any]]:
    """What each service with patterns said in its collected log (``logs/<service>.log``);
    a service whose log is missing is left out (it was not deployed, or not collected)."""
    found = {}
    for service, wanted in sorted(patterns.items()):
        path = logs / f"{service}.log"
        if wanted and path.is_file():
            found[service] = said(path.read_text(errors="replace"), wanted)
    return found
