"""Depth images in one place: their encodings and units. 16UC1 (and mono16) hold millimetres,
32FC1 metres; 0 means no return. The Kinect, the simulated camera and the dataset's PNGs all
convert here."""
from __future__ import annotations

import numpy as np

DEPTH_ENCODINGS = ("16UC1", "mono16", "32FC1")


def depth_to_meters(depth: np.ndarray, encoding: str) -> np.ndarray:
    if encoding in ("16UC1", "mono16"):
        return depth.astype(np.float32) / 1000.0
    if encoding == "32FC1":
        return depth.astype(np.float32)
    raise ValueError(f"depth encoding {encoding!r} not supported (16UC1 mm or 32FC1 m)")


def depth_to_millimetres(depth_m: np.ndarray) -> np.ndarray:
    """Metres -> 16UC1 millimetres: rounded, saturating at 0 and 65.535 m (lossless at 1 mm)."""
    return np.clip(np.round(depth_m * 1000.0), 0, 65535).astype(np.uint16)
