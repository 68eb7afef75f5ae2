"""What the regrasp_planner node (nodes/regrasp_planner_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from ..devices.wsg50.model import WSG50_FORCE_RANGE
from ..planning.action_space import GRIP_FORCE_RANGE, MAX_ROTATION_DEG, MAX_TRANSLATION
from ..planning.planner_defaults import (BASELINE_FORCE, CANDIDATES, FORCE_SWEEP, LIFT_MARGIN, LIFT_RULE, LIFT_RULES,
                                          LIFT_THRESHOLD, SEARCH, SEARCHES)
from . import Param
from .front_camera import FRONT_CAMERA_PARAMS

PARAMS = [
    Param("policy", "cylinder_baseline", "cylinder_baseline, or a learned policy (needs checkpoint)."),
    Param("checkpoint", "", "Trained, calibrated model checkpoint (directory) for learned policies."),
    Param("baseline_force", BASELINE_FORCE,
          "Constant grip force of the cylinder-fitting baseline (N).", WSG50_FORCE_RANGE),
    Param("force_range", list(GRIP_FORCE_RANGE), "Forces the planner sweeps and commands: low, high (N; "
          "config/action_space.yaml, shared with the collector: the forces the model was trained on)."),
    Param("lift_threshold", LIFT_THRESHOLD, "Lift when the calibrated probability of keeping the grasp exceeds this "
          "(under lift_rule reachable: or the model's lower measured threshold; the log says which).", (0.0, 1.0)),
    Param("lift_margin", LIFT_MARGIN, "Also lift when no regrasp is predicted to beat keeping the grasp by more than "
          "this (so a model that never reaches lift_threshold does not regrasp to the cap); negative: the paper's "
          "threshold alone.", (-1.0, 1.0)),
    Param("candidates", CANDIDATES, "Candidate actions scored per request (the last force_sweep sweep force alone).",
          (10, 100000)),
    Param("force_sweep", FORCE_SWEEP, "Candidates that keep the grasp and change the force only.", (2, 10000)),
    Param("max_translation", MAX_TRANSLATION, "Candidate translation per axis within +/- this (m; "
          "config/action_space.yaml, shared with the collector).", (0.0, 0.05)),
    Param("max_rotation_deg", MAX_ROTATION_DEG, "Candidate in-plane rotation within +/- this (degrees; "
          "config/action_space.yaml).", (0.0, 90.0)),
    Param("search", SEARCH, "Candidate search: random (the paper's 5,000 samples) or cem (cross-entropy "
          "method, about 600 evaluations; faster on a CPU).", choices=SEARCHES),
    Param("lift_rule", LIFT_RULE, "paper: lift above lift_threshold as it is; reachable: above the lower of "
          "lift_threshold and the model's own validated threshold (model.json lift, vtg calibrate), so a model "
          "that never says lift_threshold about a grasp that held can still lift", choices=LIFT_RULES),
    Param("minimum_force", False, "Pick the least force above the lift threshold in force (falls back to the most "
          "probable)."),
    Param("device", "cpu", "Torch device for the model: cpu, cuda, cuda:0, ..."),
    Param("seed", 0, "Seed of the candidate sampling.", (0, 2**31 - 1)),
    Param("input_timeout", 10.0, "Answer INPUTS_MISSING when a request's inputs have not all arrived within this "
          "(steady s).", (0.1, 300.0)),
    Param("input_history", 64, "Messages kept per camera input (ten times as many arm poses) for requests that "
          "arrive after their inputs.", (2, 10000)),
    Param("max_input_skew", 0.5, "Inputs further apart than this (sim s) are from different moments.", (0.001, 60.0)),
    Param("workspace_lower", list(WORKSPACE_LOWER), "Targets are clamped into this box: lower corner (m; "
          "config/workspace.yaml, shared with the arm)."),
    Param("workspace_upper", list(WORKSPACE_UPPER), "Targets are clamped into this box: upper corner (m)."),
] + FRONT_CAMERA_PARAMS  # a model with the object view crops the front image around the grasp with them
