"""Workspace and goal checks for the arm: the last line of defence, whatever the planner says."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...geometry import all_finite, gripper_to_world


# The Sawyer cell's reachable box in the robot base frame (m): the one definition in code (every
# default below refers to it); a deployment sets its own in config/workspace.yaml, which both the arm
# and the planner node load.
WORKSPACE_LOWER = (0.35, -0.35, 0.0)
WORKSPACE_UPPER = (0.90, 0.35, 0.60)


class GoalRejected(ValueError):
    pass


@dataclass(frozen=True)
class ArmLimits:
    lower: tuple[float, float, float]
    upper: tuple[float, float, float]
    max_speed: float  # m/s

    @classmethod
    def from_params(cls, p) -> ArmLimits:
        """The arm node's limits from its parameters (a dict, as param_files.node_params reads them)."""
        return cls(tuple(p["workspace_lower"]), tuple(p["workspace_upper"]), float(p["max_speed"]))

    def contains(self, xyz) -> bool:
        return all(lo <= v <= hi for v, lo, hi in zip(xyz, self.lower, self.upper, strict=False))

    def resolve_goal(self, current: np.ndarray, target: np.ndarray, relative: bool) -> np.ndarray:
        """Absolute (x, y, z, yaw) target for a goal, or GoalRejected with the reason."""
        if not all_finite(*target):
            raise GoalRejected(f"goal has non-finite values: {np.round(target, 4).tolist()}")
        if relative:
            if not all_finite(*current):
                raise GoalRejected("current pose unknown, cannot apply a relative goal")
            target = gripper_to_world(current, target)
        xyz = target[:3]
        for axis, v, lo, hi in zip("xyz", xyz, self.lower, self.upper, strict=False):
            if not lo <= v <= hi:
                raise GoalRejected(f"target {axis}={v:.3f} m outside the workspace [{lo:.3f}, {hi:.3f}]")
        return target

    def speed(self, requested: float) -> float:
        if not np.isfinite(requested) or requested <= 0:
            return self.max_speed
        return min(requested, self.max_speed)
