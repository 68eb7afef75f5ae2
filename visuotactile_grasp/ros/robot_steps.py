"""Blocking arm, gripper and sensor steps for the nodes that run whole trials (executive, collector).

Mixed into an rclpy Node whose action callback runs in a worker thread of a multi-threaded
executor: each step sends a goal and waits for its result on the robot's clock (sim time in
simulation, so a merely slow cell is waited for) and fails when that clock stops for a steady
interval (ros/clocks.ClockProgress), so a stalled simulator or a dead driver ends the step with
StepFailed instead of hanging the trial.
"""
from __future__ import annotations

import threading

import numpy as np
from rclpy.action import CancelResponse, GoalResponse
from visuotactile_grasp_msgs.action import ExecuteGrasp, GripperCommand, MoveToPose
from geometry_msgs.msg import PoseStamped
from std_msgs.msg import Bool
from visuotactile_grasp_msgs.msg import GripperStatus
from visuotactile_grasp_msgs.srv import CaptureBackground, ResetObject

from .. import topics
from ..devices.wsg50.protocol import GraspingState
from ..perception.markers import on_table, summed_motion
from ..procedure.outcome import (PUT_DOWN_CLEARANCE, PUT_DOWN_MARGIN, TOUCH_DOWN_DEPTH, TOUCH_DOWN_READ_DEPTH,
                                 TOUCH_DOWN_SPEED, Inspection, observed_damage)
from . import qos
from .clocks import ClockProgress, node_now, wait_for, wait_for_clock
from .conversions import pose_stamped
from .input_checks import GRIPPER_FORCE_RANGE, force_problem, pose_problem, stamp_ahead
from ..stamps import stamp_seconds

def gripper_status_problem(status) -> str:
    """Why a gripper with this status must not be relied on (lifted), or ''."""
    if not status.connected:
        return status.fault_message or "not connected"
    if status.fault:
        return status.fault_message or "fault"
    if status.grasping_state == GraspingState.ERROR:
        return "grasping state ERROR"
    return ""


class StepFailed(RuntimeError):
    pass


class AttemptStopped(StepFailed):
    """The attempt was cancelled by its client, or the node is shutting down."""


