"""The check before a lift (RobotSteps.check_gripper) without a graph: which gripper statuses let a
lift go ahead, and that a status stamped after the check but read before it is never enough."""
from types import SimpleNamespace

import pytest
from builtin_interfaces.msg import Time
from std_msgs.msg import Header
from visuotactile_grasp_msgs.msg import GripperStatus

from visuotactile_grasp.devices.wsg50.protocol import GraspingState
from visuotactile_grasp.ros.robot_steps import RobotSteps, StepFailed

NOW = 10.0  # the robot's clock at the check


class FeedSteps(RobotSteps):
    """RobotSteps whose waits deliver the next status of a script instead of spinning ROS."""

    def __init__(self, statuses):
        self.p = SimpleNamespace(step_timeout=1.0)
        self.feed = list(statuses)
        self.gripper_status, self.gripper_status_count = None, 0
        self.ignored = []
        self.bad_input = SimpleNamespace(problem=lambda problem, what: self.ignored.append(problem.text))

    def get_clock(self):
        return SimpleNamespace(now=lambda: SimpleNamespace(nanoseconds=int(NOW * 1e9)))

    def wait_or_stop(self, predicate, timeout_s):
        while not predicate():
            if not self.feed:
                return False
            self._on_gripper_status(self.feed.pop(0))
        return True


def status(at: float, connected=True, fault=False, state=GraspingState.HOLDING, message="",
           force_limit=20.0) -> GripperStatus:
    sec = int(at)
    header = Header(stamp=Time(sec=sec, nanosec=int(round((at - sec) * 1e9))))
    return GripperStatus(header=header, connected=connected, fault=fault, grasping_state=int(state),
                         fault_message=message, force_limit=force_limit)


def test_two_healthy_statuses_after_the_check_let_the_lift_go():
    FeedSteps([status(9.0), status(10.05), status(10.1)]).check_gripper("lift")


@pytest.mark.parametrize("second, why", [
    (status(10.1, fault=True, message="fast stop"), "fast stop"),
    (status(10.1, connected=False), "not connected"),
    (status(10.1, state=GraspingState.ERROR), "ERROR")])
def test_a_fault_in_the_first_reading_after_the_check_stops_the_lift(second, why):
    # the first status stamped after the check may hold registers read before it: the next one decides
    with pytest.raises(StepFailed, match=why):
        FeedSteps([status(10.05), second]).check_gripper("lift")


def test_statuses_from_before_the_check_are_not_enough():
    with pytest.raises(StepFailed, match="no gripper status read after the check"):
        FeedSteps([status(9.9), status(9.95), status(10.01)]).check_gripper("lift")


def test_a_malformed_or_far_future_status_is_ignored_by_name():
    steps = FeedSteps([status(10.05), status(10.1, force_limit=float("nan")), status(1e9), status(10.2)])
    steps.check_gripper("lift")
    assert len(steps.ignored) == 2 and steps.gripper_status.header.stamp.sec == 10, steps.ignored
