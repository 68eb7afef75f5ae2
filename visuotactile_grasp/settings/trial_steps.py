"""The grasp procedure's parameters that both trial-running nodes declare (data collector, grasp executive)."""
from __future__ import annotations

from ..devices.wsg50.model import WSG50_STROKE
from ..planning.approach import APPROACH_CLEARANCE, MAX_OFFSET, OBSERVE_POSE
from . import Param

# The parameters of the grasp procedure both trial-running nodes share (data collector, grasp executive):
# declared once here (ros/robot_steps.py runs them), so the data is collected the way attempts are run.
# max_offset and approach_clearance
# are in config/grasp_approach.yaml, which both load (the bare cells read them there too).
TRIAL_PARAMS = [
    Param("max_offset", MAX_OFFSET, "Random offset of the first grasp from the cylinder centre (m; "
          "config/grasp_approach.yaml).", (0.0, 0.05)),
    Param("approach_clearance", APPROACH_CLEARANCE, "Approach from this far above the object's top (m; "
          "config/grasp_approach.yaml).", (0.01, 0.3)),
    Param("observe_pose", list(OBSERVE_POSE), "Where the arm waits while the cylinder is fitted: x, y, z (m), "
          "yaw (rad); above the object's reach, out of the camera's view of it."),
    Param("open_width", WSG50_STROKE, "Finger opening before approaching, for a regrasp and on release (m).",
          (0.01, WSG50_STROKE)),
    Param("settle_time", 0.2, "Contact settling after the fingers close (sim s): the collector snapshots the "
          "frames and the executive's planner plans from inputs this long after, so both see the settled contact.",
          (0.0, 5.0)),
    Param("inspect_damage", False, "After the hold, touch down (lower 1 cm: markers moving up the finger mean the "
          "table carries the object, a failed grasp), then put the object down, open, look again and fit the "
          "cylinder: narrower than before is a crushed object and a failed grasp (procedure/outcome.py). On for "
          "fragile objects (the simulator's object library v2; a real cell's cups and fruit); off, holding alone "
          "decides."),
    Param("step_timeout", 20.0, "Time limit for each arm or gripper step (s of the robot's clock; a clock stalled "
          "for 10 steady s also ends it).", (0.5, 120.0)),
]
