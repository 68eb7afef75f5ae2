"""Arm goals through the node graph's two busiest processes: the simulated cell and the Sawyer arm
node, each in its own process over DDS, as in the robot graph. Reports wall seconds per 20 cm goal
and the simulated-to-wall time ratio over the run (the cell runs in lockstep with the arm node, so a
starved executor shows up here as a low ratio).

    .venv/bin/python benchmarks/arm_goals.py [--goals 10]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.action import ActionClient
from visuotactile_grasp_msgs.action import MoveToPose

from visuotactile_grasp.graph.lifecycle import reserve_domain
from visuotactile_grasp.ros.conversions import pose_stamped
from visuotactile_grasp.ros.dds import localhost_env
from visuotactile_grasp.ros.node_process import NodeProcess, spin_until
from visuotactile_grasp.stamps import stamp_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goals", type=int, default=10)
    args = parser.parse_args()
    domain, _lock = reserve_domain()
    env = localhost_env(domain_id=domain)  # a copy of this environment, DDS on loopback
    os.environ.update(localhost_env(domain_id=domain))
    logs = Path(tempfile.mkdtemp(prefix="vtg_arm_bench_"))
    procs = [NodeProcess("sim_cell_node", "sim_cell", {"wsg_port": 0, "use_sim_time": True, "camera_rate": 1.0,
                                                       "gelsight_rate": 1.0}, env, logs / "sim.log", "bench"),
             NodeProcess("sawyer_arm_node", "sawyer_arm", {"use_sim_time": True, "max_speed": 0.2}, env,
                         logs / "arm.log", "bench")]
    rclpy.init()
    node = rclpy.create_node("arm_bench")
    poses = []
    node.create_subscription(PoseStamped, "/arm/ee_pose", poses.append, 1000)
    client = ActionClient(node, MoveToPose, "/arm/move_to_pose")
    try:
        assert spin_until(node, lambda: poses, 60) and client.wait_for_server(timeout_sec=60), f"see {logs}"
        walls, failed = [], 0
        sim_start, wall_start = stamp_seconds(poses[-1].header.stamp), time.monotonic()
        for k in range(args.goals):
            y = 0.1 if k % 2 == 0 else -0.1
            goal = MoveToPose.Goal(target=pose_stamped([0.6, y, 0.3, 0.0], node.get_clock().now().to_msg()))
            t0 = time.monotonic()
            send = client.send_goal_async(goal)
            spin_until(node, send.done, 30)
            result = send.result().get_result_async()
            ok = spin_until(node, result.done, 60) and result.result().result.success
            wall = time.monotonic() - t0
            failed += not ok
            walls.append(wall)
        # over the whole run: the states a client has seen lag the cell, which skews any single goal's ratio
        ratio = (stamp_seconds(poses[-1].header.stamp) - sim_start) / (time.monotonic() - wall_start)
        walls.sort()
        print(f"{args.goals} goals of 20 cm at 0.2 m/s: median {walls[len(walls) // 2]:.2f} s wall, "
              f"worst {walls[-1]:.2f} s; sim/wall over the run {ratio:.2f}x "
              f"(the cell paces to real_time_factor 4 on average since it started, so it runs faster while it "
              f"catches up after a slow start); {failed} failed")
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        for p in procs:
            p.stop()


if __name__ == "__main__":
    main()
