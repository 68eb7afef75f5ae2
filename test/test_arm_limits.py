import math

import numpy as np
import pytest

from visuotactile_grasp.devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from visuotactile_grasp.devices.sawyer.limits import ArmLimits, GoalRejected
from visuotactile_grasp.sim.kinematic_cell import KinematicCell

LIMITS = ArmLimits(WORKSPACE_LOWER, WORKSPACE_UPPER, 0.3)
HERE = np.array([0.6, 0.0, 0.2, 0.0])


@pytest.mark.parametrize("target", [
    [math.nan, 0, 0.2, 0], [0.6, math.inf, 0.2, 0], [0.6, 0, 0.2, math.nan],
    [2.0, 0, 0.2, 0], [0.6, 0, -0.1, 0], [0.6, 0.5, 0.2, 0]])
def test_bad_absolute_goals_rejected(target):
    with pytest.raises(GoalRejected):
        LIMITS.resolve_goal(HERE, np.array(target, float), relative=False)


def test_relative_goal_in_gripper_frame():
    current = np.array([0.6, 0.0, 0.2, math.pi / 2])
    target = LIMITS.resolve_goal(current, np.array([0.01, 0.0, 0.02, 0.1]), relative=True)
    np.testing.assert_allclose(target, [0.6, 0.01, 0.22, math.pi / 2 + 0.1], atol=1e-12)


def test_relative_goal_leaving_workspace_rejected():
    with pytest.raises(GoalRejected, match="workspace"):
        LIMITS.resolve_goal(np.array([0.6, 0.0, 0.58, 0.0]), np.array([0, 0, 0.05, 0]), relative=True)


def test_relative_goal_without_pose_rejected():
    with pytest.raises(GoalRejected, match="unknown"):
        LIMITS.resolve_goal(np.full(4, np.nan), np.zeros(4), relative=True)


def test_speed_never_above_limit():
    assert LIMITS.speed(5.0) == 0.3
    assert LIMITS.speed(math.nan) == 0.3
    assert LIMITS.speed(0.1) == 0.1


def test_simulated_arm_rejects_bad_commands_and_respects_speed():
    cell = KinematicCell()
    with pytest.raises(ValueError):
        cell.command_ee([math.nan, 0, 0.2, 0])
    with pytest.raises(ValueError):
        cell.command_ee([0.6, 0, 5.0, 0])
    start = cell.ee.copy()
    cell.command_ee([0.8, 0.0, 0.35, 0.0])
    cell.step(0.1)
    assert np.linalg.norm(cell.ee[:3] - start[:3]) <= cell.config.workspace.max_speed * 0.1 + 1e-9


def test_ground_truth_is_a_plain_bool_through_a_lift():
    # rclpy serialises numpy.bool_ as False: the simulator must hand out plain bools
    cell = KinematicCell()
    _, xy = cell.reset_object("easy_00", (0.6, 0.0))
    cell.command_ee([0.6, 0.0, 0.05, 0.0])
    for _ in range(400):
        cell.step(0.005)
    cell.gripper.force_limit = 20.0
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    for _ in range(400):
        cell.step(0.005)
    cell.command_ee([0.6, 0.0, 0.15, 0.0])
    for _ in range(400):
        cell.step(0.005)
    held = cell.ground_truth_held()
    assert type(held) is bool and held


def test_clock_progress_ignores_the_sim_clock_starting():
    """A sim-time clock reads 0 until its first /clock: the jump to the simulator's time is not elapsed time."""
    from visuotactile_grasp.ros.clocks import ClockProgress

    class FakeNode:
        ns = 0

        def get_clock(self):
            return self

        def now(self):
            return self

        @property
        def nanoseconds(self):
            return self.ns

    node = FakeNode()
    progress = ClockProgress(node)
    node.ns = 3_600 * 10**9  # the first /clock: an hour into the simulation
    assert progress.elapsed() == 0.0
    node.ns += 2 * 10**9
    assert progress.elapsed() == 2.0
