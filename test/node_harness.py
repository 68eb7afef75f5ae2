"""Start one node executable in its own process and talk to it from the test over DDS."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import rclpy

from visuotactile_grasp.graph.lifecycle import child_env
from visuotactile_grasp.graph.spec import NodeSpec


class NodeProcess:
    def __init__(self, executable: str, name: str, params: dict, env: dict, log_path: Path) -> None:
        spec = NodeSpec(name, executable, parameters=params)
        exe = str(Path(sys.executable).parent / executable)
        self.log = open(log_path, "wb")
        # the node dies with this test process, however it ends (run_node watches VTG_PARENT_PID)
        self.proc = subprocess.Popen([exe] + spec.ros_arguments(Path(".")), env=child_env(env, f"test-{name}"),
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


def run_action(node, client, goal, timeout_s: float = 20.0):
    """(accepted, result) for one goal."""
    assert client.wait_for_server(timeout_sec=timeout_s), "action server not available"
    send = client.send_goal_async(goal)
    assert spin_until(node, send.done, timeout_s)
    handle = send.result()
    if not handle.accepted:
        return False, None
    result = handle.get_result_async()
    assert spin_until(node, result.done, timeout_s)
    return True, result.result().result
