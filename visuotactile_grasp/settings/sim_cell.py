"""What the sim_cell node (nodes/sim_cell_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from ..sim.cell import GEL_MODELS, CellConfig
from ..sim.objects import LIBRARIES
from . import Param

PARAMS = [
    Param("backend", "mujoco", "Cell physics: mujoco (contact dynamics, rendered cameras) or kinematic (fast rules)."),
    Param("time_step", 0.005, "Physics step in simulated seconds.", (0.0005, 0.05)),
    Param("real_time_factor", 4.0, "Simulated seconds per wall second; 0 runs as fast as possible.", (0.0, 1000.0)),
    Param("clock_period", 0.01, "Publish /clock every this many simulated seconds (every node reads it).",
          (0.0005, 0.1)),
    Param("camera_rate", 10.0, "Kinect RGB-D frame rate in simulated Hz.", (0.1, 60.0)),
    Param("gelsight_rate", 15.0, "GelSight frame rate in simulated Hz (30 on the real sensor).", (0.1, 60.0)),
    Param("ee_state_rate", 100.0, "End-effector state rate in simulated Hz.", (1.0, 1000.0)),
    Param("camera_width", CellConfig.camera_width, "Kinect image width in pixels.", (32, 1920)),
    Param("camera_height", CellConfig.camera_height, "Kinect image height in pixels.", (24, 1080)),
    Param("gelsight_width", CellConfig.gel_width, "GelSight image width in pixels (1280 native).", (32, 1280)),
    Param("gelsight_height", CellConfig.gel_height, "GelSight image height in pixels (960 native).", (24, 960)),
    Param("depth_encoding", "32FC1", "Depth image encoding: 32FC1 (metres) or 16UC1 (millimetres)."),
    Param("wsg_host", "127.0.0.1", "Address the simulated WSG-50 listens on.", deployment=True),
    Param("wsg_port", 11000, "TCP port of the simulated WSG-50 (1000 on the real gripper); 0 picks a free one.",
          (0, 65535), deployment=True),
    Param("object_id", "train_000", "Object on the table at start."),
    Param("objects", CellConfig.objects, "Object library (sim/objects.py): v2 (material classes whose look goes "
          "with friction, density and crush strength; fragile objects that crush; what the shipped paper-scale models "
          "were trained on) or v1 (the first library, no materials; the only one of the kinematic backend).",
          choices=LIBRARIES),
    Param("seed", 0, "Seed of the cell's random placement and sensor noise; the gels are numbers 2 seed, 2 seed + 1.",
          (0, 2**31 - 1)),
    Param("gel_model", CellConfig.gel_model, "GelSight images (mujoco backend): calibrated (real sensors' "
          "calibration tables, force-driven indentation, markers under load; sim/mujoco_gels.py; what the shipped "
          "paper-scale models saw) or legacy (the first, hand-made three-light shading of the geometric overlap).",
          choices=GEL_MODELS),
    Param("frame_id", "base", "Robot base frame."),
    Param("workspace_lower", list(WORKSPACE_LOWER), "The simulated arm refuses targets outside this box: lower "
          "corner (m; config/workspace.yaml, shared with the arm node and the planner)."),
    Param("workspace_upper", list(WORKSPACE_UPPER), "The simulated arm's box: upper corner (m)."),
    Param("controller_lag_max", 0.05, "Lockstep with the arm controller: never step more than this (sim s) past the "
          "latest end-effector state the arm node has taken in (its /arm/ee_pose echo), so a controller slowed by a "
          "loaded machine meets the same physics as on an idle one; 0 runs free. Engages once the echo keeps up.",
          (0.0, 10.0)),
    Param("controller_wait_max", 1.0, "Longest wait for the arm node's echo (steady s); after it the cell runs free "
          "until the echo catches up again (a dead controller does not freeze the world).", (0.01, 60.0)),
]
