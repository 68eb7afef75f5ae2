"""The front camera's view of the object: a square crop around the grasp point (paper: the Kinect
image at 256 px with random 224 crops of a close view).

Squashing the whole 4:3 frame to a small square left the object 2-5 pixels wide (issue 16), so the
vision stack was nearly blind. Every decision and every record has the end-effector pose, which at
a grasp lies on the object; projected into the calibrated camera it says where the object is. The
crop shows a fixed width of the table there (FRONT_VIEW_EXTENT_M at the point's depth, so near and
far objects appear at the same scale), keeps the aspect ratio, and is resampled to the network's
side in one affine warp; what falls outside the frame is black.
"""
from __future__ import annotations

import cv2
import numpy as np

from .camera import CameraModel

FRONT_VIEW_EXTENT_M = 0.24  # width of the scene the crop shows: the largest object (8 cm) and the +-2 cm regrasps
FRONT_VIEWS = ("object", "full")  # a crop around the grasp point, or the whole frame squashed (the shipped models)


def object_view(rgb: np.ndarray, point_base, camera: CameraModel, side: int,
                extent_m: float = FRONT_VIEW_EXTENT_M) -> np.ndarray:
    """side x side x 3 uint8: the part of rgb extent_m wide around point_base (x, y, z in the base frame)."""
    img = np.asarray(rgb)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"front image must be H x W x 3 uint8, got {img.shape} {img.dtype}")
    if img.shape[:2] != (camera.K.height, camera.K.width):
        raise ValueError(f"front image is {img.shape[1]}x{img.shape[0]}, the camera model's "
                         f"{camera.K.width}x{camera.K.height}")
    point = np.asarray(point_base, float)[:3]
    if not np.all(np.isfinite(point)):
        raise ValueError(f"grasp point must be finite, got {point_base}")
    depth = camera.depth_of(point)
    if depth <= 0.05:
        raise ValueError(f"grasp point {point.tolist()} is not in front of the camera")
    (u, v), = camera.project(point[None])
    scale = side / (extent_m * camera.K.fx / depth)  # output pixels per input pixel
    if scale < 1.0:  # a large frame: shrink it whole first (area averaging), warp without aliasing after
        f = scale
        img = cv2.resize(img, (max(1, round(img.shape[1] * f)), max(1, round(img.shape[0] * f))),
                         interpolation=cv2.INTER_AREA)
        fu, fv = img.shape[1] / camera.K.width, img.shape[0] / camera.K.height
        u, v, scale = (u + 0.5) * fu - 0.5, (v + 0.5) * fv - 0.5, scale / fu
    # pixel centres at integers: the grasp point u, v lands on the crop's centre (side - 1) / 2
    c = 0.5 * (side - 1)
    M = np.array([[scale, 0.0, c - scale * u], [0.0, scale, c - scale * v]])
    return cv2.warpAffine(img, M, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)
