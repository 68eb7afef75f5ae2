"""What the sawyer_arm node (nodes/sawyer_arm_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from . import Param

PARAMS = [
    Param("workspace_lower", list(WORKSPACE_LOWER), "Workspace lower corner x, y, z in the base frame (m; "
          "config/workspace.yaml, shared with the planner)."),
    Param("workspace_upper", list(WORKSPACE_UPPER), "Workspace upper corner x, y, z in the base frame (m)."),
    Param("max_speed", 0.3, "Cartesian speed limit (m/s).", (0.01, 1.0)),
    Param("max_lead", 0.005, "Set-points never lead the measured pose along the path by more than this (m), "
          "so command latency cannot turn into a catch-up burst above max_speed.", (0.0005, 0.1)),
    Param("default_timeout", 10.0, "Time limit for a motion when the goal gives none (s of the robot's clock: "
          "sim time in simulation).", (0.1, 120.0)),
    Param("position_tolerance", 0.002, "Distance at which a goal counts as reached (m).", (0.0001, 0.05)),
    Param("yaw_tolerance", 0.02, "Yaw error at which a goal counts as reached (rad).", (0.001, 0.5)),
    Param("state_timeout", 1.0, "End-effector state older than this is stale (s of the node's clock: sim time in "
          "simulation, so a cell slowed down by a loaded machine is not mistaken for a dead one).", (0.05, 30.0)),
    Param("state_timeout_steady", 1.0, "A state stream is stale only when it has also been silent this long in "
          "steady time: a process paused by a loaded machine handles its /clock backlog before its state backlog, "
          "and at 4x real time a 0.25 s pause would otherwise read as a stream gone stale (steady s).", (0.0, 30.0)),
    Param("stall_timeout", 10.0, "No state and no clock progress for this long means the robot or the simulator "
          "has stopped (steady s).", (0.5, 300.0)),
    Param("state_wait", 0.05, "The motion loop sends one set-point per end-effector state; it waits at most this "
          "long for the next state before checking staleness, cancels and time limits again (steady s).",
          (0.001, 1.0)),
    Param("frame_id", "base", "Robot base frame.", deployment=True),
    Param("ee_frame_id", "right_hand", "End-effector frame broadcast on /tf (when tf2_msgs is installed).",
          deployment=True),
]
