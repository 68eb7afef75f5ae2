"""GelSight image processing: background subtraction and contact detection.

The model consumes the difference between the image in contact and the
no-contact background; contact is where that difference is large.
"""
from __future__ import annotations

from collections.abc import Sequence
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


# How detect_contact reads a change, recorded with every dataset: a dataset labelled by another detector
# ("rectified": the magnitude taken before the blur, until 2026-12; datasets without the key) is not resumed
# with this one, and a report that re-reads its images says so. Thresholds mean different things in each.
CONTACT_DETECTOR = "signed_blur"
UNRECORDED_DETECTOR = "rectified"  # what a dataset or run that records no contact_detector was read with
CONTACT_THRESHOLD = 18.0  # the gelsight nodes' default (settings/gelsight.py): tuned on the first gel model
CONTACT_MIN_AREA = 0.01  # share of the pad that must change: the gelsight nodes' default
# A calibrated sensor detects contact at this multiple of its own noise floor (noise_floor: the peak
# change between its frames with nothing touching, which a robot records with its background).
# Chosen on the training objects' trials of the v2 label study (docs/results/label_agreement_v2_noise/):
# 1.25 and 1.5 left no held grasp unseen there and no contact without a grasp beyond the 2 that any
# multiple gives (glass resting between the pads), 1.75-2.25 missed one; 1.5, the larger, keeps more
# margin over the noise. Not fitted on the test objects, whose calibration run checks it once.
NOISE_MULTIPLE = 1.5


def _blurred_difference(frame: np.ndarray, background: np.ndarray, max_width: int) -> tuple[np.ndarray, float]:
    """The change contact is read from: the difference blurred per channel, then its largest magnitude
    over the channels, at most max_width wide, and the downscale. Blurring the signed difference before
    taking its magnitude averages the sensor's noise away; rectifying first (as before 2026-12) left a
    floor of about twice the noise's standard deviation under every pixel."""
    if frame.shape != background.shape:
        raise ValueError(f"frame {frame.shape} and background {background.shape} differ in shape")
    scale = 1.0
    if frame.shape[1] > max_width:
        scale = frame.shape[1] / max_width
        size = (max_width, int(round(frame.shape[0] / scale)))
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        background = cv2.resize(background, size, interpolation=cv2.INTER_AREA)
    diff = cv2.GaussianBlur(frame.astype(np.float32) - background.astype(np.float32), (0, 0), sigmaX=3.0)
    diff = np.abs(diff)
    return (diff.max(axis=2) if diff.ndim == 3 else diff), scale


def detect_contact(frame: np.ndarray, background: np.ndarray, threshold: float = CONTACT_THRESHOLD,
                   min_area: float = CONTACT_MIN_AREA, max_width: int = 320) -> ContactResult:
    """Contact where the blurred absolute difference exceeds threshold over at least min_area of the pad.

    Wider frames are first averaged down to max_width (the threshold, blur and area were tuned at
    320 pixels; at 1280x960 the full-resolution test cost 65 ms a frame, a third of a 30 Hz budget
    per sensor on two cores). The centroid is reported in the input's pixels."""
    diff, scale = _blurred_difference(frame, background, max_width)
    mask = diff > threshold
    area = float(np.count_nonzero(mask)) / mask.size
    if area < min_area:
        return ContactResult(False, area, float("nan"), float("nan"), float(diff.mean()))
    v, u = np.nonzero(mask)
    return ContactResult(True, area, float(u.mean() * scale), float(v.mean() * scale), float(diff[mask].mean()))


def noise_floor(frames: Sequence[np.ndarray], max_width: int = 320) -> float:
    """A sensor's noise floor: the largest change detect_contact reads between consecutive frames with
    nothing touching (what its background capture records), averaged over the pairs: one pair's peak
    varies by about a fifth from draw to draw."""
    if len(frames) < 2:
        raise ValueError(f"the noise floor needs at least two frames without contact, got {len(frames)}")
    peaks = [float(_blurred_difference(b, a, max_width)[0].max()) for a, b in zip(frames[:-1], frames[1:], strict=True)]
    floor = float(np.mean(peaks))
    if not np.isfinite(floor) or floor <= 0:
        raise ValueError("frames without contact are identical: the sensor's noise cannot be measured "
                         "(a frozen or synthetic stream?)")
    return floor


def noise_threshold(frames: Sequence[np.ndarray], multiple: float = NOISE_MULTIPLE, max_width: int = 320) -> float:
    """A sensor's contact threshold: multiple of its noise floor."""
    return multiple * noise_floor(frames, max_width)
