"""WSG-50 gripper driver: the real binary TCP protocol behind a ROS action.

Action /gripper/command (home, move, grasp with force, release); status and
finger joint states published from a steady-clock poll; reconnects, re-homes
and acknowledges a fast stop after a dropped connection; every force is clamped
to the configured range; the gripper is stopped on shutdown.
"""
from __future__ import annotations

import math
import threading

from rclpy.action import CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from sensor_msgs.msg import JointState
from visuotactile_grasp_msgs.action import GripperCommand
from visuotactile_grasp_msgs.msg import GripperStatus

from .. import topics
from ..graph import interfaces
from ..devices.wsg50 import protocol as p
from ..devices.wsg50.client import WsgClient, WsgConnectionError, WsgError
from ..ros import qos
from ..ros.clocks import steady_timer
from ..ros.declared_node import DeclaredNode
from ..ros.diagnostics import ERROR, OK, Diagnostics
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.wsg50_gripper import PARAMS



class Wsg50GripperNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("wsg50_gripper", interfaces.wsg50_gripper_node())
        self.p = declare_params(self, PARAMS)
        self.client = WsgClient(self.p.host, self.p.port, self.p.timeout, self.p.motion_timeout)
        self.status = GripperStatus(connected=False)
        self.busy = threading.Event()  # a motion holds the link: skip polling meanwhile
        self.status_pub = self.create_publisher(GripperStatus, topics.GRIPPER_STATUS, qos.RELIABLE)
        self.joint_pub = self.create_publisher(JointState, topics.GRIPPER_JOINTS, qos.RELIABLE)
        self.diag = Diagnostics(self, "wsg50_gripper", f"{self.p.host}:{self.p.port}")
        self.action = self.action_server(GripperCommand, topics.GRIPPER_ACTION, self.execute,
                                         goal_callback=self.on_goal,
                                         cancel_callback=lambda _: CancelResponse.ACCEPT,
                                         callback_group=ReentrantCallbackGroup())
        self.poll_group = MutuallyExclusiveCallbackGroup()
        steady_timer(self, self.p.status_period, self.poll, self.poll_group)
        steady_timer(self, self.p.reconnect_period, self.ensure_connected, MutuallyExclusiveCallbackGroup())

    # connection -----------------------------------------------------------------
    def ensure_connected(self) -> None:
        if self.client.connected or self.busy.is_set():
            return
        try:
            self.client.connect()
            state = self.client.system_state()
            if state & p.SystemStateBit.FAST_STOP:
                self.get_logger().warning("gripper in FAST STOP after connect: acknowledging")
                self.client.acknowledge_fault()
            if self.p.home_on_connect:
                self.busy.set()
                try:
                    self.client.home()
                finally:
                    self.busy.clear()
            self.get_logger().info(f"connected to WSG-50 at {self.p.host}:{self.p.port}")
        except (WsgConnectionError, WsgError) as exc:
            self.client.disconnect()
            self.status.connected = False
            self.get_logger().warning(f"WSG-50 not available: {exc}", throttle_duration_sec=10.0)
            self.diag.publish(ERROR, f"disconnected: {exc}")

    def poll(self) -> None:
        if self.client.connected and not self.busy.is_set():
            try:
                s = self.status
                s.width = self.client.get_width()
                s.speed = self.client.get_speed()
                s.force = self.client.get_force()
                s.force_limit = self.client.get_force_limit()
                s.grasping_state = self.client.grasping_state()
                s.system_state = self.client.system_state()
                s.connected, s.fault = True, bool(s.system_state & p.SystemStateBit.FAST_STOP)
                s.fault_message = "fast stop" if s.fault else ""
                self.diag.publish(OK if not s.fault else ERROR, "connected" if not s.fault else "fast stop",
                                  width=f"{s.width:.4f}", force=f"{s.force:.1f}")
            except (WsgConnectionError, WsgError) as exc:
                self.status.connected = False
                self.status.fault_message = str(exc)
                self.get_logger().warning(f"status poll failed: {exc}", throttle_duration_sec=5.0)
        self.status.connected = self.client.connected
        self.status.header.stamp = self.get_clock().now().to_msg()
        self.status_pub.publish(self.status)
        joints = JointState()
        joints.header.stamp = self.status.header.stamp
        joints.name = list(self.p.joint_names)
        joints.position = [self.status.width / 2, self.status.width / 2]
        joints.effort = [self.status.force, self.status.force]
        self.joint_pub.publish(joints)

    # action ------------------------------------------------------------------------
    def on_goal(self, goal) -> GoalResponse:
        values = (goal.width, goal.speed, goal.force)
        if not all(math.isfinite(v) for v in values):
            self.get_logger().error(f"rejected gripper goal with non-finite values {values}")
            return GoalResponse.REJECT
        if goal.command not in (GripperCommand.Goal.HOME, GripperCommand.Goal.MOVE, GripperCommand.Goal.GRASP,
                                GripperCommand.Goal.RELEASE, GripperCommand.Goal.ACKNOWLEDGE):
            self.get_logger().error(f"rejected unknown gripper command {goal.command}")
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    def clamp_force(self, force: float) -> float:
        clamped = min(max(force, self.p.min_force), self.p.max_force)
        if clamped != force:
            self.get_logger().warning(f"grip force {force:.1f} N clamped to {clamped:.1f} N")
        return clamped

    def execute(self, goal_handle):
        goal = goal_handle.request
        result = GripperCommand.Result()
        G = GripperCommand.Goal
        width = min(max(goal.width, 0.0), self.p.stroke)
        speed = goal.speed if goal.speed > 0 else self.p.default_speed
        self.busy.set()
        try:
            if not self.client.connected:
                raise WsgConnectionError("gripper not connected")
            if goal.command == G.ACKNOWLEDGE:
                self.get_logger().warning("FAST STOP acknowledged on request")
                self.client.acknowledge_fault()
            elif goal.command == G.HOME:
                self.client.home()
            elif goal.command == G.MOVE:
                self.client.move(width, speed)
            elif goal.command == G.RELEASE:
                self.client.release(width, speed)
            else:
                if goal.force > 0:
                    self.client.set_force_limit(self.clamp_force(goal.force))
                self.client.grasp(width, speed)
            result.success = True
        except WsgError as exc:
            result.status_code, result.message = exc.status, str(exc)
        except WsgConnectionError as exc:
            result.status_code, result.message = p.Status.COMMAND_FAILED, str(exc)
        finally:
            self.busy.clear()
        try:
            if self.client.connected:
                result.grasping_state = self.client.grasping_state()
                result.width = self.client.get_width()
                result.force = self.client.get_force()
        except (WsgConnectionError, WsgError) as exc:
            result.message = result.message or str(exc)
        if result.success:
            goal_handle.succeed()
        else:
            self.get_logger().warning(f"gripper command {goal.command} failed: {result.message}")
            goal_handle.abort()
        return result

    def on_shutdown(self) -> None:
        # Leave the hardware safe: stop any motion, then close the link.
        try:
            if self.client.connected:
                self.client.stop()
        except (WsgConnectionError, WsgError):
            pass
        self.client.disconnect()


def main(args=None) -> int:
    return run_node(Wsg50GripperNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
