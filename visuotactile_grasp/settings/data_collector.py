"""What the data_collector node (nodes/data_collector_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.wsg50.model import WSG50_FORCE_RANGE
from ..procedure.outcome import HOLD_TIME, LIFT_HEIGHT
from ..planning.action_space import GRIP_FORCE_RANGE, MAX_ROTATION_DEG, MAX_TRANSLATION
from ..planning.approach import YAW_RANGE
from .trial_steps import TRIAL_PARAMS
from ..collection.trial import CollectConfig
from . import Param
from .front_camera import FRONT_CAMERA_PARAMS

PARAMS = [
    Param("dataset_dir", "", "Write the trials' records here (append, resumable); empty: outcomes only."),
    Param("force_range", list(GRIP_FORCE_RANGE), "Random grip force range of both grasps: low, high (N; "
          "config/action_space.yaml, shared with the planner)."),
    Param("first_force", 0.0, "Force of every first grasp (N), within force_range; 0: drawn from force_range "
          "like the regrasp's (the paper's). A fixed force collects from where evaluation's learned policies start "
          "(the executive's initial_force).", (0.0, WSG50_FORCE_RANGE[1])),
    Param("yaw_range", YAW_RANGE, "Random first-grasp yaw in [-yaw_range, yaw_range] (rad).", (0.0, 3.1416)),
    Param("max_translation", MAX_TRANSLATION, "Regrasp action: translation per axis within +/- this (m; "
          "config/action_space.yaml, shared with the planner).", (0.0, 0.05)),
    Param("max_rotation_deg", MAX_ROTATION_DEG, "Regrasp action: rotation within +/- this (degrees; "
          "config/action_space.yaml).", (0.0, 90.0)),
    Param("lift_height", LIFT_HEIGHT, "Lift by this much (m; config/lift_test.yaml, shared with the executive).",
          (0.01, 0.3)),
    Param("hold_time", HOLD_TIME, "Hold after lifting before labelling (sim s; config/lift_test.yaml).", (0.0, 30.0)),
    Param("release_delay", CollectConfig.release_delay,
          "The release sample's gels are taken this long after the fingers opened from the first grasp "
          "(sim s).", (0.0, 2.0)),
    Param("gel_change_every", 0, "Bare-cell collection (vtg collect --direct): both gels change every this many "
          "trials, drawn from the training inventory (sim/gel_inventory.py); 0: the cell's own pair. The graph's "
          "sim cell keeps its pair (vtg collect refuses other values without --direct).", (0, 1000000)),
    Param("frame_timeout", 5.0, "Longest wait for a fresh camera or gel frame (s of the robot's clock; a clock "
          "stalled for 10 steady s also ends it).", (0.1, 60.0)),
    Param("background_every", 50, "Re-capture the gel backgrounds every this many trials.", (1, 100000)),
    Param("reset_object", True, "After each trial, ask the simulator to put the object at a random place."),
    Param("seed", 0, "Seed of the random grasps and actions (trial seeds derive from it).", (0, 2**31 - 1)),
    *TRIAL_PARAMS,
    *FRONT_CAMERA_PARAMS,  # a new dataset records the Kinect's model (its CameraInfo and these extrinsics)
]
