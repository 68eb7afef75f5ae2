"""The simulated cell behind the node graph, as Gazebo would be.

Publishes /clock and the sensor streams a real cell produces (Kinect RGB-D,
the GelSight webcams, the arm's end-effector state), accepts the arm's
Cartesian command, and serves the WSG-50 TCP protocol so the real gripper
driver talks to the simulated fingers. /sim/inject_fault makes the cell fail
as real hardware does (a dropped gripper link, a fast stop, a sensor stream
that stops), so the graph's reactions can be tested.
"""
from __future__ import annotations

import threading
import time

import rclpy
from rclpy._rclpy_pybind11 import RCLError
from geometry_msgs.msg import PoseStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool
from visuotactile_grasp_msgs.srv import InjectFault, ResetObject

from .. import topics
from ..graph import interfaces
from ..devices.wsg50.emulator import WsgEmulator
from ..ros import qos
from ..ros.declared_node import DeclaredNode
from ..ros.conversions import pose_stamped, pose_to_xyzyaw
from ..perception.depth import depth_to_millimetres
from ..ros.image_conversion import numpy_to_image
from ..ros.input_checks import CauseLog, pose_problem, stamp_ahead
from ..stamps import stamp_seconds
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.sim_cell import PARAMS
from ..sim.cell import CellConfig, Workspace
from ..sim.kinematic_cell import KinematicCell



STREAM_FAULTS = {"kinect_stop": "kinect", "gelsight_left_stop": "gelsight_left",
                 "gelsight_right_stop": "gelsight_right"}


class SimCellNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("sim_cell", interfaces.sim_cell_node())
        self.p = declare_params(self, PARAMS)
        if self.p.depth_encoding not in ("32FC1", "16UC1"):
            raise ValueError(f"depth_encoding must be 32FC1 or 16UC1, got {self.p.depth_encoding!r}")
        config = CellConfig(self.p.camera_width, self.p.camera_height, self.p.gelsight_width,
                            self.p.gelsight_height, self.p.seed, gel_model=self.p.gel_model, objects=self.p.objects,
                            workspace=Workspace.from_params(vars(self.p)))
        if self.p.backend == "mujoco":
            from ..sim.mujoco_cell import MujocoCell  # imports MuJoCo and sets up EGL only when asked

            self.cell = MujocoCell(config, self.p.object_id)
        elif self.p.backend == "kinematic":
            self.cell = KinematicCell(config)
        else:
            raise ValueError(f"backend must be mujoco or kinematic, got {self.p.backend!r}")
        self.cell.reset_object(self.p.object_id)
        self.clock_pub = self.create_publisher(Clock, topics.CLOCK, 10)
        self.rgb_pub = self.create_publisher(Image, topics.KINECT_RGB, qos.IMAGE)
        self.depth_pub = self.create_publisher(Image, topics.KINECT_DEPTH, qos.IMAGE)
        self.info_pub = self.create_publisher(CameraInfo, topics.KINECT_DEPTH_INFO, qos.IMAGE)
        self.gel_pubs = {side: self.create_publisher(Image, topics.gelsight_raw_source(side),
                                                     qos.IMAGE) for side in topics.SIDES}
        self.ee_pub = self.create_publisher(PoseStamped, topics.ROBOT_EE_STATE, qos.RELIABLE)
        self.held_pub = self.create_publisher(Bool, topics.SIM_OBJECT_HELD, qos.RELIABLE)
        self.damaged_pub = self.create_publisher(Bool, topics.SIM_OBJECT_DAMAGED, qos.RELIABLE)
        self.bad_command = CauseLog(self.get_logger())
        self.create_subscription(PoseStamped, topics.ROBOT_EE_COMMAND, self.on_ee_command, qos.RELIABLE)
        self.controller_seen = -1.0  # sim time of the newest state the arm node echoed
        self.lockstep = False  # engaged while the echo keeps within controller_lag_max
        self.echoed = threading.Condition()
        # a group of its own: the echo must never queue behind commands or service calls, or the
        # lockstepped world would wait on callbacks that are waiting on the world
        self.create_subscription(PoseStamped, topics.ARM_EE_POSE, self.on_controller_echo, qos.RELIABLE,
                                 callback_group=MutuallyExclusiveCallbackGroup())
        self.create_service(ResetObject, topics.SIM_RESET_OBJECT, self.on_reset_object)
        self.stopped_streams: set[str] = set()  # injected faults: streams that do not publish
        self.create_service(InjectFault, topics.SIM_INJECT_FAULT, self.on_inject_fault)
        self.emulator = WsgEmulator(self.cell.gripper, self.p.wsg_host, self.p.wsg_port,
                                    clock=lambda: self.cell.time).start()
        self.get_logger().info(f"simulated WSG-50 on {self.emulator.host}:{self.emulator.port}")
        gels = f", gels {self.cell.gel_ids}" if hasattr(self.cell, "gel_ids") else ""
        self.get_logger().info(f"cell: {self.p.backend}, objects {self.p.objects}, gel model {self.p.gel_model}{gels}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-loop", daemon=True)
        self._thread.start()

    # ROS inputs ---------------------------------------------------------------
    def on_ee_command(self, msg: PoseStamped) -> None:
        problem = pose_problem(msg.pose)  # NaN, inf, not a unit quaternion
        if problem is not None:
            self.bad_command.problem(problem, "rejected end-effector command")
            return
        try:
            self.cell.command_ee(pose_to_xyzyaw(msg.pose))
        except ValueError as exc:  # outside the workspace
            self.bad_command("unreachable", f"rejected end-effector command: {exc}")

    def on_controller_echo(self, msg: PoseStamped) -> None:
        """The arm node republishes each state it has taken in, with the state's stamp."""
        problem = pose_problem(msg.pose) or stamp_ahead(msg.header.stamp, self.cell.time)
        if problem is not None:
            self.bad_command.problem(problem, "arm state echo ignored")
            return
        with self.echoed:
            self.controller_seen = max(self.controller_seen, stamp_seconds(msg.header.stamp))
            self.echoed.notify_all()

    def wait_for_controller(self, now: float) -> None:
        """Lockstep: hold the physics until the arm node has caught up to within controller_lag_max."""
        lag = self.p.controller_lag_max
        if lag <= 0:
            return
        with self.echoed:
            if not self.lockstep:
                # engage once a controller is echoing recent states (never on a stray or an old stamp)
                self.lockstep = now - lag <= self.controller_seen <= now + lag
                return
            if self.echoed.wait_for(lambda: self.controller_seen >= now - lag or self._stop.is_set(),
                                    timeout=self.p.controller_wait_max):
                return
            self.lockstep = False
        self.get_logger().warning(f"arm controller {now - self.controller_seen:.3f} s behind for "
                                  f"{self.p.controller_wait_max} s: running free until it catches up",
                                  throttle_duration_sec=10.0)

    def on_reset_object(self, request, response):
        pose = pose_to_xyzyaw(request.pose)
        try:
            if len(request.episode_key):
                if min(request.episode_key) < 0:
                    raise ValueError(f"episode_key must be non-negative, got {list(request.episode_key)}")
                self.cell.key_episode(tuple(int(k) for k in request.episode_key))
            object_id, xy = self.cell.reset_object(request.object_id or None,
                                                   None if request.random_pose else pose[:2])
        except ValueError as exc:
            response.success, response.message = False, str(exc)
            return response
        response.success, response.object_id = True, object_id
        response.pose = pose_stamped([xy[0], xy[1], 0.0, 0.0], self._stamp()).pose
        response.message = f"{object_id} at ({xy[0]:.3f}, {xy[1]:.3f})"
        return response

    def on_inject_fault(self, request, response):
        fault = request.fault
        if fault == "clear":
            self.stopped_streams.clear()
        elif fault == "wsg_drop_connection":
            self.emulator.drop_client()
        elif fault == "wsg_fast_stop":
            self.cell.gripper.stop(fast=True)
        elif fault in STREAM_FAULTS:
            self.stopped_streams.add(STREAM_FAULTS[fault])
        else:
            response.success = False
            response.message = (f"unknown fault {fault!r}; expected clear, wsg_drop_connection, wsg_fast_stop or "
                                f"one of {sorted(STREAM_FAULTS)}")
            return response
        self.get_logger().warning(f"injected fault: {fault}")
        response.success, response.message = True, f"injected {fault}"
        return response

    # simulation loop -------------------------------------------------------------
    def _stamp(self):
        ns = int(round(self.cell.time * 1e9))
        clock = Clock()
        clock.clock.sec, clock.clock.nanosec = divmod(ns, 1_000_000_000)
        return clock.clock

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            close = getattr(self.cell, "close", None)
            if close is not None:
                close()  # GL contexts are freed in the thread that created them

    def _loop(self) -> None:
        p = self.p
        periods = {"clock": p.clock_period, "camera": 1.0 / p.camera_rate, "gel": 1.0 / p.gelsight_rate,
                   "ee": 1.0 / p.ee_state_rate}
        next_due = dict.fromkeys(periods, 0.0)
        wall0, sim0 = time.monotonic(), self.cell.time
        while not self._stop.is_set() and rclpy.ok():
            self.wait_for_controller(self.cell.time)
            self.cell.step(p.time_step)
            now = self.cell.time
            clock = Clock()
            clock.clock = self._stamp()
            for name, period in periods.items():
                if now + 1e-9 >= next_due[name]:
                    next_due[name] = now + period
                    try:
                        self._publish(name, clock.clock)
                    except RCLError:  # context shut down under us (Ctrl-C): leave the loop
                        return
            if p.real_time_factor > 0:
                ahead = (now - sim0) / p.real_time_factor - (time.monotonic() - wall0)
                if ahead > 0:
                    time.sleep(ahead)

    def _publish(self, what: str, stamp) -> None:
        fid = self.p.frame_id
        if what == "clock":
            self.clock_pub.publish(Clock(clock=stamp))
        elif what == "ee":
            with self.cell.lock:
                ee = self.cell.ee.copy()
            self.ee_pub.publish(pose_stamped(ee, stamp, fid))
            self.held_pub.publish(Bool(data=self.cell.ground_truth_held()))
            self.damaged_pub.publish(Bool(data=self.cell.ground_truth_damaged()))
        elif what == "camera":
            if "kinect" in self.stopped_streams:
                return
            rgb, depth = self.cell.render_camera()
            header = pose_stamped([0, 0, 0, 0], stamp, "kinect_optical").header
            self.rgb_pub.publish(numpy_to_image(rgb, "rgb8", header))
            if self.p.depth_encoding == "16UC1":
                self.depth_pub.publish(numpy_to_image(depth_to_millimetres(depth), "16UC1", header))
            else:
                self.depth_pub.publish(numpy_to_image(depth, "32FC1", header))
            self.info_pub.publish(self._camera_info(header))
        elif what == "gel":
            for side, pub in self.gel_pubs.items():
                if f"gelsight_{side}" in self.stopped_streams:
                    continue
                header = pose_stamped([0, 0, 0, 0], stamp, f"gelsight_{side}").header
                pub.publish(numpy_to_image(self.cell.render_gel(side), "rgb8", header))

    def _camera_info(self, header) -> CameraInfo:
        K = self.cell.camera.K
        info = CameraInfo()
        info.header = header
        info.width, info.height = K.width, K.height
        info.distortion_model = "plumb_bob"
        info.d = [0.0] * 5
        info.k = [K.fx, 0.0, K.cx, 0.0, K.fy, K.cy, 0.0, 0.0, 1.0]
        info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        info.p = [K.fx, 0.0, K.cx, 0.0, 0.0, K.fy, K.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
        return info

    def on_shutdown(self) -> None:
        self._stop.set()
        with self.echoed:
            self.echoed.notify_all()
        self._thread.join(timeout=2.0)
        self.emulator.shutdown()


def main(args=None) -> int:
    return run_node(SimCellNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
