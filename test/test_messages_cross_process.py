"""The project's own messages cross a process boundary over DDS (loopback only)."""
import subprocess
import sys
import time

import rclpy
from visuotactile_grasp_msgs.msg import GraspGoal

PUBLISHER = r"""
import time, rclpy
from visuotactile_grasp_msgs.msg import GraspGoal
rclpy.init()
node = rclpy.create_node("test_goal_publisher")
pub = node.create_publisher(GraspGoal, "/test/grasp_goal", 10)
end = time.monotonic() + 20
i = 0
while time.monotonic() < end:
    msg = GraspGoal(grip_force=12.5, lift=True, success_probability=0.93, policy="tactile_vision",
                    regrasp_index=i)
    msg.target_pose.position.x = 0.61
    msg.action = [0.01, -0.02, 0.0, 0.1, 2.5]
    pub.publish(msg)
    i += 1
    rclpy.spin_once(node, timeout_sec=0.05)
"""


def test_grasp_goal_crosses_processes(ros_env):
    proc = subprocess.Popen([sys.executable, "-c", PUBLISHER], env=ros_env)
    rclpy.init()
    try:
        node = rclpy.create_node("test_goal_subscriber")
        got = []
        node.create_subscription(GraspGoal, "/test/grasp_goal", got.append, 10)
        deadline = time.monotonic() + 20
        while not got and time.monotonic() < deadline:
            rclpy.spin_once(node, timeout_sec=0.1)
        assert got, "no GraspGoal arrived from the other process"
        msg = got[0]
        assert msg.grip_force == 12.5 and msg.lift and msg.policy == "tactile_vision"
        assert msg.target_pose.position.x == 0.61
        assert list(msg.action) == [0.01, -0.02, 0.0, 0.1, 2.5]
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
        proc.kill()
        proc.wait()
