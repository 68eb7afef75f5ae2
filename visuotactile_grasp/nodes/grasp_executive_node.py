"""Grasp executive: runs whole grasp attempts through the arm, gripper, GelSight and planner nodes.

Action /grasp_executive/execute_grasp runs THE grasp attempt (procedure/attempt.py,
also run by evaluation on bare cells) through the graph (ros/grasp_cell.py): gel
backgrounds, fit, approach (fingers open), close, ask the planner until it says
lift (regrasping in between), lift, hold, label from the GelSight contacts; then
it puts the object down and (in sim) places it back at a random spot, and
publishes the outcome.
A cancelled attempt (or one interrupted by SIGINT/SIGTERM) stops the arm where it
is, opens the fingers and ends as "cancelled".
"""
from __future__ import annotations

import math

import numpy as np
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.duration import Duration
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy
from std_msgs.msg import Header
from visuotactile_grasp_msgs.action import ExecuteGrasp
from visuotactile_grasp_msgs.msg import CylinderFit, GraspGoal, GraspOutcome, PlanRequest, TactileContact

from ..streams import attempt_key, keyed_rng
from .. import topics
from ..graph import interfaces
from ..procedure.outcome import failure_reason
from ..procedure.attempt import FIRST_GRASPS, AttemptConfig, AttemptResult, run_attempt as run_procedure
from ..ros import qos
from ..ros.clocks import node_now, wait_for
from ..ros.declared_node import DeclaredNode
from ..ros.input_checks import (CauseLog, cylinder_fit_problem, grasp_goal_problem, stamp_ahead,
                                tactile_contact_problem)
from ..ros.grasp_cell import RosGraspCell
from ..ros.robot_steps import AttemptStopped, RobotSteps, StepFailed
from ..stamps import header_key, stamp_seconds
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.grasp_executive import PARAMS



