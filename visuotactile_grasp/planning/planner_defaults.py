"""The regrasp planner's search and lift settings, defined once: CandidateConfig (planning/regrasp.py)
takes its defaults from here, and the planner node declares them (settings/regrasp_planner.py)."""
from __future__ import annotations

CANDIDATES = 5000  # scored per decision: the paper's 4,900 random actions and 100 force sweeps
FORCE_SWEEP = 100  # of CANDIDATES: keep the grasp, change the force only
LIFT_THRESHOLD = 0.9  # the paper's, on Platt-calibrated probabilities
LIFT_MARGIN = 0.02  # lift when no regrasp beats keeping the grasp by more (negative: the paper's rule alone)
LIFT_RULES = ("paper", "reachable")  # paper: lift_threshold as it is; reachable: capped by the model's validated one
LIFT_RULE = "reachable"
SEARCHES = ("random", "cem")  # random: the paper's random candidates; cem: cross-entropy method
SEARCH = "random"
BASELINE_FORCE = 10.0  # N: the paper's cylinder-fit baseline closes at the fitted centroid with this
