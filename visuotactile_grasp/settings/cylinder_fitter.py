"""What the cylinder_fitter node (nodes/cylinder_fitter_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..perception.cylinder_fit import FitConfig
from . import Param
from .front_camera import FRONT_CAMERA_PARAMS

PARAMS = FRONT_CAMERA_PARAMS + [
    Param("roi", list(FitConfig.roi), "Region of interest on the table: x min, x max, y min, y max (m).",
          deployment=True),
    Param("plane_threshold", FitConfig.plane_threshold,
          "RANSAC inlier distance to the table plane (m).", (0.001, 0.05)),
    Param("object_min_height", FitConfig.object_min_height,
          "Points this far above the table belong to the object (m).", (0.002, 0.1)),
    Param("object_max_height", FitConfig.object_max_height,
          "Points higher than this above the table are the robot (m).", (0.02, 2.0)),
    Param("min_period", 0.2, "Minimum wall time between two fits (s); frames in between are skipped.", (0.0, 10.0)),
    Param("stale_timeout", 2.0, "Warn when no depth image arrived for this long (steady s).", (0.1, 60.0)),
    Param("frame_id", "base", "Frame of the published fit.", deployment=True),
]
