"""Fit a vertical cylinder to the object on the table from one depth image.

Steps (after the authors' method, see docs): back-project depth to points in
the robot base frame; find the table plane with RANSAC; keep points above it
inside the region of interest; keep the largest connected cluster; fit a
circle to the cluster's horizontal footprint (least squares, with the paper's
percentile method as fallback); height is the 99.7th percentile above the
plane. Robust to missing depth (zeros/NaN) and an empty table.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .camera import Intrinsics  # noqa: F401 - the fit's argument type, importable from here


@dataclass(frozen=True)
class FitConfig:
    plane_threshold: float = 0.008  # m, RANSAC inlier distance to the table plane
    object_min_height: float = 0.01  # m above the plane to count as object
    object_max_height: float = 0.35  # m: anything higher is the robot, not the object
    ransac_iterations: int = 200
    roi: tuple[float, float, float, float] = (0.35, 0.9, -0.35, 0.35)  # x/y bounds in the base frame
    grid_cell: float = 0.005  # m, footprint grid for clustering
    min_points: int = 30
    max_points: int = 60_000  # subsample larger clouds for speed
    seed: int = 0


@dataclass(frozen=True)
class CylinderFitResult:
    valid: bool
    center: tuple[float, float, float] = (float("nan"),) * 3  # x, y of the axis; z of the table
    radius: float = float("nan")
    height: float = float("nan")
    quality: float = 0.0
    num_points: int = 0
    reason: str = ""


def quaternion_to_matrix(q) -> np.ndarray:
    x, y, z, w = q
    n = x * x + y * y + z * z + w * w
    if not np.isfinite(n) or n < 1e-12:
        raise ValueError(f"invalid camera quaternion {q}")
    s = 2.0 / n
    return np.array([
        [1 - s * (y * y + z * z), s * (x * y - z * w), s * (x * z + y * w)],
        [s * (x * y + z * w), 1 - s * (x * x + z * z), s * (y * z - x * w)],
        [s * (x * z - y * w), s * (y * z + x * w), 1 - s * (x * x + y * y)],
    ])


def backproject(depth_m: np.ndarray, K: Intrinsics, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Valid depth pixels -> N x 3 points in the base frame (R, t: optical frame in base)."""
    v, u = np.nonzero(np.isfinite(depth_m) & (depth_m > 0.05) & (depth_m < 8.0))
    z = depth_m[v, u]
    cam = np.stack([(u - K.cx) / K.fx * z, (v - K.cy) / K.fy * z, z], axis=1)
    return cam @ R.T + t


def ransac_plane(points: np.ndarray, threshold: float, iterations: int, rng: np.random.Generator):
    """Return (normal, d) with normal pointing up (+z), best inlier count."""
    best, best_count = None, -1
    n = len(points)
    for _ in range(iterations):
        a, b, c = points[rng.choice(n, 3, replace=False)]
        normal = np.cross(b - a, c - a)
        norm = np.linalg.norm(normal)
        if norm < 1e-9:
            continue
        normal /= norm
        if normal[2] < 0:
            normal = -normal
        if normal[2] < 0.8:  # the table is roughly horizontal; ignore walls and object sides
            continue
        d = -normal @ a
        count = int(np.count_nonzero(np.abs(points @ normal + d) < threshold))
        if count > best_count:
            best, best_count = (normal, d), count
    if best is None:
        return None
    normal, d = best
    inliers = points[np.abs(points @ normal + d) < threshold]
    centroid = inliers.mean(axis=0)
    _, _, vt = np.linalg.svd(inliers - centroid, full_matrices=False)
    normal = vt[2] if vt[2][2] > 0 else -vt[2]
    return normal, float(-normal @ centroid)


def fit_circle(xy: np.ndarray) -> tuple[float, float, float]:
    """Algebraic (Kasa) least-squares circle fit -> (cx, cy, r)."""
    A = np.column_stack([2 * xy[:, 0], 2 * xy[:, 1], np.ones(len(xy))])
    b = (xy ** 2).sum(axis=1)
    (cx, cy, c), *_ = np.linalg.lstsq(A, b, rcond=None)
    r2 = c + cx * cx + cy * cy
    return float(cx), float(cy), float(np.sqrt(r2)) if r2 > 0 else float("nan")


def fit_cylinder(depth_m: np.ndarray, K: Intrinsics, R: np.ndarray, t: np.ndarray,
                 config: FitConfig = FitConfig()) -> CylinderFitResult:
    if depth_m.ndim != 2:
        raise ValueError(f"depth image must be 2-D, got shape {depth_m.shape}")
    rng = np.random.default_rng(config.seed)
    points = backproject(depth_m, K, R, np.asarray(t, float))
    if len(points) > config.max_points:
        points = points[rng.choice(len(points), config.max_points, replace=False)]
    if len(points) < config.min_points * 3:
        return CylinderFitResult(False, num_points=len(points), reason="too few valid depth pixels")
    plane = ransac_plane(points, config.plane_threshold, config.ransac_iterations, rng)
    if plane is None:
        return CylinderFitResult(False, reason="no table plane found")
    normal, d = plane
    height = points @ normal + d
    xmin, xmax, ymin, ymax = config.roi
    in_roi = (points[:, 0] >= xmin) & (points[:, 0] <= xmax) & (points[:, 1] >= ymin) & (points[:, 1] <= ymax)
    obj = in_roi & (height > config.object_min_height) & (height < config.object_max_height)
    if np.count_nonzero(obj) < config.min_points:
        return CylinderFitResult(False, num_points=int(np.count_nonzero(obj)), reason="no object on the table")
    pts, hts = points[obj], height[obj]
    # largest connected cluster on the footprint grid
    cell = config.grid_cell
    gx = np.floor((pts[:, 0] - xmin) / cell).astype(int)
    gy = np.floor((pts[:, 1] - ymin) / cell).astype(int)
    grid = np.zeros((gy.max() + 1, gx.max() + 1), np.uint8)
    grid[gy, gx] = 1
    grid = cv2.dilate(grid, np.ones((3, 3), np.uint8))
    count, labels = cv2.connectedComponents(grid, connectivity=8)
    if count > 2:
        point_labels = labels[gy, gx]
        sizes = np.bincount(point_labels, minlength=count)
        sizes[0] = 0
        keep = point_labels == int(np.argmax(sizes))
        pts, hts = pts[keep], hts[keep]
    if len(pts) < config.min_points:
        return CylinderFitResult(False, num_points=len(pts), reason="object cluster too small")
    table_z = float(-d / normal[2])
    # Side points only for the circle: the top cap's points lie inside the circle.
    top = np.percentile(hts, 99.7)
    side = pts[hts < top - 0.005] if np.count_nonzero(hts < top - 0.005) >= config.min_points else pts
    cx, cy, r = fit_circle(side[:, :2])
    median = np.median(pts[:, :2], axis=0)
    span = np.sqrt(np.percentile(((pts[:, :2] - median) ** 2).sum(axis=1), 95))
    if not np.isfinite(r) or r > 3 * span + 0.01 or np.hypot(cx - median[0], cy - median[1]) > 2 * span + 0.01:
        cx, cy, r = float(median[0]), float(median[1]), float(span)  # the paper's percentile method
    dist = np.hypot(side[:, 0] - cx, side[:, 1] - cy)
    quality = float(np.mean(np.abs(dist - r) < max(0.004, 0.15 * r)))
    return CylinderFitResult(True, (cx, cy, table_z), float(r), float(top), quality, int(len(pts)))
