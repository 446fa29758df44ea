"""The health probe: every service's health, every 100 ms, from a fault to full recovery.

Why a separate thread writing to the history: recovery time (a) is "from the fault to
health OK", and it must be read off the same clock as the chunks the users received, at a
resolution finer than the recovery itself. Each tick probes every service at once (a
frozen service must not delay the others' answers) and writes one line::

    {"process": "probe", "type": "info", "f": "health",
     "value": {"fault": 0, "services": {"backend": false, "llm": true}, "healthy": false}}

The probe ends with a line whose value has ``"recovered": true`` once the nemesis has done
its recovery action and every service answers, or ``"recovered": false`` if it had to
stop first (the cell ended, Ctrl-C, or ``max_s``).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from llmchaos.history import HistoryWriter
from llmchaos.runtime import Runtime


class HealthProbe:
    def __init__(self, runtime: Runtime, history: HistoryWriter, fault: int, interval_s: float = 0.1, max_s: float = 300.0) -> None:
        self.runtime, self.history, self.fault = runtime, history, fault
        self.interval_s, self.max_s = interval_s, max_s
        self.recovery_done = threading.Event()  # set by the nemesis once it has brought things back
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"probe-{fault}", daemon=True)
        self.recovered_t: float | None = None  # history time of the first all-healthy tick after recovery

    def start(self) -> "HealthProbe":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _healthy(self, service: str) -> bool:
        try:
            return self.runtime.is_healthy(service)
        except Exception:  # an engine hiccup is "not healthy now", never the end of the probe
            return False

    def _run(self) -> None:
        services = self.runtime.services()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(services), thread_name_prefix="probe") as pool:
            while not self._stop.is_set():
                tick = time.monotonic()
                states = dict(zip(services, pool.map(self._healthy, services)))
                healthy = all(states.values())
                done = healthy and self.recovery_done.is_set()
                event = self.history.record(
                    "probe", "info", "health", None,
                    {"fault": self.fault, "services": states, "healthy": healthy, **({"recovered": True} if done else {})},
                )  # fmt: skip
                if done:
                    self.recovered_t = event.t
                    return
                if tick - started > self.max_s:
                    break
                self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - tick)))
        self.history.record("probe", "info", "health", None, {"fault": self.fault, "recovered": False, "why": "stopped before full recovery"})
