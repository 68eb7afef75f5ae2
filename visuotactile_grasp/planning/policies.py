"""Regrasp policies: given the state, choose the next action or decide to lift.

A decision holds the action (dx, dy, dz in the base frame, dyaw, force change),
the resulting absolute force, the lift flag and the predicted probability.
The learned policies are in planning/regrasp.py; the cylinder-fitting baseline of
the paper needs no model: keep the initial grasp, use a constant force, lift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from .planner_defaults import BASELINE_FORCE

import numpy as np


@dataclass(frozen=True)
class Decision:
    action: np.ndarray  # 5: dx, dy, dz, dyaw, dforce
    force: float
    lift: bool
    probability: float


class CylinderBaselinePolicy:
    name = "cylinder_baseline"

    def __init__(self, force: float = BASELINE_FORCE) -> None:
        if not math.isfinite(force) or force <= 0:
            raise ValueError(f"baseline force must be positive, got {force}")
        self.force = force

    def decide(self, current_force: float) -> Decision:
        return Decision(np.array([0.0, 0.0, 0.0, 0.0, self.force - current_force]), self.force, True, float("nan"))


LEARNED_POLICIES = ("tactile_vision", "vision", "tactile", "tactile_vision_no_action")


def make_policy(name: str, baseline_force: float = BASELINE_FORCE):
    if name == CylinderBaselinePolicy.name:
        return CylinderBaselinePolicy(baseline_force)
    if name in LEARNED_POLICIES:
        raise ValueError(f"policy {name!r} is learned: load it with planning.regrasp.LearnedPolicy from a checkpoint")
    raise ValueError(f"unknown policy {name!r}; expected cylinder_baseline or one of {LEARNED_POLICIES}")