class GraspExecutiveNode(RobotSteps, DeclaredNode):
    def __init__(self) -> None:
        super().__init__("grasp_executive", interfaces.grasp_executive_node())
        self.p = declare_params(self, PARAMS)
        if self.p.first_grasp not in FIRST_GRASPS:
            raise ValueError(f"first_grasp must be one of {FIRST_GRASPS}, got {self.p.first_grasp!r}")
        self.attempt_config = AttemptConfig.from_params(vars(self.p))  # the settings evaluation reads too
        group = ReentrantCallbackGroup()
        self.fit: CylinderFit | None = None
        self.contacts: dict[str, TactileContact] = {}
        self.goals: dict[str, GraspGoal] = {}
        self.trial_id = 0
        self.bad_input = CauseLog(self.get_logger())
        self.create_subscription(CylinderFit, topics.CYLINDER_FIT, self._on_fit, qos.LATCHED, callback_group=group)
        for side in topics.SIDES:
            self.create_subscription(TactileContact, topics.gelsight(side, "contact"),
                                     lambda m, s=side: self._on_contact(s, m), qos.RELIABLE,
                                     callback_group=group)
        self.create_subscription(GraspGoal, topics.GRASP_GOAL, self._on_goal, qos.ANSWERS, callback_group=group)
        self.request_pub = self.create_publisher(PlanRequest, topics.PLAN_REQUEST, qos.REQUESTS)
        self.outcome_pub = self.create_publisher(GraspOutcome, topics.GRASP_OUTCOME, qos.RELIABLE)
        self.connect_robot_clients(group)
        self.serve_trials(topics.EXECUTE_GRASP_ACTION, self.run_attempt, group)

    # input checks: a malformed message is dropped with one error line per cause (throttled)
    def _on_fit(self, msg: CylinderFit) -> None:
        problem = cylinder_fit_problem(msg) or stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.bad_input.problem(problem, "cylinder fit ignored")
            return
        self.fit = msg

    def _on_contact(self, side: str, msg: TactileContact) -> None:
        problem = tactile_contact_problem(msg, side) or stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.bad_input.problem(problem, f"{side} contact ignored")
            return
        self.contacts[side] = msg

    def _on_goal(self, msg: GraspGoal) -> None:
        problem = grasp_goal_problem(msg, GraspGoal.STATUS_OK)
        if problem is not None:  # still the answer to its request: the attempt fails with the reason
            self.bad_input.problem(problem, "unusable planner answer")
            msg.status, msg.message = GraspGoal.STATUS_REJECTED, f"unusable planner answer: {problem.text}"
        self.goals[header_key(msg.header)] = msg
        for unclaimed in list(self.goals)[:-64]:  # answers nobody waits for (late, or not ours)
            self.goals.pop(unclaimed, None)

    # the attempt -----------------------------------------------------------------------------
    def feedback(self, goal_handle, phase: str, index: int = 0, p: float = float("nan")) -> None:
        goal_handle.publish_feedback(ExecuteGrasp.Feedback(phase=phase, regrasp_index=index, success_probability=p))

    def run_attempt(self, goal_handle) -> GraspOutcome:
        """procedure/attempt.py through the graph (ros/grasp_cell.py), then put the object down."""
        req = goal_handle.request
        self.trial_id = req.trial_id or self.trial_id + 1
        # the initial grasp of attempt k on this object, as a bare evaluation cell draws it
        rng = keyed_rng(attempt_key(self.p.seed, req.object_id, self.trial_id), "attempt")
        outcome = GraspOutcome(trial_id=self.trial_id, object_id=req.object_id, final_probability=float("nan"))
        cell = RosGraspCell(self, goal_handle, req.minimum_force, outcome)
        result = AttemptResult()
        stopped = False
        try:
            run_procedure(cell, self.attempt_config, rng, first=self.p.first_grasp, result=result)
            outcome.success = result.success
            outcome.label_source = "tactile"
            outcome.ground_truth_success = result.success if result.ground_truth is None else result.ground_truth
            if not outcome.success:
                outcome.failure_reason = failure_reason(result.held, result.damaged, result.on_table)
            if not cell.put_down:  # the damage inspection put it down already
                self.feedback(goal_handle, "release")
                self.move(np.array([0.0, 0.0, -self.p.lift_height, 0.0]), relative=True, what="put down")
        except AttemptStopped as exc:
            stopped = True
            self.stopped(exc, outcome)
        except StepFailed as exc:
            outcome.success = False
            outcome.failure_reason = str(exc)
            self.get_logger().warning(f"attempt {self.trial_id} failed: {exc}")
        finally:
            if not stopped:
                self.finish_attempt(retreat=not cell.put_down)
        outcome.num_regrasps = result.regrasps
        outcome.first_grasp = [float(v) for v in result.first_grasp] if result.first_grasp else [math.nan] * 4
        outcome.grip_force = float(result.force)
        outcome.header.stamp = self.get_clock().now().to_msg()
        self.outcome_pub.publish(outcome)
        return outcome

    def fresh_contacts(self, after: float) -> list[TactileContact]:
        """Both gels' contact estimates stamped at or after `after`: a label never comes from before the hold,
        nor the touch-down's reading from before it."""
        def fresh(side: str) -> bool:
            c = self.contacts.get(side)
            return c is not None and stamp_seconds(c.header.stamp) >= after - 1e-6
        if not self.wait_or_stop(lambda: all(fresh(s) for s in topics.SIDES), self.p.label_timeout):
            stale = [s for s in topics.SIDES if not fresh(s)]
            raise StepFailed(f"no fresh GelSight contact from {stale} (stream stopped?): no label")
        return [self.contacts[s] for s in topics.SIDES]

    def ask_planner(self, index: int, minimum_force: bool, fit: CylinderFit | None = None) -> GraspGoal:
        """One decision: the planner plans from inputs stamped settle_time after now (the settled grasp),
        with its candidates kept around fit (the attempt's cylinder fit)."""
        now = self.get_clock().now()
        request = PlanRequest(header=Header(stamp=now.to_msg(), frame_id="base"), regrasp_index=index,
                              inputs_after=(now + Duration(seconds=self.p.settle_time)).to_msg(),
                              minimum_force=minimum_force, fit=fit if fit is not None else CylinderFit(valid=False))
        key = header_key(request.header)
        if not wait_for(lambda: self._planner_listening() or self.stop_check(), self.p.planner_timeout):
            raise StepFailed(f"planner did not answer within {self.p.planner_timeout} s: none listens on "
                             f"{topics.PLAN_REQUEST} (planner down?)")
        self.request_pub.publish(request)
        if not wait_for(lambda: key in self.goals or self.stop_check(), self.p.planner_timeout):
            raise StepFailed(f"planner did not answer within {self.p.planner_timeout} s (planner down?)")
        if key not in self.goals:
            raise AttemptStopped("stopped while planning")
        goal = self.goals.pop(key)
        if goal.status != GraspGoal.STATUS_OK:
            raise StepFailed(f"planner could not plan: {goal.message}")
        return goal

    def _planner_listening(self) -> bool:
        """A handshake, not a hope: a planner node in the graph may still be loading its model, and a request
        published before its subscription exists has nobody to reach. Ready when some node both subscribes to
        requests and publishes answers (the planner creates its answer publisher last), and our request
        writer has matched every subscriber the graph lists that it can match (a monitor subscribing alone is not
        a planner; a reader whose QoS our writer cannot serve never matches)."""
        return planner_ready(self.get_subscriptions_info_by_topic(topics.PLAN_REQUEST),
                             self.get_publishers_info_by_topic(topics.GRASP_GOAL),
                             self.request_pub.qos_profile, self.request_pub.get_subscription_count())

    def finish_attempt(self, retreat: bool = True) -> None:
        """Open the fingers and back away (unless the damage inspection left them open at the observation
        pose), and put the object at a new place (sim)."""
        if retreat:
            self.retreat()
        if self.p.reset_object:
            self.reset_sim_object(self.reset_client)
        self.fit = None


REQUEST_TYPE = "visuotactile_grasp_msgs/msg/PlanRequest"  # as the graph lists a PlanRequest endpoint


def planner_ready(request_readers, goal_writers, writer_qos, matched: int) -> bool:
    """_planner_listening's rule over the graph's endpoint lists (rclpy TopicEndpointInfo): some node both
    reads PlanRequest and writes GraspGoal, and `matched` (our request writer's matched readers) covers every
    PlanRequest reader that writer_qos can serve."""
    listeners = [i for i in request_readers if i.topic_type == REQUEST_TYPE and _can_serve(writer_qos, i.qos_profile)]
    answerers = {(i.node_namespace, i.node_name) for i in goal_writers}
    planner = any((i.node_namespace, i.node_name) in answerers for i in listeners)
    return planner and matched >= len(listeners)


def _can_serve(writer, reader) -> bool:
    """Whether a writer with QoS `writer` can match a reader with QoS `reader` in what decides delivery here
    (reliability, durability). Not rclpy.qos.qos_check_compatible: on profiles read back from the graph, whose
    infinite deadline and lease come back as large numbers, it reports every pair incompatible."""
    unreliable = (reader.reliability == ReliabilityPolicy.RELIABLE
                  and writer.reliability == ReliabilityPolicy.BEST_EFFORT)
    too_new = reader.durability == DurabilityPolicy.TRANSIENT_LOCAL and writer.durability == DurabilityPolicy.VOLATILE
    return not (unreliable or too_new)


def main(args=None) -> int:
    return run_node(GraspExecutiveNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
