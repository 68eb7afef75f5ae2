"""What the wsg50_gripper node (nodes/wsg50_gripper_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.wsg50.model import WSG50_FORCE_RANGE
from ..devices.wsg50.protocol import FACTORY_HOST, FACTORY_PORT
from . import Param

PARAMS = [
    Param("host", FACTORY_HOST, "Gripper IP address (the factory's by default).", deployment=True),
    Param("port", FACTORY_PORT, "Gripper TCP port.", (1, 65535), deployment=True),
    Param("timeout", 2.0, "Reply timeout for non-motion commands (s).", (0.05, 30.0)),
    Param("motion_timeout", 30.0, "Time limit for a motion to finish (s); a full stroke at 5 mm/s takes 22 s.",
          (0.5, 120.0)),
    Param("min_force", WSG50_FORCE_RANGE[0], "Lowest grip force ever commanded (N; default the WSG-50's).",
          (0.0, WSG50_FORCE_RANGE[1])),
    Param("max_force", WSG50_FORCE_RANGE[1], "Highest grip force ever commanded (N; default the WSG-50's); "
          "requests above are clamped.", (1.0, WSG50_FORCE_RANGE[1])),
    Param("default_speed", 0.1, "Finger speed when a goal gives none (m/s).", (0.005, 0.42)),
    Param("stroke", 0.11, "Full opening (m).", (0.01, 0.2)),
    Param("status_period", 0.05, "Status poll period (steady s).", (0.005, 5.0)),
    Param("reconnect_period", 1.0, "Retry period while disconnected (steady s).", (0.05, 60.0)),
    Param("home_on_connect", True, "Home the fingers after (re)connecting."),
    Param("joint_names", ["wsg50_finger_left_joint", "wsg50_finger_right_joint"], "Finger joint names."),
]
