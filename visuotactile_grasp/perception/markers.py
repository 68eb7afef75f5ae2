"""GelSight marker tracking: how far the printed dots moved between two frames of one gel.

The dots are found as small dark blobs (darker than their surroundings by a fixed share, so the
imprint's colour does not hide them), each frame on its own; a dot of the later frame is matched to
the nearest dot of the reference within half the grid's spacing, and the dots' motion is summarised
by its median (a few dots lost at the imprint's rim or at the pad's edge do not move it). Dark specks
of a worn gel are too small to count as dots. Frames wider than max_width are averaged down first
(as perception/tactile does), and displacements are returned in the input's pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DOT_CONTRAST = 0.7  # a dot pixel is darker than this share of its surroundings (printed dots: ~0.25-0.5)
MIN_DOT_AREA = 12  # pixels at 320 wide: a printed dot covers ~35, a gel's wear specks at most ~10


@dataclass(frozen=True)
class MarkerFlow:
    reference: np.ndarray  # (n, 2) matched dots' positions (column, row) in the reference frame
    shift: np.ndarray  # (n, 2) how far each moved (columns, rows), input pixels
    dots: int  # dots found in the reference frame

    def median_along(self, direction: tuple[float, float]) -> float:
        """The median displacement along a unit direction in the image (columns, rows); NaN with no match."""
        if not len(self.shift):
            return float("nan")
        d = np.asarray(direction, np.float64)
        return float(np.median(self.shift @ (d / np.linalg.norm(d))))


def _grey(frame: np.ndarray, max_width: int) -> tuple[np.ndarray, float]:
    if frame.ndim not in (2, 3) or 0 in frame.shape:
        raise ValueError(f"a gel frame must be an image, got shape {frame.shape}")
    if frame.dtype != np.uint8 and not np.all(np.isfinite(frame)):
        raise ValueError("gel frame has non-finite values")
    grey = frame.mean(axis=2, dtype=np.float32) if frame.ndim == 3 else frame.astype(np.float32)
    scale = 1.0
    if grey.shape[1] > max_width:
        scale = grey.shape[1] / max_width
        grey = cv2.resize(grey, (max_width, int(round(grey.shape[0] / scale))), interpolation=cv2.INTER_AREA)
    return grey, scale


def find_dots(frame: np.ndarray, max_width: int = 320) -> np.ndarray:
    """(n, 2) centres (column, row) of the printed dots in one gel frame, in the input's pixels (pixel
    i spans [i, i + 1), as the renderer draws them)."""
    grey, scale = _grey(frame, max_width)
    surroundings = cv2.GaussianBlur(grey, (0, 0), sigmaX=6.0) + 1.0
    darkness = np.clip(1.0 - grey / surroundings, 0.0, 1.0)
    mask = (darkness > 1.0 - DOT_CONTRAST).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= MIN_DOT_AREA)
    keep = keep[keep > 0]  # label 0: the gel around the dots
    if not len(keep):
        return np.zeros((0, 2))
    # darkness-weighted centroids (sub-pixel: the dots are anti-aliased), all blobs in one pass
    v, u = np.mgrid[0:grey.shape[0], 0:grey.shape[1]]
    w = np.where(labels > 0, darkness, 0.0).ravel()
    lab = labels.ravel()
    total = np.bincount(lab, w, count)[keep]
    cu = np.bincount(lab, w * u.ravel(), count)[keep] / total
    cv_ = np.bincount(lab, w * v.ravel(), count)[keep] / total
    return (np.stack([cu, cv_], axis=1) + 0.5) * scale  # pixel i spans [i, i + 1): its centre is i + 0.5


def marker_flow(reference: np.ndarray, frame: np.ndarray, max_width: int = 320) -> MarkerFlow:
    """Where the dots of `reference` went in `frame` (the same gel, the same image size)."""
    if reference.shape != frame.shape:
        raise ValueError(f"frames differ in shape: {reference.shape} and {frame.shape}")
    return match_dots(find_dots(reference, max_width), find_dots(frame, max_width))


def match_dots(ref: np.ndarray, now: np.ndarray) -> MarkerFlow:
    """Match a frame's dots (now) to a reference's (ref, as find_dots gives them; a sensor finds its
    background's once)."""
    if len(ref) < 2 or not len(now):
        return MarkerFlow(np.zeros((0, 2)), np.zeros((0, 2)), len(ref))
    gaps = np.linalg.norm(ref[:, None] - ref[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    reach = 0.5 * float(np.median(gaps.min(axis=1)))  # half the grid's spacing: no dot can be mistaken
    dist = np.linalg.norm(ref[:, None] - now[None], axis=2)
    nearest = dist.argmin(axis=1)
    # a match both ways and within reach: a lost dot (under the rim, off the pad) is left out
    ok = (dist[np.arange(len(ref)), nearest] < reach) & (dist[:, nearest].argmin(axis=0) == np.arange(len(ref)))
    return MarkerFlow(ref[ok], now[nearest[ok]] - ref[ok], len(ref))

# The touch-down test (docs/results/label_touch_down/): after the hold the hand is lowered a little; an
# object that slid down onto the table is then carried by the table and the pads slide down along it, so
# the dots move up; a held object's dots stay where its weight put them (down). Per pad the extreme
# upward and the extreme downward motion are added (a rotated object twists the pads one up and one down:
# that cancels); both pads' sums are added. Pixels at 320 wide.
UP_DIRECTIONS = {"+u": (1.0, 0.0), "-u": (-1.0, 0.0), "+v": (0.0, 1.0), "-v": (0.0, -1.0)}  # (columns, rows)
UP_IN_IMAGE = UP_DIRECTIONS["+u"]  # the simulated gels: columns run up the finger (the GelSight nodes' up_in_image)
# Chosen on the training objects' attempts (docs/results/label_touch_down/, the touch-down as shipped): the
# midpoint, to 0.1 px, of the largest sum of a held object (-0.2 px) and the smallest of one on the table (6.5 px)
SUPPORT_SHIFT_PX = 3.2


def vertical_motion(reference: np.ndarray, frame: np.ndarray, up=UP_IN_IMAGE, max_width: int = 320,
                    reference_dots: np.ndarray | None = None) -> float:
    """One pad: the 95th plus the 5th percentile of the dots' motion along `up` (columns, rows) from the
    reference (the gel's background) to the frame, in pixels of the frame scaled to max_width wide (the
    dots are found at max_width or at the frame's own size when narrower). NaN when no dot was matched
    (a gel without markers, or a frame that hides them): nothing measured. reference_dots:
    find_dots(reference), when the caller keeps them."""
    if reference.shape != frame.shape:
        raise ValueError(f"frames differ in shape: {reference.shape} and {frame.shape}")
    ref = find_dots(reference, max_width) if reference_dots is None else reference_dots
    flow = match_dots(ref, find_dots(frame, max_width))
    if not len(flow.shift):
        return float("nan")
    d = np.asarray(up, np.float64)
    along = flow.shift @ (d / np.linalg.norm(d)) * (max_width / reference.shape[1])
    return float(np.percentile(along, 95) + np.percentile(along, 5))


def on_table(motions, threshold: float = SUPPORT_SHIFT_PX) -> bool:
    """The touch-down's verdict from both pads' vertical_motion: the table carries the object. A NaN
    (nothing measured on that pad) counts as no motion: without it the contact label stands alone."""
    return bool(sum(0.0 if np.isnan(m) else float(m) for m in motions) > threshold)


def summed_motion(motions) -> float | None:
    """Both pads' motions added, as on_table adds them; None when neither pad measured anything."""
    seen = [float(m) for m in motions if not np.isnan(m)]
    return float(sum(seen)) if seen else None


def table_support(references, frames, up=UP_IN_IMAGE, threshold: float = SUPPORT_SHIFT_PX) -> tuple[bool, float]:
    """(whether the table carries the object, the summed motion in pixels at 320 wide) from each pad's
    rest frame (its background) and its frame after the touch-down."""
    motions = [vertical_motion(r, f, up) for r, f in zip(references, frames, strict=True)]
    return on_table(motions, threshold), summed_motion(motions)
