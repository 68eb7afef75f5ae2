"""The initial grasp from the cylinder fit, as the paper collects it.

Gripper at the cylinder centre plus a small random offset, at a random height
between the floor and the top, with a random yaw and (when collecting) a random
grip force.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .action_space import GRIP_FORCE_RANGE

# How a grasp approaches the fitted cylinder, collected or evaluated (the learned policies start where the
# data started): the one definition; config/grasp_approach.yaml is their shared deployment file.
MAX_OFFSET = 0.01  # m, the first grasp's random offset from the fitted centre, uniform in x and y
APPROACH_CLEARANCE = 0.05  # m above the object's top before going down to the grasp
YAW_RANGE = math.pi / 2  # rad, the collection's first-grasp yaw range (the executive's differs: see there)
# x, y, z (m), yaw (rad): where the arm waits while the cylinder is fitted, above the object's reach and
# out of the front camera's view of it (the nodes' observe_pose default; bare cells use it as is)
OBSERVE_POSE = (0.6, 0.0, 0.5, 0.0)


@dataclass(frozen=True)
class ApproachConfig:
    max_offset: float = MAX_OFFSET  # m, uniform in x and y around the centre
    min_height: float = 0.015  # m above the table (fingertip clearance)
    top_margin: float = 0.01  # m below the top of the object
    yaw_range: float = YAW_RANGE  # uniform in [-yaw_range, yaw_range]
    force_range: tuple[float, float] = GRIP_FORCE_RANGE  # N, random force when collecting


def height_band(table_z: float, height: float, config: ApproachConfig = ApproachConfig()) -> tuple[float, float]:
    """Heights a grasp may take on an object: above the fingertip clearance, below its top margin."""
    lo = table_z + config.min_height
    return lo, max(lo, table_z + height - config.top_margin)


def sample_initial_grasp(center_xy, table_z: float, height: float, rng: np.random.Generator,
                         config: ApproachConfig = ApproachConfig()) -> np.ndarray:
    """(x, y, z, yaw) of the initial grasp."""
    if not (np.all(np.isfinite(center_xy)) and np.isfinite(table_z) and np.isfinite(height)):
        raise ValueError("cylinder fit has non-finite values")
    x = center_xy[0] + rng.uniform(-config.max_offset, config.max_offset)
    y = center_xy[1] + rng.uniform(-config.max_offset, config.max_offset)
    z = rng.uniform(*height_band(table_z, height, config))
    yaw = rng.uniform(-config.yaw_range, config.yaw_range)
    return np.array([x, y, z, yaw])


def sample_force(rng: np.random.Generator, config: ApproachConfig = ApproachConfig()) -> float:
    return float(rng.uniform(*config.force_range))


@dataclass(frozen=True)
class GraspRegion:
    """Targets the training data covers: within half_width of the fitted centre in x and y, and
    between z_low and z_high (the collection's regrasp band on the object)."""
    center_xy: tuple[float, float]
    half_width: float
    z_low: float
    z_high: float

    def contains(self, targets: np.ndarray) -> np.ndarray:
        """(N,) bool for (N, >=3) target positions."""
        d = np.abs(targets[:, :2] - np.asarray(self.center_xy))
        eps = 1e-9
        return np.all(d <= self.half_width + eps, axis=1) & (targets[:, 2] >= self.z_low - eps) & \
            (targets[:, 2] <= self.z_high + eps)
