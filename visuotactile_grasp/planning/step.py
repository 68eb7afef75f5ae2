"""One planning step, shared by the planner node, `vtg replay` and evaluation.

Given the inputs of one decision (already chosen by stamp where they come from messages:
planning/decision_inputs.py), check them, run the policy, and enforce the limits whatever the
policy or the network says: the force clamped into the gripper's range, the target into the
workspace. A step that cannot plan says why (StepRejected) instead of guessing a fallback.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from ..param_files import node_params
from .action_space import GRIP_FORCE_RANGE, force_range
from .policies import CylinderBaselinePolicy, Decision


class StepRejected(ValueError):
    """The inputs cannot be planned from (the reason is the message)."""


@dataclass(frozen=True)
class StepLimits:
    min_force: float = GRIP_FORCE_RANGE[0]  # N
    max_force: float = GRIP_FORCE_RANGE[1]  # N
    workspace_lower: tuple[float, float, float] = WORKSPACE_LOWER
    workspace_upper: tuple[float, float, float] = WORKSPACE_UPPER

    def __post_init__(self) -> None:
        if not self.min_force < self.max_force:
            raise ValueError(f"min_force {self.min_force} must be below max_force {self.max_force}")


@dataclass(frozen=True)
class StepResult:
    decision: Decision  # the policy's decision with the force clamped
    target: np.ndarray  # x, y, z, yaw after the action, clamped into the workspace
    plan: object | None = None  # planning.regrasp.Plan of a learned policy (candidates, timings)


def plan_step(policy, pose, force: float, limits: StepLimits, images: dict | None = None, rng=None,
              minimum_force: bool = False, region=None) -> StepResult:
    """pose: x, y, z, yaw; force: the current grip force (N); images: rgb, gel_left, gel_right
    (after-minus-before gel images) for learned policies."""
    pose = np.asarray(pose, float)
    if pose.shape != (4,) or not np.all(np.isfinite(pose)):
        raise StepRejected(f"arm pose must be 4 finite numbers, got {pose.tolist()}")
    if not math.isfinite(force):
        raise StepRejected(f"current grip force is not finite: {force}")
    plan = None
    if isinstance(policy, CylinderBaselinePolicy):
        decision = policy.decide(force)
    else:
        missing = [k for k in ("rgb", "gel_left", "gel_right") if images is None or images.get(k) is None]
        if missing:
            raise StepRejected(f"a learned policy needs images: {missing} missing")
        if images["gel_left"].shape != images["gel_right"].shape:
            raise StepRejected(f"gel images differ in shape: {images['gel_left'].shape} vs "
                               f"{images['gel_right'].shape}")
        plan = policy.plan(images["rgb"], images["gel_left"], images["gel_right"], pose, force, rng,
                           minimum_force=minimum_force, region=region)
        decision = plan.decision
    # the last word on limits, whatever the policy or the network says
    new_force = decision.force if math.isfinite(decision.force) else force
    new_force = min(max(new_force, limits.min_force), limits.max_force)
    action = np.nan_to_num(np.asarray(decision.action, float))
    target = pose + action[:4]
    target[:3] = np.clip(target[:3], limits.workspace_lower, limits.workspace_upper)
    action[:4] = target - pose
    action[4] = new_force - force
    return StepResult(replace(decision, action=action, force=float(new_force)), target, plan)


def planner_limits() -> StepLimits:
    """The planner node's force range and workspace (config/action_space.yaml, config/workspace.yaml)."""
    p = node_params("regrasp_planner")
    return StepLimits(*force_range(p["force_range"]), tuple(p["workspace_lower"]),
                      tuple(p["workspace_upper"]))
