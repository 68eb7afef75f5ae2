"""Blocking arm, gripper and sensor steps for the nodes that run whole trials (executive, collector).

Mixed into an rclpy Node whose action callback runs in a worker thread of a multi-threaded
executor: each step sends a goal and waits on a steady clock, so a stalled simulator or a dead
driver ends the step with StepFailed instead of hanging the trial.
"""
from __future__ import annotations

import numpy as np
from rclpy.action import ActionClient
from visuotactile_grasp_msgs.action import GripperCommand, MoveToPose
from visuotactile_grasp_msgs.srv import CaptureBackground, ResetObject

from .. import topics
from .clocks import sim_seconds, wait_for
from .conversions import pose_stamped


class StepFailed(RuntimeError):
    pass


class RobotSteps:
    """Needs self.p.step_timeout, self.p.open_width, self.p.observe_pose; call connect_robot_clients first."""

    def connect_robot_clients(self, group) -> None:
        """The arm and gripper actions, the gels' background services and the simulator's reset."""
        self.arm = ActionClient(self, MoveToPose, topics.ARM_MOVE_ACTION, callback_group=group)
        self.gripper = ActionClient(self, GripperCommand, topics.GRIPPER_ACTION, callback_group=group)
        self.capture = {s: self.create_client(CaptureBackground, topics.gelsight(s, "capture_background"),
                                              callback_group=group) for s in topics.SIDES}
        self.reset_client = self.create_client(ResetObject, topics.SIM_RESET_OBJECT, callback_group=group)

    def _call_action(self, client, goal, what: str):
        if not client.wait_for_server(timeout_sec=self.p.step_timeout):
            raise StepFailed(f"{what}: action server not available")
        send = client.send_goal_async(goal)
        if not wait_for(send.done, self.p.step_timeout):
            raise StepFailed(f"{what}: goal not acknowledged")
        handle = send.result()
        if not handle.accepted:
            raise StepFailed(f"{what}: goal rejected")
        result_future = handle.get_result_async()
        if not wait_for(result_future.done, self.p.step_timeout + 5.0):
            handle.cancel_goal_async()
            raise StepFailed(f"{what}: no result in time")
        return result_future.result().result, result_future.result().status

    def move(self, pose, relative: bool = False, what: str = "move") -> None:
        goal = MoveToPose.Goal(target=pose_stamped(pose, self.get_clock().now().to_msg()), relative=relative,
                               timeout=self.p.step_timeout)
        result, _ = self._call_action(self.arm, goal, what)
        if not result.success:
            raise StepFailed(f"{what}: {result.message}")

    def grip(self, command: int, width: float = 0.0, force: float = 0.0, what: str = "gripper"):
        goal = GripperCommand.Goal(command=command, width=width, speed=0.1, force=force)
        result, _ = self._call_action(self.gripper, goal, what)
        return result

    def open_fingers(self, what: str = "open") -> None:
        self.grip(GripperCommand.Goal.MOVE, width=self.p.open_width, what=what)

    def close_fingers(self, force: float, what: str = "close"):
        return self.grip(GripperCommand.Goal.GRASP, width=0.0, force=force, what=what)

    def sleep_sim(self, seconds: float) -> None:
        end = sim_seconds(self) + seconds
        wait_for(lambda: sim_seconds(self) >= end, seconds * 50 + 5.0)

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

    def retreat(self) -> None:
        """Open the fingers, back away upwards, and wait at the observation pose (out of the camera's way)."""
        try:
            self.grip(GripperCommand.Goal.RELEASE, width=self.p.open_width, what="release")
            self.move(np.array([0.0, 0.0, 0.12, 0.0]), relative=True, what="retreat")
            self.move(np.asarray(self.p.observe_pose, float), what="observe")
        except StepFailed as exc:
            self.get_logger().warning(f"could not retreat cleanly: {exc}")