class RobotSteps:
    """Mixed into a DeclaredNode whose declaration includes graph/interfaces.ROBOT_STEPS. Needs
    settings/trial_steps.TRIAL_PARAMS among the node's parameters; call connect_robot_clients first.

    stop_check() is polled while every step waits: when it turns true the step's goal is cancelled
    (the arm then holds where it is) and AttemptStopped is raised; safe_stop() then opens the fingers."""

    stop_check = staticmethod(lambda: False)
    CANCELLED = "cancelled"  # the failure reason of a stopped attempt starts with this

    def serve_trials(self, action_name: str, run_trial, group) -> None:
        """An ExecuteGrasp action server running run_trial(goal_handle) -> GraspOutcome, one trial at a
        time; a client's cancel or request_stop() makes the running trial's steps raise AttemptStopped."""
        self.busy = threading.Lock()
        self.stopping = threading.Event()  # set by request_stop (SIGINT/SIGTERM)

        def execute(goal_handle):
            with self.busy:
                self.stop_check = lambda: goal_handle.is_cancel_requested or self.stopping.is_set()
                outcome = run_trial(goal_handle)
            if goal_handle.is_cancel_requested:
                goal_handle.canceled()
            elif self.stopping.is_set():
                goal_handle.abort()  # stopped by a shutdown, not by the client
            else:
                goal_handle.succeed()
            return ExecuteGrasp.Result(outcome=outcome)

        self.trial_server = self.action_server(
            ExecuteGrasp, action_name, execute, callback_group=group,
            goal_callback=lambda _g: GoalResponse.REJECT if self.busy.locked() or self.stopping.is_set()
            else GoalResponse.ACCEPT, cancel_callback=lambda _g: CancelResponse.ACCEPT)

    def request_stop(self, timeout_s: float) -> None:
        """SIGINT/SIGTERM (run_node): end a running trial safely (arm holding, fingers open) first."""
        self.stopping.set()
        wait_for(lambda: not self.busy.locked(), timeout_s)

    def stopped(self, exc: AttemptStopped, outcome) -> None:
        """What every trial does when stopped: name it, leave the arm holding and the fingers open."""
        outcome.success = False
        outcome.failure_reason = f"{self.CANCELLED} ({exc})"
        self.get_logger().warning(f"trial {outcome.trial_id} {outcome.failure_reason}: arm holding, "
                                  "opening the fingers")
        self.safe_stop()

    def connect_robot_clients(self, group) -> None:
        """The arm and gripper actions, the gels' background services and the simulator's reset."""
        self.arm = self.action_client(MoveToPose, topics.ARM_MOVE_ACTION, callback_group=group)
        self.gripper = self.action_client(GripperCommand, topics.GRIPPER_ACTION, callback_group=group)
        self.capture = {s: self.create_client(CaptureBackground, topics.gelsight(s, "capture_background"),
                                              callback_group=group) for s in topics.SIDES}
        self.reset_client = self.create_client(ResetObject, topics.SIM_RESET_OBJECT, callback_group=group)
        self.gripper_status: GripperStatus | None = None
        self.gripper_status_count = 0
        self.create_subscription(GripperStatus, topics.GRIPPER_STATUS, self._on_gripper_status, qos.RELIABLE,
                                 callback_group=group)
        # the arm's measured height and its state's stamp (the touch-down reads the gels by it)
        self.arm_height: tuple[float, float] | None = None
        self.touch_down_watch: tuple[float, float | None] | None = None  # (read height, stamp it was reached)
        self.create_subscription(PoseStamped, topics.ARM_EE_POSE, self._on_arm_pose, qos.RELIABLE, callback_group=group)
        # the simulator's truth, kept apart from what the robot senses (None on a robot: nobody publishes it)
        self.sim_held: bool | None = None
        self.sim_damaged: bool | None = None
        self.create_subscription(Bool, topics.SIM_OBJECT_HELD, lambda m: setattr(self, "sim_held", m.data),
                                 qos.RELIABLE, callback_group=group)
        self.create_subscription(Bool, topics.SIM_OBJECT_DAMAGED, lambda m: setattr(self, "sim_damaged", m.data),
                                 qos.RELIABLE, callback_group=group)

    def _on_arm_pose(self, msg: PoseStamped) -> None:
        # checked like every input: a far-future stamp would put the touch-down's read after every gel frame
        problem = pose_problem(msg.pose) or stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.bad_input.problem(problem, "arm pose ignored")
            return
        z, stamp = msg.pose.position.z, stamp_seconds(msg.header.stamp)
        self.arm_height = (z, stamp)
        watch = self.touch_down_watch  # seen here, in order, for every pose: not at a waiting thread's next poll
        if watch is not None and watch[1] is None and z <= watch[0] + 1e-6:
            self.touch_down_watch = (watch[0], stamp)

    def _on_gripper_status(self, msg: GripperStatus) -> None:
        # the planner's checks (a far-future stamp would count as read after every check)
        problem = (force_problem("gripper force limit", msg.force_limit, *GRIPPER_FORCE_RANGE) if msg.connected
                   else None) or stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.bad_input.problem(problem, "gripper status ignored")
            return
        self.gripper_status = msg
        self.gripper_status_count += 1

    def check_gripper(self, what: str) -> None:
        """Before a step that relies on the grip (the lift): the driver's status read after this call,
        connected, not in FAST STOP, not in its ERROR state. A gripper that stopped after its last
        command (a fast stop, a lost link) fails the step by name instead of being lifted blind.

        The driver stamps a status after reading the registers, so the first status stamped after
        this call may hold a reading from before it; the one after that cannot."""
        since = node_now(self)

        def stamped_after() -> bool:
            return self.gripper_status is not None and stamp_seconds(self.gripper_status.header.stamp) >= since
        first = None

        def read_after() -> bool:
            nonlocal first
            if first is None and stamped_after():
                first = self.gripper_status_count
            return first is not None and self.gripper_status_count > first
        if not self.wait_or_stop(read_after, self.p.step_timeout):
            raise StepFailed(f"{what}: no gripper status read after the check within {self.p.step_timeout:.0f} s "
                             "of the robot's clock (driver down, or the clock stalled)")
        problem = gripper_status_problem(self.gripper_status)
        if problem:
            raise StepFailed(f"{what}: gripper failed: {problem}")

    def _call_action(self, client, goal, what: str, stoppable: bool = True):
        return self._finish_action(*self._start_action(client, goal, what, stoppable), what, stoppable)

    def _start_action(self, client, goal, what: str, stoppable: bool = True):
        """Send a goal; (its handle, its result future) once accepted."""
        if stoppable and self.stop_check():
            raise AttemptStopped(f"stopped before {what}")
        if not client.wait_for_server(timeout_sec=self.p.step_timeout):
            raise StepFailed(f"{what}: action server not available")
        send = client.send_goal_async(goal)
        if not wait_for(send.done, self.p.step_timeout):
            raise StepFailed(f"{what}: goal not acknowledged")
        handle = send.result()
        if not handle.accepted:
            raise StepFailed(f"{what}: goal rejected")
        return handle, handle.get_result_async()

    def _finish_action(self, handle, result_future, what: str, stoppable: bool = True):
        """Wait for a started goal's result on the robot's clock."""
        stop = self.stop_check if stoppable else (lambda: False)
        if not wait_for_clock(self, lambda: result_future.done() or stop(), self.p.step_timeout + 5.0) \
                or not result_future.done():
            handle.cancel_goal_async()
            if stop():
                raise AttemptStopped(f"stopped during {what}")
            raise StepFailed(f"{what}: no result in time")
        return result_future.result().result, result_future.result().status

    def move(self, pose, relative: bool = False, what: str = "move", max_speed: float = 0.0, during=None):
        """max_speed: m/s, 0 for the arm's own limit. during(): called once the goal is accepted, while the
        arm moves; its value is returned."""
        goal = MoveToPose.Goal(target=pose_stamped(pose, self.get_clock().now().to_msg()), relative=relative,
                               timeout=self.p.step_timeout, max_speed=float(max_speed))
        handle, result_future = self._start_action(self.arm, goal, what)
        seen = during() if during is not None else None
        result, _ = self._finish_action(handle, result_future, what)
        if not result.success:
            raise StepFailed(f"{what}: {result.message}")
        return seen

    def grip(self, command: int, width: float = 0.0, force: float = 0.0, what: str = "gripper",
             stoppable: bool = True):
        goal = GripperCommand.Goal(command=command, width=width, speed=0.1, force=force)
        result, _ = self._call_action(self.gripper, goal, what, stoppable)
        return result

    def approach_grasp(self, grasp, above_z: float) -> None:
        """Above the grasp at above_z, then straight down to it (fingers as they are)."""
        above = np.asarray(grasp, float).copy()
        above[2] = above_z
        self.move(above, what="pre-grasp")
        self.move(np.asarray(grasp, float), what="descend")

    def open_for_regrasp(self, what: str = "open for regrasp") -> None:
        self.grip(GripperCommand.Goal.RELEASE, width=self.p.open_width, what=what)

    def regrasp_to(self, target, force: float, index: int, open_first: bool = True) -> None:
        """Release (unless the fingers were just opened: a WSG-50 RELEASE expects a grasped part), move to
        target, close at force (closing on nothing is a result)."""
        if open_first:
            self.open_for_regrasp()
        self.move(np.asarray(target, float), what="regrasp move")
        self.close_fingers(force, f"regrasp {index} close")

    def lift_and_hold(self, height: float, seconds: float) -> None:
        """Check the gripper still grips (not faulted), lift by height, hold for seconds of the robot's clock."""
        self.check_gripper("lift")
        self.move(np.array([0.0, 0.0, height, 0.0]), relative=True, what="lift")
        self.sleep_sim(seconds)

    def open_fingers(self, what: str = "open") -> None:
        self.grip(GripperCommand.Goal.MOVE, width=self.p.open_width, what=what)

    def close_fingers(self, force: float, what: str = "close"):
        """Grasp at force. A gripper fault (fast stop, lost link) is StepFailed; closing on nothing is a
        result (a random collection grasp may miss; a policy decides what to do after a miss)."""
        result = self.grip(GripperCommand.Goal.GRASP, width=0.0, force=force, what=what)
        if result.success or result.grasping_state == GraspingState.NO_PART_FOUND:
            return result
        raise StepFailed(f"{what}: gripper failed: {result.message or 'no reason given'} "
                         f"(status {result.status_code})")

    def inspect_after_hold(self, grasp, fitted: tuple[float, float], latest_fit, fresh_contacts) -> Inspection:
        """procedure/outcome.inspect through the graph, for both trial cells: the touch-down, then the
        put-down and refit. The truth is read first, at the end of the hold: the grasp's damage, not the
        put-down's. fitted: the first fit's (radius, height); grasp, latest_fit: as put_down_and_refit takes
        them; fresh_contacts(after): both gels' TactileContact stamped at or after `after` (StepFailed
        when the streams stopped)."""
        truth = self.sim_damaged
        table, motion = self.touch_down(fresh_contacts)
        return Inspection(observed_damage(fitted, self.put_down_and_refit(grasp, latest_fit)), truth, table, motion)

    def touch_down(self, fresh_contacts) -> tuple[bool, float | None]:
        """The inspection's first leg: lower the hand TOUCH_DOWN_DEPTH at TOUCH_DOWN_SPEED and, while it still
        moves, read the GelSight nodes' marker motion once both are stamped at or after the arm's first state
        TOUCH_DOWN_READ_DEPTH below where it started (the bare cells' TOUCH_DOWN_READ into the motion):
        (whether the table carries the object, perception/markers.on_table; what was measured)."""
        since = node_now(self)
        if not self.wait_or_stop(lambda: self.arm_height is not None and self.arm_height[1] >= since,
                                 self.p.step_timeout):  # where the hand stands now, not a stale pose
            raise StepFailed(f"touch down: no arm pose on {topics.ARM_EE_POSE} within {self.p.step_timeout:.0f} s "
                             "(arm node down?)")
        start_z = self.arm_height[0]  # the arm stands still after the hold
        self.touch_down_watch = (start_z - TOUCH_DOWN_READ_DEPTH, None)

        def read():
            if not self.wait_or_stop(lambda: self.touch_down_watch[1] is not None, self.p.step_timeout):
                moved_mm = (start_z - self.arm_height[0]) * 1e3
                raise StepFailed(f"touch down: the hand did not reach {TOUCH_DOWN_READ_DEPTH * 1e3:.0f} mm down "
                                 f"within {self.p.step_timeout:.0f} s ({moved_mm:.1f} mm)")
            return fresh_contacts(self.touch_down_watch[1])
        try:
            contacts = self.move(np.array([0.0, 0.0, -TOUCH_DOWN_DEPTH, 0.0]), relative=True, what="touch down",
                                 max_speed=TOUCH_DOWN_SPEED, during=read)
            reached = self.touch_down_watch[1]
        finally:
            self.touch_down_watch = None
        motions = [c.marker_motion_up for c in contacts]
        table = on_table(motions)
        self.get_logger().info(f"touch-down: markers moved up {', '.join(f'{m:.2f}' for m in motions)} px "
                               f"(stamped {', '.join(f'{stamp_seconds(c.header.stamp):.2f}' for c in contacts)} s; "
                               f"the hand {TOUCH_DOWN_READ_DEPTH * 1e3:.0f} mm down at {reached:.2f} s): "
                               f"{'on the table' if table else 'hanging from the pads'}")
        return table, summed_motion(motions)

    def put_down_and_refit(self, grasp, latest_fit) -> tuple[float, float] | None:
        """procedure/outcome's inspection through the graph: put the object down where it was lifted from
        (PUT_DOWN_MARGIN above), release it, straight up PUT_DOWN_CLEARANCE, back to the observation pose,
        and the cylinder fit of a depth image taken there: (radius, height), or None when the fitter finds
        no object (it fell out of view). latest_fit() gives the node's newest CylinderFit, or None.
        A step that fails raises StepFailed; the caller's retreat (release, up, observe) then recovers
        from wherever it stopped, as after any failed step of a trial."""
        self.move(np.asarray(grasp, float) + np.array([0.0, 0.0, PUT_DOWN_MARGIN, 0.0]), what="put down")
        self.release_with_retries()  # a grasped part is released, as retreat does
        self.move(np.array([0.0, 0.0, PUT_DOWN_CLEARANCE, 0.0]), relative=True, what="clear the put-down object")
        self.move(np.asarray(self.p.observe_pose, float), what="observe for damage")
        since = node_now(self)

        def fresh() -> bool:
            fit = latest_fit()
            return fit is not None and stamp_seconds(fit.header.stamp) >= since
        if not self.wait_or_stop(fresh, self.p.step_timeout):
            raise StepFailed("no cylinder fit after the put-down (Kinect or fitter stream stopped): "
                             "the damage inspection cannot look")
        fit = latest_fit()
        return (float(fit.radius), float(fit.height)) if fit.valid else None

    def wait_or_stop(self, predicate, timeout_s: float) -> bool:
        """wait_for_clock that also ends (AttemptStopped) when the attempt is stopped."""
        done = wait_for_clock(self, lambda: predicate() or self.stop_check(), timeout_s)
        if self.stop_check():
            raise AttemptStopped("stopped while waiting")
        return done and predicate()

    def sleep_sim(self, seconds: float) -> None:
        """Let seconds of the robot's clock pass; a clock that stalls instead is a failed step."""
        progress = ClockProgress(self)
        self.wait_or_stop(lambda: progress.elapsed() >= seconds, seconds)
        if progress.elapsed() < seconds:
            raise StepFailed(f"the robot's clock stalled ({progress.elapsed():.2f} of {seconds:.2f} s passed)")

    def safe_stop(self) -> None:
        """After a cancel or a shutdown request: fingers open, arm holding (its goal was cancelled)."""
        try:
            self.grip(GripperCommand.Goal.RELEASE, width=self.p.open_width, what="open after stop", stoppable=False)
        except StepFailed as exc:
            self.get_logger().error(f"could not open the gripper after the stop: {exc}")

    def capture_backgrounds(self, clients: dict) -> None:
        for client in clients.values():
            if client.wait_for_service(timeout_sec=2.0):
                future = client.call_async(CaptureBackground.Request())
                wait_for(future.done, 3.0)

    def reset_sim_object(self, client, object_id: str = "") -> bool:
        """Ask the simulator to put the object (or object_id) at a random place; False without a simulator."""
        if not client.wait_for_service(timeout_sec=1.0):
            return False
        future = client.call_async(ResetObject.Request(object_id=object_id, random_pose=True))
        return bool(wait_for(future.done, 5.0) and future.result().success)

    def release_with_retries(self, tries: int = 3, wait_s: float = 1.0) -> None:
        """Open the fingers; a gripper link that just dropped gets wait_s (robot clock) to reconnect."""
        for attempt in range(tries):
            result = self.grip(GripperCommand.Goal.RELEASE, width=self.p.open_width, what="release")
            if result.success:
                return
            if attempt < tries - 1:
                self.sleep_sim(wait_s)
        raise StepFailed(f"release: gripper failed: {result.message or 'no reason given'}")

    def retreat(self) -> None:
        """Open the fingers, back away upwards, and wait at the observation pose (out of the camera's way)."""
        try:
            self.release_with_retries()
            self.move(np.array([0.0, 0.0, 0.12, 0.0]), relative=True, what="retreat")
            self.move(np.asarray(self.p.observe_pose, float), what="observe")
        except StepFailed as exc:
            self.get_logger().warning(f"could not retreat cleanly: {exc}")
