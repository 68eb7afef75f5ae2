"""What the grasp_executive node (nodes/grasp_executive_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.wsg50.model import WSG50_FORCE_RANGE
from ..procedure.outcome import HOLD_TIME, LIFT_HEIGHT
from .trial_steps import TRIAL_PARAMS
from ..procedure.attempt import AttemptConfig
from . import Param

PARAMS = [
    Param("initial_force", AttemptConfig.initial_force,
          "Grip force of the initial grasp (N); the planner sets it from then on.",
          WSG50_FORCE_RANGE),
    Param("first_grasp", "initial", "Where the first grasp goes: initial (the fitted centre plus a random offset, "
          "height and yaw: where learned policies start) or centroid (the fitted cylinder's centroid: the paper's "
          "cylinder-fit baseline)."),
    # pi/2 rounded to 4 places (the collector's is planning/approach.YAW_RANGE, pi/2 itself): kept, because
    # every shipped evaluation drew its initial yaws with 1.5708, so attempt k starts where it always did
    Param("yaw_range", 1.5708, "Random initial yaw in [-yaw_range, yaw_range] (rad).", (0.0, 3.1416)),
    Param("lift_height", LIFT_HEIGHT, "Lift by this much (m; config/lift_test.yaml, shared with the collector).",
          (0.01, 0.3)),
    Param("hold_time", HOLD_TIME, "Hold the object this long after lifting before labelling (sim s; "
          "config/lift_test.yaml).", (0.0, 30.0)),
    Param("max_regrasps", AttemptConfig.max_regrasps, "Most regrasps before lifting anyway.", (0, 50)),
    Param("label_timeout", 2.0, "Longest wait after the hold for contact estimates from both gels (sim s).",
          (0.1, 30.0)),
    # no yaml entry: it must exceed the planner's input_timeout (10 s), or its INPUTS_MISSING answer comes too late
    Param("planner_timeout", 30.0, "Time to wait for the planner's answer (steady s); the planner itself answers "
          "INPUTS_MISSING after its input_timeout, so this only catches a planner that is down.", (0.1, 600.0)),
    Param("reset_object", True, "After each attempt, ask the simulator to put the object at a random place."),
    Param("seed", 0, "Seed of the random initial grasps: attempt k on an object starts from the grasp that "
          "evaluation's attempt k does (streams.attempt_key; k is the goal's trial_id, else the node's count).",
          (0, 2**31 - 1)),
    *TRIAL_PARAMS,
]
