"""The Sawyer arm node against the simulated cell over ROS: goals reached, bad goals rejected,
relative goals in the gripper frame, and the Cartesian speed limit respected (in sim time)."""
import contextlib
import math
import time

import numpy as np
import pytest
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.action import ActionClient
from rclpy.time import Time
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
    # the node's tolerances: 2 mm and 0.02 rad (settings/sawyer_arm.py)
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


class SlowCell:
    """A stand-in robot in the test process: publishes /clock and the end-effector state at a pace the
    test sets, and moves the end effector to each command it receives."""

    def __init__(self, node) -> None:
        from rosgraph_msgs.msg import Clock

        self.node, self.Clock = node, Clock
        self.pose = np.array([0.6, 0.0, 0.3, 0.0])
        self.t = 100.0
        self.clock_pub = node.create_publisher(Clock, "/clock", 10)
        self.state_pub = node.create_publisher(PoseStamped, "/robot/ee_state", 10)
        node.create_subscription(PoseStamped, "/robot/ee_command",
                                 lambda m: setattr(self, "pose", pose_to_xyzyaw(m.pose)), 10)
        self.republished = []  # stamps of the states the arm node has taken in (it republishes each)
        node.create_subscription(PoseStamped, "/arm/ee_pose",
                                 lambda m: self.republished.append(Time.from_msg(m.header.stamp).nanoseconds), 10)

    def fresh_state(self) -> None:
        """Publish a state and wait until the arm node has it (a handshake, not a pause)."""
        self.tick(0.01)
        stamp = Time(seconds=self.t).nanoseconds
        assert spin_until(self.node, lambda: stamp in self.republished, 10)

    def tick(self, sim_dt: float, state: bool = True) -> None:
        self.t += sim_dt
        stamp = Time(seconds=self.t).to_msg()
        self.clock_pub.publish(self.Clock(clock=stamp))
        if state:
            self.state_pub.publish(pose_stamped(self.pose, stamp))

    def run_goal(self, client, goal, wall_per_tick: float, sim_dt: float, state: bool = True,
                 clock: bool = True, timeout_s: float = 60.0):
        """Send goal; tick at wall_per_tick until it ends. Returns the result."""
        send = client.send_goal_async(goal)
        result = None
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if clock:
                self.tick(sim_dt, state)
            spin_until(self.node, lambda: False, wall_per_tick)
            if result is None and send.done():
                assert send.result().accepted
                result = send.result().get_result_async()
            if result is not None and result.done():
                return result.result().result
        raise AssertionError("goal did not end")


@contextlib.contextmanager
def arm_against_a_test_cell(ros_env, tmp_path, name: str, **params):
    """The arm node on sim time, driven by a SlowCell in this process; yields (node, cell, client)."""
    proc = NodeProcess("sawyer_arm_node", "sawyer_arm", {"use_sim_time": True, "max_speed": 0.2, **params},
                       ros_env, tmp_path / "arm.log")
    rclpy.init()
    node = rclpy.create_node(name)
    cell = SlowCell(node)
    client = ActionClient(node, MoveToPose, "/arm/move_to_pose")
    try:
        assert client.wait_for_server(timeout_sec=60), proc.output()
        cell.fresh_state()
        yield node, cell, client
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()[-2000:]


def test_slow_cell_is_not_stale_but_a_stalled_one_is(ros_env, tmp_path):
    """A cell slowed down by load (1.5 s of wall time between states) keeps moving the arm; states that
    stop while the robot's clock runs are stale after state_timeout of that clock; a clock that stops
    too is a stall after stall_timeout steady seconds. (Under load the arm used to abort as 'stale'.)"""
    with arm_against_a_test_cell(ros_env, tmp_path, "slow_cell", state_timeout=1.0, stall_timeout=4.0) as (
            node, cell, client):
        result = cell.run_goal(client, _goal([0.6, 0.004, 0.3, 0.0]), wall_per_tick=1.5, sim_dt=0.01)
        assert result.success, result.message
        result = cell.run_goal(client, _goal([0.6, 0.1, 0.3, 0.0]), wall_per_tick=0.05, sim_dt=0.05, state=False)
        assert not result.success and "went stale" in result.message, result.message
        cell.fresh_state()
        start = time.monotonic()
        result = cell.run_goal(client, _goal([0.6, 0.1, 0.3, 0.0]), wall_per_tick=0.05, sim_dt=0.0, clock=False)
        assert not result.success and "stalled" in result.message, result.message
        assert time.monotonic() - start >= 3.5


def test_clock_running_ahead_of_delayed_states_is_not_stale(ros_env, tmp_path):
    """A paused process catches up on /clock before its state backlog: the robot's clock jumps 1.5 s
    past the latest state, whose successor arrives 0.2 s of wall time later. That is a late state,
    not a stream gone stale (a loaded machine made the grasp graph abort moves as 'stale' this way)."""
    with arm_against_a_test_cell(ros_env, tmp_path, "jumpy_cell", state_timeout=1.0, state_timeout_steady=1.0) as (
            node, cell, client):
        send = client.send_goal_async(_goal([0.6, 0.02, 0.3, 0.0]))
        assert spin_until(node, send.done, 30) and send.result().accepted
        result = send.result().get_result_async()
        end = time.monotonic() + 60
        while not result.done() and time.monotonic() < end:
            cell.tick(1.5, state=False)  # the clock runs ahead ...
            spin_until(node, lambda: False, 0.2)
            cell.tick(0.0)  # ... and the state follows late
            spin_until(node, result.done, 0.3)
        assert result.done() and result.result().result.success, result.done() and result.result().result.message
