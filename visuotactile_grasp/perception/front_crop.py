"""A square front-camera crop around a cylinder (the fitted one): the paper's network saw a close view
of the object, while the whole 320x240 frame shows it only a few pixels wide."""
from __future__ import annotations

import cv2
import numpy as np

from .camera import project


def front_crop(rgb: np.ndarray, camera, base_center: np.ndarray, height: float, side: int,
               margin: float = 1.3, radius: float = 0.0) -> np.ndarray:
    """side x side crop of rgb around a vertical cylinder standing on base_center (x, y, table z) with
    this height and radius; the square covers the cylinder's projected extent (the larger of its
    height and its diameter) times margin, aspect kept (padded with the frame's edge where it leaves it)."""
    if not (np.all(np.isfinite(base_center)) and np.isfinite(height) and height > 0):
        raise ValueError(f"cylinder for the crop must be finite with a positive height: {base_center}, {height}")
    base = np.asarray(base_center, float)
    extent = max(height, 2.0 * radius)
    px = project(np.array([base, base + [0.0, 0.0, height], base + [0.0, 0.0, extent]]), camera.K, camera.R,
                 camera.eye)
    centre = px[:2].mean(axis=0)
    half = max(margin * np.linalg.norm(px[2] - px[0]) / 2, 8.0)
    x0, y0 = int(round(centre[0] - half)), int(round(centre[1] - half))
    size = int(round(2 * half))
    pad = size + 2
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad:y0 + pad + size, x0 + pad:x0 + pad + size]
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if size > side else cv2.INTER_LINEAR)
