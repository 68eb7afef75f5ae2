"""GelSight image formation from calibration tables measured on real sensors.

A GelSight sees its gel from behind, lit by coloured lights at its edges: where the pressed surface
slopes, it takes the colour of the light it faces, so a contact shows as a coloured rim around a
flat imprint that stays close to the background. The three tables in gel_data/ (two GelSights and a
DIGIT, measured by the Taxim authors) give each channel's change from the no-contact frame as a
function of the surface slope (its angle theta and direction phi) and, through a quadratic, of the
pixel position, since the lights sit at the sensor's edges. Rendering: height map (mm) -> slopes
(dimensionless: mm over mm, so any image scale works) -> table bins -> change at each pixel's
position in the table's 640x480 frame -> added to the gel's background; the printed marker dots are
drawn on top where the gel has carried them. Vectorised numpy, no per-pixel Python.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).resolve().parent / "gel_data"
CALIBRATIONS = {"gelsight": "gelsight_polycalib.npz", "gelsight_r1.5": "gelsight_r1.5_polycalib.npz",
                "digit": "digit_polycalib.npz"}
TABLE_W, TABLE_H = 640, 480  # the image the tables' pixel positions refer to


@functools.cache
def calibration_table(name: str) -> np.ndarray:
    """(bins, bins, 3, 6) float32: per slope bin and RGB channel, the quadratic's six coefficients.

    The tables were fitted on images read by OpenCV, in BGR order: `grad_r` is the change of channel 0,
    which is blue (checked against Taxim's own rendering: grad_r correlates 0.91 with its blue channel
    and -0.54 with red)."""
    if name not in CALIBRATIONS:
        raise ValueError(f"unknown gel calibration {name!r}; expected one of {sorted(CALIBRATIONS)}")
    with np.load(DATA / CALIBRATIONS[name]) as data:
        table = np.stack([data["grad_b"], data["grad_g"], data["grad_r"]], axis=2).astype(np.float32)
        if table.shape[:2] != (int(data["bins"]),) * 2:
            raise ValueError(f"{CALIBRATIONS[name]}: tables of shape {table.shape} for {int(data['bins'])} bins")
    return table


@functools.cache
def real_background() -> np.ndarray:
    """A real GelSight's no-contact frame, RGB float32 640x480."""
    img = cv2.imread(str(DATA / "real_background_gelsight.jpg"), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(DATA / "real_background_gelsight.jpg")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32)


@dataclass(frozen=True)
class GelLook:
    """What makes one gel's images its own (a gel is replaced now and then, and gels differ)."""
    calibration: str = "gelsight"
    light_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)  # strength of each light
    background_flip: bool = False  # the frame mounted the other way round on the other finger
    marker_grid: tuple[int, int] = (7, 9)  # rows, columns of printed dots
    marker_radius_mm: float = 0.25
    noise_std: float = 2.0  # webcam noise, grey levels


