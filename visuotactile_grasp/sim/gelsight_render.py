"""GelSight-style image formation from a gel height map.

A GelSight image is the gel lit by three coloured directional lights from the
sides: a flat gel shows the lights' smooth gradient; a press tilts the surface,
so each slope lights up in the colour of the light it faces, giving coloured
rims around a flat contact. Each gel gets its own background (light gradient,
texture, dark specks) from its seed, as worn gels differ.
"""
from __future__ import annotations

import cv2
import numpy as np

from .gel_optics import check_height_map

# Three lights around the pad, 120 degrees apart, with their colours (RGB).
_LIGHT_AZIMUTHS = np.deg2rad([90.0, 210.0, 330.0])
_LIGHT_COLORS = np.array([[1.0, 0.25, 0.2], [0.2, 1.0, 0.3], [0.25, 0.3, 1.0]])
_LIGHT_ELEVATION = np.deg2rad(35.0)


class GelSightRenderer:
    def __init__(self, width: int = 320, height: int = 240, seed: int = 0, noise_std: float = 2.0) -> None:
        self.width, self.height = width, height
        self.noise_std = noise_std
        self._rng = np.random.default_rng(seed)
        self.background = self._make_background(np.random.default_rng(10_000 + seed))
        el = _LIGHT_ELEVATION
        self._lights = np.stack([np.cos(_LIGHT_AZIMUTHS) * np.cos(el), np.sin(_LIGHT_AZIMUTHS) * np.cos(el),
                                 np.full(3, np.sin(el))], axis=1)

    def reseed_noise(self, key) -> None:
        """Draw the sensor noise from here on from a generator keyed on key (the gel itself stays)."""
        self._rng = np.random.default_rng(key)

    def _make_background(self, rng: np.random.Generator) -> np.ndarray:
        h, w = self.height, self.width
        v, u = np.mgrid[0:h, 0:w]
        uu, vv = u / w - 0.5, v / h - 0.5
        img = np.zeros((h, w, 3))
        base = rng.uniform(150, 180)  # real gels are bright and pastel, not saturated
        for k in range(3):
            a = _LIGHT_AZIMUTHS[k] + rng.normal(0, 0.15)
            # each light is brightest on its own side of the pad
            img[..., k] = base + rng.uniform(30, 50) * (np.cos(a) * uu + np.sin(a) * vv) * 1.6
        vignette = 1.0 - 0.35 * (uu ** 2 + vv ** 2) * 4
        img *= vignette[..., None]
        # low-frequency gel texture
        coarse = rng.normal(0, 6, size=(h // 16 + 2, w // 16 + 2)).astype(np.float32)
        img += cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)[..., None] * 0.6
        img += rng.normal(0, 2.5, size=img.shape)
        # dark specks (dust, paint defects)
        for _ in range(int(rng.integers(5, 15))):
            cu, cv, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.8, 2.5)
            img[(u - cu) ** 2 + (v - cv) ** 2 < r * r] *= 0.35
        # marker grid (black dots) used for shear tracking on real gels
        self._markers = np.stack(np.meshgrid(np.linspace(0.08, 0.92, 9) * w, np.linspace(0.1, 0.9, 7) * h),
                                 axis=-1).reshape(-1, 2)
        return np.clip(img, 0, 255)

    def render(self, height_map: np.ndarray | None, shear_px: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """RGB uint8 image for a gel deformation height_map (H x W, in pixels of depth), or none."""
        img = self.background.copy()
        if height_map is not None:
            height_map = check_height_map(height_map, (self.height, self.width))
        if height_map is not None and np.any(height_map > 0):
            gy, gx = np.gradient(height_map)
            normals = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
            normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
            flat = self._lights[:, 2]  # response of an untilted surface
            shading = normals @ self._lights.T - flat  # change in each light's irradiance
            img += 220.0 * shading @ _LIGHT_COLORS
            img -= 1.5 * np.clip(height_map, 0, None)[..., None]  # pressed gel darkens slightly
        v, u = np.mgrid[0:self.height, 0:self.width]
        dot_r2 = (0.008 * self.width) ** 2
        for mu, mv in self._markers:
            mu2, mv2 = mu + shear_px[0], mv + shear_px[1]
            if height_map is not None:
                iu, iv = int(np.clip(mu, 0, self.width - 1)), int(np.clip(mv, 0, self.height - 1))
                if height_map[iv, iu] > 0:
                    mu2, mv2 = mu + shear_px[0] * 2, mv + shear_px[1] * 2
            x0, x1 = int(max(mu2 - 4, 0)), int(min(mu2 + 5, self.width))
            y0, y1 = int(max(mv2 - 4, 0)), int(min(mv2 + 5, self.height))
            if x0 >= x1 or y0 >= y1:
                continue
            m = (u[y0:y1, x0:x1] - mu2) ** 2 + (v[y0:y1, x0:x1] - mv2) ** 2 < dot_r2
            img[y0:y1, x0:x1][m] *= 0.25
        img += self._rng.normal(0, self.noise_std, size=img.shape)
        return np.clip(img, 0, 255).astype(np.uint8)


def band_height_map(width: int, height: int, center_u: float, half_width_px: float,
                    v_range: tuple[float, float], depth_px: float) -> np.ndarray:
    """Height map of a vertical cylinder side pressed into the gel: a rounded band.

    center_u: band centre column; half_width_px: half the contact width;
    v_range: rows the object covers; depth_px: indentation depth.
    """
    v, u = np.mgrid[0:height, 0:width].astype(float)
    du = (u - center_u) / max(half_width_px, 1.0)
    profile = np.clip(1.0 - du ** 2, 0.0, None)
    v0, v1 = v_range
    edge = np.clip(np.minimum(v - v0, v1 - v) / 6.0, 0.0, 1.0)
    return depth_px * profile * edge
