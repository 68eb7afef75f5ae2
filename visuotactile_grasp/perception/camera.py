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


@dataclass(frozen=True)
class CameraModel:
    """A calibrated camera: intrinsics at its image size and its pose in the base frame. Datasets
    record their front camera's (dataset.json info "front_camera") so the object can be found in
    its images; the planner has the live camera's (its CameraInfo and the extrinsics parameters)."""
    K: Intrinsics
    R: tuple  # 3 x 3, row-major tuples: the optical axes (x right, y down, z forward) as columns in the base frame
    eye: tuple  # the optical centre in the base frame (m)

    def __post_init__(self) -> None:
        R, eye = np.asarray(self.R, float), np.asarray(self.eye, float)
        if R.shape != (3, 3) or eye.shape != (3,) or not (np.all(np.isfinite(R)) and np.all(np.isfinite(eye))):
            raise ValueError(f"camera pose must be a finite 3x3 rotation and 3-vector, got {self.R}, {self.eye}")
        if not np.allclose(R.T @ R, np.eye(3), atol=1e-4):
            raise ValueError(f"camera rotation is not orthonormal: {self.R}")
        k = self.K
        if not (k.fx > 0 and k.fy > 0 and k.width > 0 and k.height > 0 and np.isfinite([k.cx, k.cy]).all()):
            raise ValueError(f"camera intrinsics must have positive focal lengths and image size, got {k}")

    @classmethod
    def from_pose(cls, K: Intrinsics, R, eye) -> CameraModel:
        return cls(K, tuple(tuple(float(v) for v in row) for row in np.asarray(R, float)),
                   tuple(float(v) for v in np.asarray(eye, float)))

    def to_dict(self) -> dict:
        k = self.K
        return {"width": k.width, "height": k.height, "fx": k.fx, "fy": k.fy, "cx": k.cx, "cy": k.cy,
                "R": [list(row) for row in self.R], "eye": list(self.eye)}

    @classmethod
    def from_dict(cls, d: dict) -> CameraModel:
        try:
            K = Intrinsics(float(d["fx"]), float(d["fy"]), float(d["cx"]), float(d["cy"]), int(d["width"]),
                           int(d["height"]))
            return cls.from_pose(K, d["R"], d["eye"])
        except (KeyError, TypeError) as e:
            raise ValueError(f"not a camera model (width, height, fx, fy, cx, cy, R, eye): {d!r}") from e

    def project(self, points_base: np.ndarray) -> np.ndarray:
        return project(points_base, self.K, np.asarray(self.R), np.asarray(self.eye))

    def depth_of(self, point_base) -> float:
        """Distance of a base-frame point in front of the camera along its optical axis (m)."""
        return float((np.asarray(point_base, float) - np.asarray(self.eye)) @ np.asarray(self.R)[:, 2])


def camera_from_calibration(k, width: int, height: int, position, orientation_xyzw) -> CameraModel:
    """A camera's model from its CameraInfo (K, row-major 3x3, and the image size) and its extrinsic
    calibration (optical frame origin and quaternion x, y, z, w in the base frame): how the planner node
    and offline replay know the front camera."""
    from .cylinder_fit import quaternion_to_matrix

    k = [float(v) for v in k]
    return CameraModel.from_pose(Intrinsics(k[0], k[4], k[2], k[5], int(width), int(height)),
                                 quaternion_to_matrix(orientation_xyzw), position)
