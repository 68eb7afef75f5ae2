"""Sawyer arm node: end-effector pose goals with workspace, speed and time limits.

Action /arm/move_to_pose takes absolute goals (base frame, as regrasps are) or goals
relative to the current gripper frame (the lift, the put-down); rejects non-finite and
out-of-workspace goals; sends Cartesian commands to the low-level interface
(the simulator, or a relay to the Sawyer's SDK on the robot) and reports
reached or failed. Publishes the end-effector pose.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from geometry_msgs.msg import PoseStamped, TransformStamped
from rclpy.action import CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from visuotactile_grasp_msgs.action import MoveToPose

try:  # tf2_msgs is on every robot install but not among the PyPI wheels used here
    from tf2_msgs.msg import TFMessage
except ImportError:
    TFMessage = None

from .. import topics
from ..graph import interfaces
from ..devices.sawyer.limits import ArmLimits, GoalRejected
from ..geometry import wrap_angle
from ..ros import qos
from ..ros.clocks import ClockProgress, node_now, steady_timer
from ..ros.declared_node import DeclaredNode
from ..ros.conversions import pose_stamped, pose_to_xyzyaw
from ..ros.diagnostics import OK, WARN, Diagnostics
from ..ros.input_checks import CauseLog, Problem, pose_problem, stamp_ahead
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.sawyer_arm import PARAMS
from ..stamps import stamp_seconds



class SawyerArmNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("sawyer_arm", interfaces.sawyer_arm_node())
        self.p = declare_params(self, PARAMS)
        self.limits = ArmLimits.from_params(vars(self.p))
        self.pose = np.full(4, np.nan)
        self.pose_wall: float | None = None  # steady time of the latest state
        self.pose_clock = 0  # the node's clock (ns) at the latest state
        self.state_time = 0.0
        # one set-point per state taken in: a controller polling on wall time would flood the robot
        # (or a lockstepped simulator) with commands whenever the robot runs slower than real time
        self.state_arrived = threading.Condition()
        self.state_count = 0
        self.bad_input = CauseLog(self.get_logger())
        self.cmd_pub = self.create_publisher(PoseStamped, topics.ROBOT_EE_COMMAND, qos.RELIABLE)
        self.pose_pub = self.create_publisher(PoseStamped, topics.ARM_EE_POSE, qos.RELIABLE)
        # Own mutually exclusive group: states are handled (and republished) in order while the
        # action's worker thread waits on them.
        self.create_subscription(PoseStamped, topics.ROBOT_EE_STATE, self.on_state, qos.RELIABLE,
                                 callback_group=MutuallyExclusiveCallbackGroup())
        self.diag = Diagnostics(self, "sawyer_arm", "sawyer")
        self.tf_pub = self.create_publisher(TFMessage, topics.TF, qos.RELIABLE) if TFMessage else None
        self.action = self.action_server(MoveToPose, topics.ARM_MOVE_ACTION, self.execute,
                                         goal_callback=self.on_goal,
                                         cancel_callback=lambda _: CancelResponse.ACCEPT,
                                         callback_group=ReentrantCallbackGroup())
        steady_timer(self, 1.0, self.watchdog)

    def state_problem_of(self, msg: PoseStamped):
        """Why an end-effector state must not be used, or None. Motion pacing runs on the states'
        stamps, so a state older than the one before (it would pace the set-points backwards) or
        from the far future is dropped like a malformed one."""
        problem = pose_problem(msg.pose) or stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            return problem
        stamp = stamp_seconds(msg.header.stamp)
        # an earlier state that was itself ahead of our clock is no reference for the order
        if self.pose_wall is not None and stamp < self.state_time and self.state_time <= node_now(self) + 2.0:
            return Problem("state out of order", f"stamped {self.state_time - stamp:.4g} s before the previous state")
        return None

    def on_state(self, msg: PoseStamped) -> None:
        problem = self.state_problem_of(msg)
        if problem is not None:
            self.bad_input.problem(problem, "end-effector state ignored")
            return
        pose = pose_to_xyzyaw(msg.pose)
        self.pose, self.pose_wall = pose, time.monotonic()
        self.pose_clock = self.get_clock().now().nanoseconds
        self.state_time = stamp_seconds(msg.header.stamp)
        out = PoseStamped(header=msg.header, pose=msg.pose)
        out.header.frame_id = self.p.frame_id
        self.pose_pub.publish(out)
        if self.tf_pub is not None:
            tf = TransformStamped(header=out.header, child_frame_id=self.p.ee_frame_id)
            position, tf.transform.rotation = msg.pose.position, msg.pose.orientation
            tf.transform.translation.x, tf.transform.translation.y = position.x, position.y
            tf.transform.translation.z = position.z
            self.tf_pub.publish(TFMessage(transforms=[tf]))
        with self.state_arrived:
            self.state_count += 1
            self.state_arrived.notify_all()

    def motion_time(self) -> float:
        """Time of the latest measured state, in the robot's (or simulator's) own time base.

        Pacing set-points by it rather than by this node's clock means they can never run
        ahead of the robot, however late /clock or the state reach this process.
        """
        return self.state_time

    def state_problem(self) -> str:
        """'' while the end-effector state is fresh; otherwise why it is not.

        Two clocks: a state stream that stops while the robot's clock runs on is stale after
        state_timeout of that clock (and state_timeout_steady steady seconds, so that a paused process
        catching up on /clock first is not fooled); a cell that is merely slow (a loaded machine) slows
        its clock too and stays fresh; one that stops altogether is caught by stall_timeout on the
        steady clock."""
        if self.pose_wall is None:
            return "no end-effector state received yet"
        clock_age = (self.get_clock().now().nanoseconds - self.pose_clock) * 1e-9
        steady_age = time.monotonic() - self.pose_wall
        if clock_age > self.p.state_timeout and steady_age > self.p.state_timeout_steady:
            return f"end-effector state went stale ({clock_age:.2f} s of robot time without one)"
        if steady_age > self.p.stall_timeout:
            return f"robot stalled (no end-effector state for {steady_age:.1f} s)"
        return ""

    def on_goal(self, goal) -> GoalResponse:
        problem = self.state_problem()
        if problem:
            self.get_logger().error(f"rejected arm goal: {problem}")
            return GoalResponse.REJECT
        try:
            self.limits.resolve_goal(self.pose, pose_to_xyzyaw(goal.target.pose), goal.relative)
        except GoalRejected as exc:
            self.get_logger().error(f"rejected arm goal: {exc}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def execute(self, goal_handle):
        goal = goal_handle.request
        result = MoveToPose.Result()
        try:
            target = self.limits.resolve_goal(self.pose, pose_to_xyzyaw(goal.target.pose), goal.relative)
        except GoalRejected as exc:  # the pose moved between acceptance and execution
            result.message = str(exc)
            goal_handle.abort()
            return result
        timeout = goal.timeout if goal.timeout > 0 else self.p.default_timeout
        speed = self.limits.speed(goal.max_speed)
        start, t0 = self.pose.copy(), self.motion_time()
        path = target - start
        path[3] = wrap_angle(path[3])
        length = float(np.linalg.norm(path[:3]))
        progress = ClockProgress(self)  # the time limit runs on the robot's clock (sim time in sim)
        feedback = MoveToPose.Feedback()
        while True:
            seen = self.state_count  # the next turn starts on a state newer than this one
            # Stream set-points along the straight line no faster than the speed limit (sim time).
            if length < 1e-9:
                frac = 1.0
            else:
                done = float(np.dot(self.pose[:3] - start[:3], path[:3])) / length
                paced = speed * (self.motion_time() - t0)
                # never behind the start: start and target are in the workspace, so is the segment
                frac = max(0.0, min(1.0, paced / length, (done + self.p.max_lead) / length))
            setpoint = start + frac * path
            self.cmd_pub.publish(pose_stamped(setpoint, self.get_clock().now().to_msg(), self.p.frame_id))
            err = float(np.linalg.norm(self.pose[:3] - target[:3]))
            yaw_err = abs(wrap_angle(self.pose[3] - target[3]))
            if err <= self.p.position_tolerance and yaw_err <= self.p.yaw_tolerance:
                result.success = True
                break
            problem = self.state_problem()
            timed_out = progress.elapsed() > timeout
            if goal_handle.is_cancel_requested or timed_out or problem:
                reason = ("cancelled" if goal_handle.is_cancel_requested else
                          f"timed out after {timeout:.1f} s" if timed_out else problem)
                # stop on the path at the last set-point sent (at most max_lead ahead of the measured
                # pose when sent): the arm is still moving towards it, so holding the measured pose
                # instead would make it overshoot and come back (more so the later states arrive)
                self.hold(setpoint)
                result.message = f"{reason} {err * 1000:.1f} mm from the target"
                break
            feedback.distance_remaining = err
            goal_handle.publish_feedback(feedback)
            self.wait_for_next_state(seen, self.p.state_wait)
        result.final_pose = pose_stamped(self.pose, self.get_clock().now().to_msg(), self.p.frame_id)
        if result.success:
            goal_handle.succeed()
        elif goal_handle.is_cancel_requested:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result

    def wait_for_next_state(self, seen: int, timeout: float) -> bool:
        """Block until a state after the seen-th has been taken in (or timeout steady s, so that a
        stalled robot is still noticed and a cancel still answered)."""
        with self.state_arrived:
            return self.state_arrived.wait_for(lambda: self.state_count != seen, timeout=timeout)

    def watchdog(self) -> None:
        problem = self.state_problem()
        if not problem:
            self.diag.publish(OK, "tracking", x=f"{self.pose[0]:.3f}", y=f"{self.pose[1]:.3f}", z=f"{self.pose[2]:.3f}")
        else:
            self.get_logger().warning(problem, throttle_duration_sec=10.0)
            self.diag.publish(WARN, problem)

    def hold(self, at=None) -> None:
        """Command at (default: the measured pose), so that no earlier set-point is chased; never a pose
        outside the workspace (a measured state there is reported, not commanded)."""
        pose = self.pose if at is None else np.asarray(at, float)
        if not np.all(np.isfinite(pose)):
            return
        if not self.limits.contains(pose[:3]):
            self.get_logger().error(f"not holding at {np.round(pose[:3], 3).tolist()}: outside the workspace")
            return
        self.cmd_pub.publish(pose_stamped(pose, self.get_clock().now().to_msg(), self.p.frame_id))

    def on_shutdown(self) -> None:
        """Hold where the arm is: a set-point streamed before the stop must not be chased afterwards."""
        self.hold()


def main(args=None) -> int:
    return run_node(SawyerArmNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
