"""The grasp attempt's robot cell through the node graph: procedure/attempt.py runs on it in the executive.

Each method is one or more blocking steps of ros/robot_steps.RobotSteps (arm and gripper actions,
the gels' background services, the planner's request/answer handshake); a failed step raises
StepFailed, a stop AttemptStopped, and the executive names the outcome.
"""
from __future__ import annotations

import math

import numpy as np
from visuotactile_grasp_msgs.action import GripperCommand

from ..procedure.outcome import Inspection
from ..procedure.attempt import Choice, Fit
from .clocks import node_now
from .conversions import pose_to_xyzyaw
from .robot_steps import StepFailed
from ..stamps import stamp_seconds


class RosGraspCell:
    """node: the GraspExecutiveNode (RobotSteps); outcome: the GraspOutcome being filled in."""

    def __init__(self, node, goal_handle, minimum_force: bool, outcome) -> None:
        self.node, self.goal_handle, self.minimum_force, self.outcome = node, goal_handle, minimum_force, outcome
        self.fit_msg = None
        self._grasp = None  # where the fingers hold the object now
        self.put_down = False  # inspect() put the object down, opened and went to the observation pose

    def prepare(self) -> Fit:
        node = self.node
        node.feedback(self.goal_handle, "open")
        node.grip(GripperCommand.Goal.MOVE, width=node.p.open_width, what="open")
        node.capture_backgrounds(node.capture)
        node.move(np.asarray(node.p.observe_pose, float), what="observe")
        request_time = node_now(node)

        def fresh(fit) -> bool:
            return fit is not None and fit.valid and stamp_seconds(fit.header.stamp) >= request_time - 0.5
        node.wait_or_stop(lambda: fresh(node.fit), node.p.step_timeout)
        fit = node.fit  # one copy, checked and used: node.fit moves on with the fitter's stream
        if not fresh(fit):
            raise StepFailed("no valid cylinder fit from after the arm reached the observation pose "
                             "(Kinect stream stopped, or no object on the table)")
        self.fit_msg = fit  # the fit this attempt grasps from, sent with every plan request
        return Fit(np.array([fit.center.x, fit.center.y, fit.center.z]), float(fit.height))

    def approach(self, grasp, above_z: float) -> None:
        self._grasp = np.asarray(grasp, float)
        self.node.approach_grasp(grasp, above_z)

    def close(self, force: float, what: str) -> None:
        self.node.close_fingers(force, what)  # a gripper fault raises; closing on nothing does not

    def decide(self, index: int, pose, force: float, fit: Fit) -> Choice:
        node, req = self.node, self.goal_handle.request
        goal = node.ask_planner(index, self.minimum_force, self.fit_msg)
        if req.policy and goal.policy != req.policy:
            node.get_logger().warning(f"asked for policy {req.policy!r}, the planner runs {goal.policy!r}",
                                      throttle_duration_sec=60.0)
        # the policy is the one the planner reports in its answers, not the one the client asked for
        self.outcome.policy = goal.policy
        self.outcome.final_probability = goal.success_probability
        if not goal.lift and index >= node.p.max_regrasps:
            node.get_logger().info("regrasp limit reached: lifting the current grasp at its own force")
        return Choice(bool(goal.lift), float(goal.grip_force), pose_to_xyzyaw(goal.target_pose),
                      float(goal.success_probability), np.asarray(goal.action, float))

    def regrasp(self, index: int, target, force: float) -> None:
        self._grasp = np.asarray(target, float)
        self.node.regrasp_to(target, force, index)

    def lift_and_hold(self, height: float, seconds: float) -> None:
        self.node.lift_and_hold(height, seconds)

    def label(self) -> tuple[bool, bool | None]:
        contacts = self.node.fresh_contacts(after=node_now(self.node))
        success = all(c.in_contact for c in contacts)
        return success, (None if self.node.sim_held is None else bool(self.node.sim_held))

    def inspect(self) -> Inspection:
        """With inspect_damage: touch down, put down, look again (ros/robot_steps.inspect_after_hold).
        Without: Inspection() (nothing seen), holding alone decides."""
        node = self.node
        if not node.p.inspect_damage:
            return Inspection()
        self.phase("inspect")
        fitted = (float(self.fit_msg.radius), float(self.fit_msg.height))
        seen = node.inspect_after_hold(self._grasp, fitted, lambda: node.fit, node.fresh_contacts)
        self.put_down = True
        return seen

    def phase(self, name: str, index: int = 0, probability: float = math.nan) -> None:
        self.node.feedback(self.goal_handle, name, index, probability)
