"""Periodic jobs in their own threads: blocking database and HTTP work there cannot freeze the
server's event loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk_api.db import get_engine
from kiosk_api.jobs.lock import exclusive

log = logging.getLogger("lotse.jobs")


@dataclass
class PeriodicJob:
    """Runs `work` every `interval_seconds` (sooner when woken), while it holds the job's
    cross-process lock."""

    name: str
    interval_seconds: float
    work: Callable[[], object]
    first_delay_seconds: float = 0.0
    close: Callable[[], object] | None = None
    wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name=f"lotse-job-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.close is not None:
            self.close()

    def run_once(self) -> bool:
        """One round if this process holds the job now; False when another worker does."""
        with exclusive(get_engine(), self.name) as held:
            if held:
                self.work()
            return held

    def _loop(self) -> None:
        if self.first_delay_seconds and self._stop.wait(self.first_delay_seconds):
            return
        while not self._stop.is_set():
            self.wake.clear()
            try:
                self.run_once()
            except Exception:  # a database or network hiccup must not end the job
                log.exception("job %s failed; retried in %.0f s", self.name, self.interval_seconds)
            self.wake.wait(self.interval_seconds)


@dataclass
class Jobs:
    jobs: list[PeriodicJob]

    def start(self) -> None:
        for job in self.jobs:
            job.start()

    def stop(self) -> None:
        for job in self.jobs:
            job.stop()
