"""One node executable in a process of its own, and a client spinning until something holds: how the
tests and the benchmarks talk to a single node over DDS without a whole graph."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import rclpy

from ..graph.lifecycle import child_env
from ..graph.spec import NodeSpec


class NodeProcess:
    """executable run as node name with params; its output goes to log_path. It dies with the process
    that started it, however that one ends (run_node watches VTG_PARENT_PID)."""

    def __init__(self, executable: str, name: str, params: dict, env: dict, log_path: Path,
                 run_id: str = "test") -> None:
        spec = NodeSpec(name, executable, parameters=params)
        exe = str(Path(sys.executable).parent / executable)
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen([exe] + spec.ros_arguments(Path(".")), env=child_env(env, f"{run_id}-{name}"),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.log_path = log_path

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(subprocess.signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        return self.proc.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def spin_until(node, predicate, timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        rclpy.spin_once(node, timeout_sec=0.05)
    return predicate()
