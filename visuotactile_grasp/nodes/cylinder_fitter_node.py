"""Kinect cylinder fitter: depth image + camera_info -> CylinderFit and a marker."""
from __future__ import annotations

import time

import numpy as np
from sensor_msgs.msg import CameraInfo, Image
from visualization_msgs.msg import Marker
from visuotactile_grasp_msgs.msg import CylinderFit

from .. import topics
from ..graph import interfaces
from ..perception.cylinder_fit import FitConfig, Intrinsics, fit_cylinder, quaternion_to_matrix
from ..perception.depth import DEPTH_ENCODINGS, depth_to_meters
from ..ros import qos
from ..ros.clocks import node_now, steady_timer
from ..ros.declared_node import DeclaredNode
from ..ros.diagnostics import ERROR, OK, WARN, Diagnostics
from ..image_decoding import ImageConversionError, check_image
from ..ros.image_conversion import image_to_numpy
from ..ros.input_checks import CauseLog, camera_info_problem, stamp_ahead
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.cylinder_fitter import PARAMS



class CylinderFitterNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("cylinder_fitter", interfaces.cylinder_fitter_node())
        self.p = declare_params(self, PARAMS)
        self.R = quaternion_to_matrix(self.p.camera_orientation)
        self.t = np.asarray(self.p.camera_position, float)
        self.config = FitConfig(plane_threshold=self.p.plane_threshold,
                                object_min_height=self.p.object_min_height,
                                object_max_height=self.p.object_max_height, roi=tuple(self.p.roi))
        self.intrinsics: Intrinsics | None = None
        self.last_depth_wall = None
        self.last_fit_wall = 0.0
        self.bad_input = CauseLog(self.get_logger())
        self.no_fit_log = CauseLog(self.get_logger(), period_s=30.0)  # an empty table is no error
        self.fit_pub = self.create_publisher(CylinderFit, topics.CYLINDER_FIT, qos.LATCHED)
        self.marker_pub = self.create_publisher(Marker, topics.CYLINDER_MARKER, qos.RELIABLE)
        self.create_subscription(CameraInfo, topics.KINECT_DEPTH_INFO, self.on_info, qos.IMAGE)
        self.create_subscription(Image, topics.KINECT_DEPTH, self.on_depth, qos.IMAGE)
        self.diag = Diagnostics(self, "cylinder_fitter", "kinect")
        steady_timer(self, 1.0, self.watchdog)

    def on_info(self, msg: CameraInfo) -> None:
        problem = camera_info_problem(msg)
        if problem is not None:  # the intrinsics received before stay in use
            self.bad_input.problem(problem, "camera_info ignored")
            return
        k = msg.k
        self.intrinsics = Intrinsics(k[0], k[4], k[2], k[5])

    def on_depth(self, msg: Image) -> None:
        # checked before the rate limit, so a malformed frame is reported whenever it comes
        try:
            check_image(msg)
            if msg.encoding not in DEPTH_ENCODINGS:
                raise ImageConversionError(f"{msg.encoding} is not a depth encoding {DEPTH_ENCODINGS}", "encoding")
            problem = stamp_ahead(msg.header.stamp, node_now(self))
            if problem is not None:
                raise ImageConversionError(problem.text, problem.cause)
        except ImageConversionError as exc:
            self.bad_input(exc.cause, f"bad depth image: {exc}")
            self.diag.publish(ERROR, f"bad depth image: {exc}")
            return
        self.last_depth_wall = time.monotonic()
        if self.intrinsics is None or time.monotonic() - self.last_fit_wall < self.p.min_period:
            return
        self.last_fit_wall = time.monotonic()
        try:
            depth = depth_to_meters(image_to_numpy(msg), msg.encoding)
            result = fit_cylinder(depth, self.intrinsics, self.R, self.t, self.config)
        except (ImageConversionError, ValueError) as exc:
            self.bad_input("fit failed", f"bad depth image: {exc}")
            self.diag.publish(ERROR, f"bad depth image: {exc}")
            return
        fit = CylinderFit()
        fit.header.stamp = msg.header.stamp
        fit.header.frame_id = self.p.frame_id
        fit.valid = result.valid
        fit.num_points = result.num_points
        fit.fit_quality = result.quality
        if result.valid:
            fit.center.x, fit.center.y, fit.center.z = result.center
            fit.radius, fit.height = result.radius, result.height
            self.diag.publish(OK, "object found", radius=f"{result.radius:.4f}", height=f"{result.height:.4f}")
        else:
            fit.radius = fit.height = float("nan")
            fit.center.x = fit.center.y = fit.center.z = float("nan")
            self.diag.publish(WARN, result.reason)
            self.no_fit_log(result.reason, f"no cylinder fit: {result.reason}", level="warning")
        self.fit_pub.publish(fit)
        self.marker_pub.publish(self._marker(fit))

    def _marker(self, fit: CylinderFit) -> Marker:
        m = Marker()
        m.header = fit.header
        m.ns, m.id, m.type = "cylinder_fit", 0, Marker.CYLINDER
        m.action = Marker.ADD if fit.valid else Marker.DELETE
        if fit.valid:
            m.pose.position.x, m.pose.position.y = fit.center.x, fit.center.y
            m.pose.position.z = fit.center.z + fit.height / 2
            m.scale.x = m.scale.y = 2 * fit.radius
            m.scale.z = fit.height
            m.color.r, m.color.g, m.color.b, m.color.a = 0.1, 0.8, 0.3, 0.6
        return m

    def watchdog(self) -> None:
        if self.last_depth_wall is None or time.monotonic() - self.last_depth_wall > self.p.stale_timeout:
            self.get_logger().warning("no depth image received recently", throttle_duration_sec=10.0)
            self.diag.publish(WARN, "depth stream stale")


def main(args=None) -> int:
    return run_node(CylinderFitterNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
