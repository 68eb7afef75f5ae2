"""GelSight image processing: background subtraction and contact detection.

The model consumes the difference between the image in contact and the
no-contact background; contact is where that difference is large.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ContactResult:
    in_contact: bool
    area: float  # fraction of the pad
    centroid_u: float
    centroid_v: float
    intensity: float


def difference_image(frame: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Signed difference after - before, mapped to uint8 around 128 (what the model sees)."""
    if frame.shape != background.shape:
        raise ValueError(f"frame {frame.shape} and background {background.shape} differ in shape")
    diff = frame.astype(np.int16) - background.astype(np.int16)
    return np.clip(diff + 128, 0, 255).astype(np.uint8)


def detect_contact(frame: np.ndarray, background: np.ndarray, threshold: float = 18.0,
                   min_area: float = 0.01) -> ContactResult:
    """Contact where the blurred absolute difference exceeds threshold over at least min_area of the pad."""
    if frame.shape != background.shape:
        raise ValueError(f"frame {frame.shape} and background {background.shape} differ in shape")
    diff = np.abs(frame.astype(np.float32) - background.astype(np.float32))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    diff = cv2.GaussianBlur(diff, (0, 0), sigmaX=3.0)
    mask = diff > threshold
    area = float(np.count_nonzero(mask)) / mask.size
    if area < min_area:
        return ContactResult(False, area, float("nan"), float("nan"), float(diff.mean()))
    v, u = np.nonzero(mask)
    return ContactResult(True, area, float(u.mean()), float(v.mean()), float(diff[mask].mean()))
