"""What the gel does under a contact: how deep the object presses in, and where the markers go.

Indentation (a Winkler foundation, the simplest elastic layer): a gel pixel pressed in by h carries
a pressure E_w h, and the object's surface s (mm towards the gel, from the depth camera behind the
pad) pushes the gel in by h = max(0, d - (s_max - s)), where d is the depth at the object's closest
point. d is the one depth at which the gel's total reaction equals the measured normal force, so a
harder squeeze gives a deeper and wider imprint, a curved object a deeper one than a flat face at
the same force, and a stiffer gel a shallower one. The gel bottoms out at its thickness.

Markers (printed dots on the gel surface) move with the tangential load the pad carries: in the
sticking part of the contact by load / shear stiffness (shear modulus x contact area / thickness),
capped at friction x normal load (gross slip) and at a maximum shear strain. Where the local pressure
is low (the rim of the imprint) the contact slips first (incipient slip: Cattaneo-Mindlin), so rim
markers lag the centre as the load nears the friction limit; the gel around the contact is dragged
along, less with distance, never more than the contact itself. With no load the markers are at rest:
a released gel relaxes, whatever happened before.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .gel_optics import check_height_map


@dataclass(frozen=True)
class GelMechanics:
    winkler_modulus: float = 0.25  # N/mm^3: pressure per mm of indentation (a thin, nearly incompressible layer)
    thickness_mm: float = 2.0  # the gel bottoms out this deep
    shear_modulus: float = 0.1  # N/mm^2 (MPa): soft silicone; the sticking contact's stiffness is G x area / thickness
    max_shear_strain: float = 0.5  # the gel's surface travels at most this x thickness before it slides
    spread_mm: float = 0.4  # the elastic layer smooths an imprint over about this much
    drag_mm: float = 1.5  # the gel around a contact is dragged along over about this distance

    def shear_stiffness(self, contact_area_mm2: float) -> float:
        """N/mm: tangential load per mm of surface travel of a sticking contact of this area."""
        return max(self.shear_modulus * contact_area_mm2 / self.thickness_mm, 0.5)


def indentation(surface_mm: np.ndarray, normal_force: float, mm_per_px: float,
                mech: GelMechanics = GelMechanics()) -> np.ndarray:
    """Height map (mm pressed in) for an object surface (mm towards the gel, NaN where there is none)
    under a normal force (N)."""
    s = np.asarray(surface_mm, np.float64)
    if s.ndim != 2:
        raise ValueError(f"object surface must be a 2-D map, got shape {s.shape}")
    if not np.isfinite(normal_force) or normal_force < 0:
        raise ValueError(f"normal force must be finite and non-negative, got {normal_force}")
    seen = np.isfinite(s)
    if normal_force == 0.0 or not seen.any():
        return np.zeros(s.shape, np.float32)
    gap = np.where(seen, np.nanmax(s) - s, np.inf)  # how far each pixel's surface is behind the closest
    area = mm_per_px ** 2
    lo, hi = 0.0, mech.thickness_mm + float(np.min(gap))
    reachable = gap[gap < hi]  # the gel cannot press in further than its thickness: the rest never carries

    def reaction(d: float) -> float:
        return mech.winkler_modulus * area * float(np.clip(d - reachable, 0.0, mech.thickness_mm).sum())

    if reaction(hi) <= normal_force:  # bottomed out: the gel can give no more
        d = hi
    else:
        for _ in range(40):  # reaction(d) is increasing: bisection to well below a micrometre
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if reaction(mid) < normal_force else (lo, mid)
        d = 0.5 * (lo + hi)
    h = np.clip(d - gap, 0.0, mech.thickness_mm).astype(np.float32)
    sigma = mech.spread_mm / mm_per_px
    return cv2.GaussianBlur(h, (0, 0), sigmaX=sigma) if sigma > 0.3 else h


def marker_shift(markers_px: np.ndarray, height_mm: np.ndarray, tangential_n: tuple[float, float],
                 normal_force: float, friction: float, mm_per_px: float,
                 mech: GelMechanics = GelMechanics()) -> np.ndarray:
    """(markers, 2) displacement in pixels (columns, rows) for the pad's tangential load (N, along
    the image's columns and rows)."""
    h = check_height_map(height_mm, height_mm.shape)
    t = np.asarray(tangential_n, np.float64)
    if t.shape != (2,) or not np.all(np.isfinite(t)) or not np.isfinite(friction) or friction < 0:
        raise ValueError(f"tangential load {tangential_n} and friction {friction} must be finite")
    shift = np.zeros((len(markers_px), 2))
    load = float(np.hypot(*t))
    if load == 0.0 or normal_force <= 0.0 or h.max() <= 0.0:
        return shift
    pressure = h / h.max()  # the Winkler layer's pressure, relative to its peak
    inside = pressure > 0.02
    area = float(inside.sum()) * mm_per_px ** 2
    limit = friction * normal_force
    ratio = min(load / limit, 1.0) if limit > 0 else 1.0
    travel_mm = min(min(load, limit) / mech.shear_stiffness(area), mech.max_shear_strain * mech.thickness_mm)
    # sticking where the local pressure can carry the load's share, slipping towards the rim as the load
    # nears the friction limit (Cattaneo-Mindlin, smoothed); continuous up to gross slip, where only the
    # peak still holds the full travel. The gel around the contact is dragged along by it (blur).
    carried = np.where(inside, np.clip(pressure / max(ratio, 1e-6), 0.0, 1.0), 0.0).astype(np.float32)
    sigma = mech.drag_mm / mm_per_px
    field = cv2.GaussianBlur(carried, (0, 0), sigmaX=sigma) if sigma > 0.3 else carried
    field = np.maximum(field, np.where(inside, carried * 0.5, 0.0))  # blurring must not empty a small contact
    cols = np.clip(np.round(markers_px[:, 0]).astype(int), 0, h.shape[1] - 1)
    rows = np.clip(np.round(markers_px[:, 1]).astype(int), 0, h.shape[0] - 1)
    weight = field[rows, cols]
    return (weight * travel_mm / mm_per_px)[:, None] * (t / load)[None, :]
