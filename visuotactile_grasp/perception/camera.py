"""The pinhole camera model, once: intrinsics, and projecting base-frame points into the image
(the cylinder fit back-projects with the same model; the simulated Kinect renders with it)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float
    width: int = 0  # pixels; 0 where only the projection matters
    height: int = 0

    @classmethod
    def kinect_like(cls, width: int = 320, height: int = 240) -> Intrinsics:
        """Kinect2 SD: fx = fy = 364.506 at 512x424, scaled to the requested width."""
        f = 364.506 * width / 512.0
        return cls(f, f, width / 2.0 - 0.5, height / 2.0 - 0.5, width, height)


def project(points_world: np.ndarray, K: Intrinsics, R: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """(N, 2) pixel columns and rows of world points (R: the optical axes x right, y down, z forward
    as columns in the world; eye: the optical centre)."""
    p = (np.atleast_2d(points_world) - eye) @ R
    if np.any(p[:, 2] <= 0):
        raise ValueError("a point to project lies behind the camera")
    return np.column_stack([K.fx * p[:, 0] / p[:, 2] + K.cx, K.fy * p[:, 1] / p[:, 2] + K.cy])
