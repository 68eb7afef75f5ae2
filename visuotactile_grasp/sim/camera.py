"""A pinhole RGB-D camera that ray-casts the table and a vertical cylinder analytically."""
from __future__ import annotations

import numpy as np

from ..perception.camera import Intrinsics  # one pinhole model for the simulator and perception


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Rotation whose columns are the optical frame axes (x right, y down, z forward) in the world."""
    z = target - eye
    z = z / np.linalg.norm(z)
    x = np.cross(z, np.asarray(up, float))
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


class RGBDCamera:
    def __init__(self, intrinsics: Intrinsics, eye, target) -> None:
        self.K = intrinsics
        self.eye = np.asarray(eye, float)
        self.R = look_at(self.eye, np.asarray(target, float))
        u, v = np.meshgrid(np.arange(intrinsics.width), np.arange(intrinsics.height))
        rays_cam = np.stack([(u - intrinsics.cx) / intrinsics.fx, (v - intrinsics.cy) / intrinsics.fy,
                             np.ones_like(u, float)], axis=-1)
        self._rays_cam = rays_cam  # z component 1: ray parameter t equals optical depth
        self._rays = rays_cam @ self.R.T

    def render(self, table_extent, cylinder=None, table_color=(0.55, 0.5, 0.45), cylinder_color=(0.8, 0.2, 0.2)):
        """Return (rgb uint8 HxWx3, depth float32 HxW metres along the optical axis, 0 = no return).

        table_extent: (xmin, xmax, ymin, ymax) of the table top at z = 0.
        cylinder: (x, y, radius, height, base_z) or None.
        """
        d = self._rays
        e = self.eye
        depth = np.full(d.shape[:2], np.inf)
        rgb = np.zeros(d.shape[:2] + (3,))
        # table plane z = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -e[2] / d[..., 2]
        p = e + t[..., None] * d
        xmin, xmax, ymin, ymax = table_extent
        hit = (t > 0) & (p[..., 0] >= xmin) & (p[..., 0] <= xmax) & (p[..., 1] >= ymin) & (p[..., 1] <= ymax)
        depth[hit] = t[hit]
        checker = ((np.floor(p[..., 0] / 0.05) + np.floor(p[..., 1] / 0.05)) % 2)[hit]
        rgb[hit] = np.asarray(table_color) * (0.92 + 0.08 * checker[:, None])
        if cylinder is not None:
            cx, cy, r, h, z0 = cylinder
            ox, oy = e[0] - cx, e[1] - cy
            a = d[..., 0] ** 2 + d[..., 1] ** 2
            b = 2 * (ox * d[..., 0] + oy * d[..., 1])
            c = ox * ox + oy * oy - r * r
            disc = b * b - 4 * a * c
            with np.errstate(invalid="ignore", divide="ignore"):
                t_side = (-b - np.sqrt(disc)) / (2 * a)
            z_side = e[2] + t_side * d[..., 2]
            side = (disc > 0) & (t_side > 0) & (z_side >= z0) & (z_side <= z0 + h) & (t_side < depth)
            depth[side] = t_side[side]
            nx = (e[0] + t_side * d[..., 0] - cx) / r
            ny = (e[1] + t_side * d[..., 1] - cy) / r
            light = np.array([0.5, 0.3])
            shade = np.clip(0.55 + 0.45 * (nx * light[0] + ny * light[1]), 0.2, 1.0)
            rgb[side] = np.asarray(cylinder_color) * shade[side, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                t_top = (z0 + h - e[2]) / d[..., 2]
            tx = e[0] + t_top * d[..., 0] - cx
            ty = e[1] + t_top * d[..., 1] - cy
            top = (t_top > 0) & (tx * tx + ty * ty <= r * r) & (t_top < depth)
            depth[top] = t_top[top]
            rgb[top] = np.asarray(cylinder_color) * 1.05
        depth_cam = np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
        return (np.clip(rgb, 0, 1) * 255).astype(np.uint8), depth_cam
