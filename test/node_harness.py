"""Start one node executable in its own process and talk to it from the test over DDS
(visuotactile_grasp/ros/node_process.py, shared with the benchmarks)."""
from __future__ import annotations

from visuotactile_grasp.ros.node_process import NodeProcess, spin_until

__all__ = ["NodeProcess", "run_action", "spin_until"]


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
