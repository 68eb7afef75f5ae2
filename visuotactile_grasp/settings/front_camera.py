"""The Kinect's extrinsic calibration, declared once for every node that needs it (ROS-free).

The cylinder fitter back-projects depth with it; the regrasp planner crops the front image around
the grasp with it (perception/front_view.py). The deployment's values are in config/front_camera.yaml
(a /** section: one place for every node that declares them)."""
from __future__ import annotations

from . import Param

FRONT_CAMERA_PARAMS = [
    Param("camera_position", [1.35, 0.0, 0.55],
          "Kinect optical frame origin in the base frame (m), from extrinsic calibration.", deployment=True),
    Param("camera_orientation", [-0.623438, -0.623438, 0.333654, 0.333654],
          "Kinect optical frame orientation in the base frame, quaternion x, y, z, w.", deployment=True),
]
