"""Start one node executable in its own process and talk to it from the test over DDS
(visuotactile_grasp/ros/node_process.py, shared with the benchmarks)."""
from __future__ import annotations

from visuotactile_grasp.ros.node_process import NodeProcess, spin_until

__all__ = ["NodeProcess", "run_action", "spin_until"]


def run_action(node, client, goal, timeout_s: float = 20.0, server_log=lambda: "(server log not given)"):
    """(accepted, result) for one goal. A failed step names itself and shows server_log()."""
    assert client.wait_for_server(timeout_sec=timeout_s), f"action server not available\n{server_log()}"
    send = client.send_goal_async(goal)
    assert spin_until(node, send.done, timeout_s), f"goal not acknowledged in {timeout_s} s\n{server_log()}"
    handle = send.result()
    if not handle.accepted:
        return False, None
    result = handle.get_result_async()
    assert spin_until(node, result.done, timeout_s), f"no result in {timeout_s} s\n{server_log()}"
    return True, result.result().result
