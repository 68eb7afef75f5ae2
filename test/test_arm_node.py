"""The Sawyer arm node against the simulated cell over ROS: goals reached, bad goals rejected,
relative goals in the gripper frame, and the Cartesian speed limit respected (in sim time)."""
import math

import numpy as np
import pytest
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.action import ActionClient
from visuotactile_grasp_msgs.action import MoveToPose

from node_harness import NodeProcess, run_action, spin_until
from visuotactile_grasp.ros.conversions import pose_stamped, pose_to_xyzyaw


@pytest.fixture
def arm(ros_env, tmp_path):
    procs = [NodeProcess("sim_cell_node", "sim_cell", {"wsg_port": 0, "use_sim_time": True, "camera_rate": 1.0,
                                                       "gelsight_rate": 1.0}, ros_env, tmp_path / "sim.log"),
             NodeProcess("sawyer_arm_node", "sawyer_arm", {"use_sim_time": True, "max_speed": 0.2},
                         ros_env, tmp_path / "arm.log")]
    rclpy.init()
    node = rclpy.create_node("test_arm_client")
    poses = []
    node.create_subscription(PoseStamped, "/arm/ee_pose", poses.append, 1000)
    client = ActionClient(node, MoveToPose, "/arm/move_to_pose")
    try:
        assert spin_until(node, lambda: poses, 30), procs[1].output()
        yield node, client, poses
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        codes = [p.stop() for p in procs]
        assert codes == [0, 0], [p.output()[-2000:] for p in procs]


def _goal(v, relative=False):
    return MoveToPose.Goal(target=pose_stamped(v, rclpy.clock.Clock().now().to_msg()), relative=relative)


def test_absolute_and_relative_goals(arm):
    node, client, poses = arm
    ok, result = run_action(node, client, _goal([0.55, 0.05, 0.25, 0.5]))
    assert ok and result.success, result and result.message
    final = pose_to_xyzyaw(result.final_pose.pose)
    # the node's tolerances: 2 mm and 0.02 rad (config/sawyer_arm.yaml)
    np.testing.assert_allclose(final[:3], [0.55, 0.05, 0.25], atol=0.003)
    assert abs(final[3] - 0.5) <= 0.021
    # 2 cm along the gripper's x axis, which points at yaw 0.5 in the world
    ok, result = run_action(node, client, _goal([0.02, 0.0, 0.0, 0.0], relative=True))
    assert ok and result.success
    final = pose_to_xyzyaw(result.final_pose.pose)
    np.testing.assert_allclose(final[:2], [0.55 + 0.02 * math.cos(0.5), 0.05 + 0.02 * math.sin(0.5)], atol=0.003)


@pytest.mark.parametrize("target", [[math.nan, 0.0, 0.2, 0.0], [0.6, 0.0, -0.2, 0.0], [1.5, 0.0, 0.2, 0.0],
                                    [0.6, 0.0, 0.2, math.nan]])
def test_bad_goals_rejected(arm, target):
    node, client, _ = arm
    ok, _ = run_action(node, client, _goal(target))
    assert not ok


def test_speed_limit_in_sim_time(arm):
    node, client, poses = arm
    ok, result = run_action(node, client, _goal([0.6, -0.1, 0.3, 0.0]))
    assert ok and result.success
    # let the cell settle the last millimetres of that goal before recording
    spin_until(node, lambda: False, 1.0)
    start = len(poses)
    ok, result = run_action(node, client, _goal([0.6, 0.1, 0.3, 0.0]))
    assert ok and result.success
    track = poses[start:]
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in track]
    assert stamps == sorted(stamps), "end-effector poses republished out of order"
    t = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in track])
    y = np.array([m.pose.position.y for m in track])
    moving = np.nonzero(np.abs(y - y[0]) > 1e-4)[0]
    t0 = t[moving[0] - 1]
    # Never ahead of the 0.2 m/s envelope from the start of the motion (sim time). Slack: the
    # node's max_lead (5 mm) that a late command may let the cell catch up, plus one state period.
    # The cell alone would move at 0.5 m/s.
    after = slice(moving[0] - 1, None)
    envelope = 0.2 * (t[after] - t0) + 0.005 + 0.002 + 0.2 * 0.01
    excess = np.abs(y[after] - y[0]) - envelope
    assert np.all(excess <= 0), (excess.max(), np.round(t[after][:40] - t0, 3).tolist(),
                                 np.round(y[after][:40] - y[0], 4).tolist())
    assert t[moving[-1]] - t0 >= 0.9  # 20 cm at 0.2 m/s takes about 1 s of sim time
