"""Latest message per stream, with a blocking wait for one stamped at or after a given time.

A trial snapshot must show the world after the step that preceded it (fingers closed, object
lifted); taking "the latest frame" could hand back one from before, so waits are by stamp.
"""
from __future__ import annotations

import threading

from .clocks import wait_for
from ..stamps import stamp_seconds


class FrameCache:
    def __init__(self, wait=wait_for) -> None:
        """wait(predicate, timeout_s) -> bool: steady by default; the data collector passes its
        RobotSteps.wait_or_stop, so a slow simulated cell is waited for in its own time."""
        self._wait = wait
        self._latest: dict[str, object] = {}
        self._lock = threading.Lock()

    def callback(self, key: str):
        def store(msg) -> None:
            with self._lock:
                self._latest[key] = msg
        return store

    def latest(self, key: str):
        with self._lock:
            return self._latest.get(key)

    def fresh(self, key: str, after: float, timeout_s: float):
        """The first message seen with stamp >= after, or None when none arrives within timeout_s."""
        def ready() -> bool:
            msg = self.latest(key)
            return msg is not None and stamp_seconds(msg.header.stamp) >= after - 1e-6
        return self.latest(key) if self._wait(ready, timeout_s) else None
