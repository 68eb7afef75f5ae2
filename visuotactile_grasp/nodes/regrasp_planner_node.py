"""Regrasp planner: answer each plan request with one GraspGoal: the next action or lift.

Subscribes to the front camera, both GelSight difference images and the arm
pose. A request names the moment its inputs must come from; the planner plans
from the first of each input stamped at or after it (planning/decision_inputs.py),
waiting for those that have not arrived, and answers INPUTS_MISSING after
input_timeout (steady) or REJECTED when the inputs are inconsistent or bad.
Learned policies load a trained, calibrated checkpoint and score 5,000
candidate actions per request (planning/regrasp.py). Forces are clamped to the
gripper's range and targets to the workspace, whatever the policy says.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace

from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import CameraInfo, Image
from visuotactile_grasp_msgs.msg import GraspGoal, GripperStatus, PlanRequest

from ..streams import keyed_rng
from .. import topics
from ..graph import interfaces
from ..collection.trial import CollectConfig, region_of_fit
from ..planning.decision_inputs import InputHistory, select_inputs
from ..planning.policies import LEARNED_POLICIES, make_policy
from ..planning.step import StepLimits, plan_step
from ..ros import qos
from ..ros.conversions import pose_to_xyzyaw, xyzyaw_to_pose
from ..ros.declared_node import DeclaredNode
from ..ros.diagnostics import OK, WARN, Diagnostics
from ..image_decoding import ImageConversionError
from ..ros.image_conversion import image_to_numpy
from ..ros.input_checks import (COLOUR_ENCODINGS, GRIPPER_FORCE_RANGE, CauseLog, Problem, checked_camera_model,
                               cylinder_fit_problem, force_problem, image_problem, pose_problem, stamp_ahead)
from ..ros.node_main import run_node
from ..ros.clocks import node_now, steady_timer
from ..planning.action_space import force_range
from ..ros.params import declare_params
from ..settings.regrasp_planner import PARAMS
from ..stamps import stamp_seconds



class RegraspPlannerNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("regrasp_planner", interfaces.regrasp_planner_node())
        self.p = declare_params(self, PARAMS)
        self.limits = StepLimits(*force_range(self.p.force_range), tuple(self.p.workspace_lower),
                                 tuple(self.p.workspace_upper))
        if self.p.policy in LEARNED_POLICIES:
            self.policy = self._load_learned()
        else:
            self.policy = make_policy(self.p.policy, self.p.baseline_force)
        self.rng = keyed_rng((self.p.seed,), "planner")
        self.collection = CollectConfig.from_params_file()  # the ranges the model's data was collected in
        # the arm pose streams ten times faster than the cameras: it keeps ten times as many
        self.history = InputHistory(maxlen=self.p.input_history, per_key={"pose": 10 * self.p.input_history})
        self.pending: list[tuple[PlanRequest, float]] = []  # (request, steady deadline), oldest first
        self.bad_input = CauseLog(self.get_logger())
        self.create_subscription(PoseStamped, topics.ARM_EE_POSE, lambda m: self._keep("pose", m),
                                 qos.DECISION_POSE)
        self.create_subscription(Image, topics.KINECT_RGB, lambda m: self._keep("rgb", m), qos.DECISION_IMAGE)
        # the front RGB is registered to the depth camera: its CameraInfo and the extrinsics give the model
        # that crops the image around the grasp (a model with the object view plans only once it has come)
        self.create_subscription(CameraInfo, topics.KINECT_DEPTH_INFO, self.on_camera_info, qos.IMAGE)
        for side in topics.SIDES:
            self.create_subscription(Image, topics.gelsight(side, "image_diff"),
                                     lambda m, s=side: self._keep(f"gel_{s}", m), qos.DECISION_IMAGE)
        self.create_subscription(GripperStatus, topics.GRIPPER_STATUS, self.on_gripper, qos.RELIABLE)
        self.create_subscription(PlanRequest, topics.PLAN_REQUEST, self.on_request, qos.REQUESTS)
        self.goal_pub = self.create_publisher(GraspGoal, topics.GRASP_GOAL, qos.ANSWERS)
        self.diag = Diagnostics(self, "regrasp_planner")
        self.current_force = self.p.baseline_force
        steady_timer(self, 0.1, self.serve_pending)  # answers INPUTS_MISSING once a request's time is up

    def _load_learned(self):
        from ..model import checkpoint
        from ..planning.regrasp import CandidateConfig, LearnedPolicy, planner_candidates

        if not self.p.checkpoint:
            raise ValueError(f"policy {self.p.policy!r} needs checkpoint:=<run folder from vtg train>")
        model, meta = checkpoint.load(self.p.checkpoint, expect_variant=self.p.policy)  # clear error if unusable
        cfg = CandidateConfig(**planner_candidates(vars(self.p)))  # as replay and evaluation read it
        policy = LearnedPolicy(model, meta, cfg, device=self.p.device)  # clear error if the lift rule can't apply
        self.get_logger().info(f"loaded {self.p.policy} model from {self.p.checkpoint} (Platt {meta.get('platt')}, "
                               f"lift rule {self.p.lift_rule}: p > {policy.cfg.lift_threshold:.3f})")
        return policy

    def on_camera_info(self, msg: CameraInfo) -> None:
        camera = checked_camera_model(msg, self.p.camera_position, self.p.camera_orientation)
        if isinstance(camera, Problem):
            self.bad_input.problem(camera, "camera_info ignored (the camera model received before stays)")
            return
        if hasattr(self.policy, "camera") and camera != self.policy.camera:  # the baseline plans without images
            self.policy.camera = camera
            self.get_logger().info(f"front camera model: {msg.width}x{msg.height}, f {camera.K.fx:.1f} px")

    def on_gripper(self, msg: GripperStatus) -> None:
        if not msg.connected:
            return
        problem = force_problem("gripper force limit", msg.force_limit, *GRIPPER_FORCE_RANGE)
        if problem is not None:
            self.bad_input.problem(problem, "gripper status ignored")
            return
        self.current_force = msg.force_limit

    def _keep(self, key: str, msg) -> None:
        # Input checks only: a far-future stamp would be "at or after" every request's inputs_after
        # and a malformed image can never be planned from, so both are dropped. A bad pose is kept:
        # the answer to a request that uses it is REJECTED with the reason.
        problem = stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.bad_input.problem(problem, f"{key} input dropped")
            return
        if key == "pose":
            problem = pose_problem(msg.pose)
            if problem is not None:
                self.bad_input.problem(problem, "arm pose received (a plan from it is rejected)")
        else:
            problem = image_problem(msg, COLOUR_ENCODINGS)
            if problem is not None:
                self.bad_input.problem(problem, f"{key} image dropped")
                return
        self.history.add(key, stamp_seconds(msg.header.stamp), msg)
        if self.pending:
            self.serve_pending()

    def required_inputs(self) -> tuple[str, ...]:
        # The baseline only needs the pose; learned policies need the images too.
        if self.p.policy == "cylinder_baseline":
            return ("pose",)
        return ("pose", "rgb", "gel_left", "gel_right")

    def on_request(self, request: PlanRequest) -> None:
        problem = cylinder_fit_problem(request.fit)
        if problem is not None:  # refused at once, by name: never planned around a broken fit
            self.bad_input.problem(problem, "plan request's cylinder fit rejected")
            return self.refuse(request, GraspGoal.STATUS_REJECTED, f"request's cylinder fit: {problem.text}")
        self.pending.append((request, time.monotonic() + self.p.input_timeout))
        self.serve_pending()

    def serve_pending(self) -> None:
        """Answer every pending request whose inputs are complete, or whose time is up.

        Callbacks share the node's mutually exclusive group, so this never runs twice at once."""
        waiting, self.pending = self.pending, []
        for request, deadline in waiting:  # each request leaves the list before it is answered: once
            chosen = select_inputs(self.history, self.required_inputs(), stamp_seconds(request.inputs_after),
                                   self.p.max_input_skew)
            # a model with the object view plans only once the camera's model is known (its CameraInfo)
            if chosen.final and not chosen.problem and getattr(self.policy, "needs_camera", False):
                chosen = replace(chosen, problem=f"inputs missing: {topics.KINECT_DEPTH_INFO} (none received: the "
                                 "model crops the front image around the grasp with it)", final=False)
            if chosen.final and not chosen.problem:
                try:
                    self.answer(request, chosen.messages)
                except Exception as exc:  # noqa: BLE001 - whatever the policy raises, the caller gets an answer
                    self.refuse(request, GraspGoal.STATUS_REJECTED, f"planning failed: {type(exc).__name__}: {exc}")
            elif chosen.final:
                self.refuse(request, GraspGoal.STATUS_REJECTED, chosen.problem)
            elif time.monotonic() > deadline:
                self.refuse(request, GraspGoal.STATUS_INPUTS_MISSING, chosen.problem)
            else:
                self.pending.append((request, deadline))

    def refuse(self, request: PlanRequest, status: int, why: str) -> None:
        self.get_logger().error(f"plan request {request.regrasp_index} not planned: {why}",
                                throttle_duration_sec=1.0)
        self.diag.publish(WARN, f"plan request not planned: {why}")
        self.goal_pub.publish(GraspGoal(header=request.header, status=status, message=why, policy=self.policy.name,
                                        regrasp_index=request.regrasp_index, success_probability=float("nan"),
                                        grip_force=float("nan")))

    def answer(self, request: PlanRequest, inputs: dict) -> None:
        problem = pose_problem(inputs["pose"].pose)
        if problem is not None:
            return self.refuse(request, GraspGoal.STATUS_REJECTED, f"arm pose: {problem.text}")
        minimum_force = self.p.minimum_force or request.minimum_force
        region = region_of_fit(request.fit, self.collection)
        try:
            images = None if self.p.policy not in LEARNED_POLICIES else \
                {k: image_to_numpy(inputs[k]) for k in ("rgb", "gel_left", "gel_right")}
            step = plan_step(self.policy, pose_to_xyzyaw(inputs["pose"].pose), self.current_force, self.limits,
                             images, self.rng, minimum_force, region)
        except (ImageConversionError, ValueError) as exc:  # StepRejected is a ValueError
            return self.refuse(request, GraspGoal.STATUS_REJECTED, str(exc))
        decision = step.decision
        if step.plan is not None:
            self.get_logger().info(f"planned in {1000 * step.plan.timings['total']:.0f} ms: "
                                   f"p={decision.probability:.3f} lift={decision.lift} force={decision.force:.1f} N")
        how = ("constant force" if self.p.policy not in LEARNED_POLICIES else
               "minimum-force choice" if minimum_force else "most-probable choice")
        goal = GraspGoal(header=request.header, status=GraspGoal.STATUS_OK, policy=self.policy.name, message=how,
                         lift=bool(decision.lift), grip_force=float(decision.force),
                         success_probability=float(decision.probability), regrasp_index=request.regrasp_index)
        goal.target_pose = xyzyaw_to_pose(step.target)
        goal.action = [float(v) for v in decision.action]
        self.goal_pub.publish(goal)
        p = decision.probability
        self.diag.publish(OK, "planned", lift=decision.lift, probability="n/a" if math.isnan(p) else f"{p:.3f}")


def main(args=None) -> int:
    return run_node(RegraspPlannerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
