"""Poses as (x, y, z, yaw) for a top-down gripper, and conversions to quaternions.

The paper's end-effector pose is 4-D: position plus the in-plane rotation of a
gripper that always points down. Regrasp actions move it in the base frame (dx, dy, dz,
dyaw); the model also sees that motion rotated into the gripper frame (to_gripper_frame),
and a relative arm goal (the lift, the put-down) is an offset in the gripper frame
(gripper_to_world).
"""
from __future__ import annotations

import math

import numpy as np


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (x, y, z, w) of a gripper pointing down (180 deg about x) then rotated by yaw about z."""
    # q = Rz(yaw) * Rx(pi)
    h = yaw / 2.0
    return (math.cos(h), math.sin(h), 0.0, 0.0)


def quaternion_to_yaw(x: float, y: float, z: float, w: float) -> float:
    """Inverse of yaw_to_quaternion for down-pointing grippers (also accepts upright yaw-only quaternions)."""
    if abs(w) > abs(x) and abs(w) > abs(y):  # upright frame: plain rotation about z
        return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return wrap_angle(2.0 * math.atan2(y, x))


def wrap_angle(a: float) -> float:
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def gripper_to_world(pose: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Apply an action (dx, dy, dz in the gripper frame, dyaw) to pose (x, y, z, yaw).

    The gripper frame's x and y axes are the world's rotated by yaw; z is world up
    (the planner's actions move the gripper up and down, not along its own axis).
    """
    x, y, z, yaw = pose
    dx, dy, dz, dyaw = delta
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([x + c * dx - s * dy, y + s * dx + c * dy, z + dz, wrap_angle(yaw + dyaw)])


def to_gripper_frame(motion_xyz, yaw: float) -> np.ndarray:
    """Rotate a base-frame translation (3, or 3 x N columns) into the gripper frame of this yaw."""
    c, s = math.cos(yaw), math.sin(yaw)
    x, y, z = motion_xyz
    return np.array([c * x + s * y, -s * x + c * y, z])


def all_finite(*values) -> bool:
    return bool(np.all(np.isfinite(np.asarray(values, dtype=float))))
