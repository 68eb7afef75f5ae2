"""Module-level task functions for test_scale_ray.py (Ray workers import them by name)."""
import os
import time
from pathlib import Path

_state = {}


def remember(value) -> None:
    _state["value"] = value


def add_remembered(task: int) -> tuple[int, int, int]:
    return task, _state["value"] + task * task, os.getpid()


def announce_then_sleep(folder: str) -> None:
    """Writes a file named after this worker's pid (the test's handshake), then blocks."""
    (Path(folder) / str(os.getpid())).touch()
    time.sleep(600)


class Pid:
    """An actor that says which process it is."""

    def pid(self) -> int:
        return os.getpid()
