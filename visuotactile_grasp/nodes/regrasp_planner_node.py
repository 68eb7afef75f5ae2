"""Regrasp planner: on each plan request, decide the next action or lift; publish a GraspGoal.

Subscribes to the front camera, both GelSight difference images and the arm
pose; rejects requests whose inputs are stale or from different moments.
Forces are clamped to the gripper's range and targets to the workspace,
whatever the policy says.
"""
from __future__ import annotations

import math

import numpy as np
from geometry_msgs.msg import PoseStamped
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from visuotactile_grasp_msgs.msg import GraspGoal, GripperStatus

from .. import topics
from ..geometry import gripper_to_world
from ..planning.policies import make_policy
from ..ros import qos
from ..ros.conversions import pose_to_xyzyaw, xyzyaw_to_pose
from ..ros.diagnostics import OK, WARN, Diagnostics
from ..ros.node_main import run_node
from ..ros.params import Param, declare_params

PARAMS = [
    Param("policy", "cylinder_baseline", "cylinder_baseline, or a learned policy (needs checkpoint)."),
    Param("checkpoint", "", "Trained, calibrated model checkpoint (directory) for learned policies."),
    Param("baseline_force", 10.0, "Constant grip force of the cylinder-fitting baseline (N).", (5.0, 80.0)),
    Param("min_force", 5.0, "Lowest force the planner may command (N).", (0.0, 80.0)),
    Param("max_force", 40.0, "Highest force the planner may command (N).", (1.0, 80.0)),
    Param("lift_threshold", 0.9, "Lift when the calibrated success probability exceeds this.", (0.0, 1.0)),
    Param("max_input_age", 1.0, "Inputs older than this (sim s) before a request are stale.", (0.01, 60.0)),
    Param("max_input_skew", 0.5, "Inputs further apart than this (sim s) are from different moments.", (0.001, 60.0)),
    Param("workspace_lower", [0.35, -0.35, 0.0], "Targets are clamped into this box: lower corner (m)."),
    Param("workspace_upper", [0.90, 0.35, 0.60], "Targets are clamped into this box: upper corner (m)."),
]


def _seconds(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


class RegraspPlannerNode(Node):
    def __init__(self) -> None:
        super().__init__("regrasp_planner")
        self.p = declare_params(self, PARAMS)
        self.policy = make_policy(self.p.policy, self.p.baseline_force)
        self.latest: dict[str, object] = {}
        self.create_subscription(PoseStamped, topics.ARM_EE_POSE, lambda m: self._keep("pose", m), qos.RELIABLE)
        self.create_subscription(Image, topics.KINECT_RGB, lambda m: self._keep("rgb", m), qos.IMAGE)
        for side in topics.SIDES:
            self.create_subscription(Image, topics.gelsight(side, "image_diff"),
                                     lambda m, s=side: self._keep(f"gel_{s}", m), qos.IMAGE)
        self.create_subscription(GripperStatus, topics.GRIPPER_STATUS, self.on_gripper, qos.RELIABLE)
        self.create_subscription(Header, topics.PLAN_REQUEST, self.on_request, qos.RELIABLE)
        self.goal_pub = self.create_publisher(GraspGoal, topics.GRASP_GOAL, qos.RELIABLE)
        self.diag = Diagnostics(self, "regrasp_planner")
        self.current_force = self.p.baseline_force

    def on_gripper(self, msg: GripperStatus) -> None:
        if msg.connected and math.isfinite(msg.force_limit) and msg.force_limit > 0:
            self.current_force = msg.force_limit

    def _keep(self, key: str, msg) -> None:
        self.latest[key] = msg

    def required_inputs(self) -> tuple[str, ...]:
        # The baseline only needs the pose; learned policies need the images too.
        if self.p.policy == "cylinder_baseline":
            return ("pose",)
        return ("pose", "rgb", "gel_left", "gel_right")

    def check_inputs(self, request_time: float) -> str:
        stamps = {}
        for key in self.required_inputs():
            msg = self.latest.get(key)
            if msg is None:
                return f"no {key} received yet"
            stamps[key] = _seconds(msg.header.stamp)
            if request_time - stamps[key] > self.p.max_input_age:
                return f"{key} is stale ({request_time - stamps[key]:.2f} s old)"
        if stamps and max(stamps.values()) - min(stamps.values()) > self.p.max_input_skew:
            return f"inputs from different moments: {stamps}"
        return ""

    def on_request(self, request: Header) -> None:
        problem = self.check_inputs(_seconds(request.stamp))
        if problem:
            self.get_logger().error(f"plan request rejected: {problem}")
            self.diag.publish(WARN, f"plan request rejected: {problem}")
            return
        pose = pose_to_xyzyaw(self.latest["pose"].pose)
        decision = self.policy.decide(self.current_force)
        force = min(max(decision.force, self.p.min_force), self.p.max_force)
        target = gripper_to_world(pose, decision.action[:4])
        target[:3] = np.clip(target[:3], self.p.workspace_lower, self.p.workspace_upper)
        goal = GraspGoal(header=request, policy=self.policy.name, lift=bool(decision.lift),
                         grip_force=float(force), success_probability=float(decision.probability))
        goal.target_pose = xyzyaw_to_pose(target)
        goal.action = [float(v) for v in decision.action]
        goal.regrasp_index = int(request.frame_id) if request.frame_id.isdigit() else 0
        self.goal_pub.publish(goal)
        p = decision.probability
        self.diag.publish(OK, "planned", lift=decision.lift, probability="n/a" if math.isnan(p) else f"{p:.3f}")


def main(args=None) -> int:
    return run_node(RegraspPlannerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