class GelOptics:
    """One gel's optics at width x height pixels covering mm_per_px each."""

    def __init__(self, width: int, height: int, mm_per_px: float, look: GelLook = GelLook(), seed: int = 0) -> None:
        if width < 8 or height < 8 or not mm_per_px > 0:
            raise ValueError(f"gel image {width}x{height} at {mm_per_px} mm/px is not usable")
        self.width, self.height, self.mm_per_px, self.look = width, height, float(mm_per_px), look
        self.table = calibration_table(look.calibration)
        self.bins = self.table.shape[0]
        self._flat_table = self.table.reshape(self.bins * self.bins, *self.table.shape[2:])
        # the shading is smooth (the gel spreads an imprint over about half a millimetre), so it is
        # computed at half resolution above 200 px and interpolated: a quarter of the work
        self._step = 2 if width >= 200 and height >= 150 else 1
        hs, ws = height // self._step, width // self._step
        v, u = np.mgrid[0:hs, 0:ws].astype(np.float32)
        u, v = (u + 0.5) * TABLE_W / ws, (v + 0.5) * TABLE_H / hs  # position in the table's frame
        self._basis = np.stack([u * u, v * v, u * v, u, v, np.ones_like(u)], axis=-1)  # h, w, 6
        self.background = self._background(np.random.default_rng(seed))
        rows, cols = look.marker_grid
        self.markers = np.stack(np.meshgrid(np.linspace(0.5, cols - 0.5, cols) * width / cols,
                                            np.linspace(0.5, rows - 0.5, rows) * height / rows), axis=-1).reshape(-1, 2)
        self._rng = np.random.default_rng(seed)

    def reseed_noise(self, key) -> None:
        """Draw the sensor noise from here on from a generator keyed on key (the gel itself stays)."""
        self._rng = np.random.default_rng(key)

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        img = cv2.resize(real_background(), (self.width, self.height), interpolation=cv2.INTER_AREA)
        if self.look.background_flip:
            img = img[::-1, ::-1]
        img = img * np.asarray(self.look.light_gain, np.float32)
        # this gel's own wear: a few dark specks
        v, u = np.mgrid[0:self.height, 0:self.width]
        for _ in range(int(rng.integers(3, 10))):
            cu, cv, r = rng.uniform(0, self.width), rng.uniform(0, self.height), rng.uniform(0.6, 1.8)
            img[(u - cu) ** 2 + (v - cv) ** 2 < r * r] *= 0.45
        return np.clip(img, 0, 255).astype(np.float32)

    def shading(self, height_mm: np.ndarray) -> np.ndarray:
        """(H, W, 3) change of each channel from the background for a pressed-in height map (mm).

        The change is the table's at the pixel's slope minus its change at zero slope in the same
        direction (the first theta row is not constant in phi, nor zero), interpolated linearly
        between theta bins: a barely sloped pixel changes barely, with no step at any slope."""
        h = check_height_map(height_mm, (self.height, self.width))
        if self.look.background_flip:  # the sensor mounted the other way round: its lights turn too
            h = h[::-1, ::-1]
        if self._step > 1:
            h = cv2.resize(np.ascontiguousarray(h), self._basis.shape[1::-1], interpolation=cv2.INTER_AREA)
        dz_dx, dz_dy = np.gradient(h / (self.mm_per_px * self._step))  # x down the rows, y along the columns
        theta = np.arctan(np.hypot(dz_dx, dz_dy))
        sloped = theta > 1e-6
        change = np.zeros(h.shape + (3,), np.float32)
        if sloped.any():
            n = self.bins - 1
            phi = np.arctan2(dz_dx[sloped], dz_dy[sloped])
            j = np.clip(((phi + np.pi) / (2 * np.pi / n)).astype(np.int64), 0, n)
            t = theta[sloped] / np.float32(0.5 * np.pi / n)
            i = np.clip(t.astype(np.int64), 0, n - 1)
            frac = np.clip(t - i.astype(np.float32), 0.0, 1.0)[:, None, None]
            rows = self._flat_table  # (bins * bins, 3, 6): one gather per bin row instead of two indices
            k = i * self.bins + j
            coeffs = (1 - frac) * rows.take(k, 0) + frac * rows.take(k + self.bins, 0) - rows.take(j, 0)
            change[sloped] = np.matmul(coeffs, self._basis[sloped][:, :, None])[..., 0]
        if self._step > 1:
            change = cv2.resize(change, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        if self.look.background_flip:
            change = change[::-1, ::-1]
        return change * np.asarray(self.look.light_gain, np.float32)

    def render(self, height_mm: np.ndarray | None, marker_shift_px: np.ndarray | None = None) -> np.ndarray:
        """RGB uint8 image: the background, the imprint's shading, the markers where the gel carried
        them (marker_shift_px: (markers, 2) column/row displacement), webcam noise."""
        img = self.background.copy()
        if height_mm is not None:
            img += self.shading(height_mm)
        shift = np.zeros_like(self.markers) if marker_shift_px is None else np.asarray(marker_shift_px, np.float64)
        if shift.shape != self.markers.shape or not np.all(np.isfinite(shift)):
            raise ValueError(f"marker shift must be finite, shape {self.markers.shape}; got {shift.shape}")
        img *= self._marker_shade(self.markers + shift)[..., None]
        img += self._rng.standard_normal(img.shape, dtype=np.float32) * np.float32(self.look.noise_std)
        return np.clip(img, 0, 255).astype(np.uint8)


    def _marker_shade(self, centres: np.ndarray) -> np.ndarray:
        """(H, W) factor darkening the printed dots at these centres (column, row): anti-aliased, so
        sub-pixel motion changes the image, as on a real webcam. All dots at once: each gets a square
        patch of pixels around it; patches that leave the image are cut, overlapping ones multiply."""
        radius = self.look.marker_radius_mm / self.mm_per_px
        r = int(np.ceil(radius)) + 1
        steps = np.arange(-r, r + 2)
        cu, cv = centres[:, 0], centres[:, 1]
        xs = np.trunc(cu).astype(np.int64)[:, None] + steps  # (dots, patch)
        ys = np.trunc(cv).astype(np.int64)[:, None] + steps
        cover = np.clip(radius + 0.5 - np.hypot((xs + 0.5 - cu[:, None])[:, None, :],
                                                 (ys + 0.5 - cv[:, None])[:, :, None]), 0.0, 1.0)
        inside = ((xs >= 0) & (xs < self.width))[:, None, :] & ((ys >= 0) & (ys < self.height))[:, :, None]
        flat = (np.clip(ys, 0, self.height - 1)[:, :, None] * self.width + np.clip(xs, 0, self.width - 1)[:, None, :])
        shade = np.ones(self.height * self.width, np.float32)
        np.multiply.at(shade, flat[inside], (1.0 - 0.75 * cover[inside]).astype(np.float32))
        return shade.reshape(self.height, self.width)


def check_height_map(height_mm, shape: tuple[int, int]) -> np.ndarray:
    """The height map as float32, or a clear error: wrong shape, non-finite or negative values."""
    h = np.asarray(height_mm, np.float32)
    if h.shape != shape:
        raise ValueError(f"gel height map has shape {h.shape}, expected {shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError("gel height map has non-finite values")
    if h.min() < 0:
        raise ValueError(f"gel height map must be a non-negative indentation (mm), min {h.min():.3g}")
    return h
