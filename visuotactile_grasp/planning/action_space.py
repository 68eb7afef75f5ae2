"""The regrasp action space, defined once in code.

Collection draws its grip forces and regrasp motions from it, the model learns f(s, a) over it, and
the planner searches it and clamps its forces into it: the model is only asked about actions like
those it was trained on (model.json's lift calibration records the force range it swept). A
deployment sets its own in config/action_space.yaml, loaded by the data collector and the planner.

Not the gripper's hardware limit (devices/wsg50/model.WSG50_FORCE_RANGE), which bounds whatever
the driver is asked to send.
"""
from __future__ import annotations

import math

from ..devices.wsg50.model import WSG50_FORCE_RANGE

GRIP_FORCE_RANGE = (5.0, 40.0)  # N: the grip forces collected, and the planner's
MAX_TRANSLATION = 0.02  # m per axis, of a regrasp
MAX_ROTATION_DEG = 17.0  # degrees, in-plane rotation of a regrasp


def force_range(value) -> tuple[float, float]:
    """A force_range setting as (low, high) N, refused unless it lies within the gripper's limits
    (ROS checks no ranges on list parameters)."""
    lo, hi = (float(f) for f in value) if len(value) == 2 else (math.nan, math.nan)
    if not WSG50_FORCE_RANGE[0] <= lo < hi <= WSG50_FORCE_RANGE[1]:
        raise ValueError(f"force_range must be [low, high] N with {WSG50_FORCE_RANGE[0]} <= low < high <= "
                         f"{WSG50_FORCE_RANGE[1]} (the WSG-50's limits), got {list(value)}")
    return lo, hi
