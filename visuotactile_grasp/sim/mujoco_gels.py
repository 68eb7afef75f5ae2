"""The MuJoCo cell's GelSights with calibrated optics and gel mechanics (gel_model "calibrated").

Per pad, from the simulated physics only: the object's surface seen by an orthographic depth camera
behind the gel (mm towards the gel), the contact force the object puts on the pad (summed over the
solver's contacts, split into the normal load and the tangential load along the image's columns and
rows) and the contact's friction coefficient. gel_mechanics turns them into an indentation height map
and a marker displacement; gel_optics into the image. Nothing else of the simulator reaches the
image: no object identity, pose or slip state.

Gels differ: each side's gel is drawn from its gel id (calibration table of one of three real sensors,
light strengths, orientation of the frame, marker grid, wear specks, noise), as a replaced gel would.
"""
from __future__ import annotations

import numpy as np

from functools import cache

from ..perception.tactile import noise_threshold
from .gel_mechanics import GelMechanics, indentation, marker_shift
from .gel_optics import CALIBRATIONS, GelLook, GelOptics

GEL_SIDE_MM = 24.0  # the sensing area images 24 x 18 mm (sim/mjcf.py: GEL_VIEW_HEIGHT is the 18)
SURFACE_RANGE_MM = 3.0  # object surface further than this in front of the gel is not near it
# A reference press (reference_press): a 20 mm-radius cap at 10 N, centred; how strongly each gel answers
# (the contact threshold itself is set by the gel's noise: contact_threshold)
REFERENCE_RADIUS_MM, REFERENCE_FORCE_N = 20.0, 10.0
CALIBRATION_WIDTH, CALIBRATION_HEIGHT = 320, 240  # detect_contact reads contact at 320 px at most


def gel_look(gel_id: int) -> GelLook:
    """The look of gel number gel_id, drawn from its id alone."""
    rng = np.random.default_rng([int(gel_id), 77])
    names = sorted(CALIBRATIONS)
    return GelLook(calibration=names[int(gel_id) % len(names)],
                   light_gain=tuple(float(g) for g in rng.uniform(0.85, 1.15, 3)),
                   background_flip=bool(rng.integers(0, 2)),
                   marker_grid=((6, 8), (7, 9), (8, 11))[int(rng.integers(0, 3))],
                   marker_radius_mm=float(rng.uniform(0.2, 0.32)), noise_std=float(rng.uniform(1.5, 3.0)))


def gel_mechanics(gel_id: int) -> GelMechanics:
    """Gel stiffness varies from gel to gel (casting, age) by about a quarter."""
    rng = np.random.default_rng([int(gel_id), 78])
    base = GelMechanics()
    scale = float(rng.uniform(0.75, 1.3))
    return GelMechanics(winkler_modulus=base.winkler_modulus * scale, shear_modulus=base.shear_modulus * scale)


class CalibratedGel:
    """One pad's gel: its optics and its mechanics, both drawn from its gel id."""

    def __init__(self, width: int, gel_id: int, height: int) -> None:
        if abs(height * 4 - width * 3) > 4:
            raise ValueError(f"the gel camera images a 24 x 18 mm area: a {width}x{height} image is not 4:3")
        self.gel_id, self.mm_per_px = int(gel_id), GEL_SIDE_MM / width
        self.optics = GelOptics(width, height, self.mm_per_px, gel_look(gel_id), seed=int(gel_id))
        self.mechanics = gel_mechanics(gel_id)

    def reseed_noise(self, key) -> None:
        self.optics.reseed_noise(key)

    def render(self, surface_mm: np.ndarray | None, normal_n: float = 0.0, tangential_n=(0.0, 0.0),
               friction: float = 0.0) -> np.ndarray:
        """The gel's image for an object surface (mm towards the gel; None: nothing near) under a load."""
        if surface_mm is None:
            return self.optics.render(None)
        height = indentation(surface_mm, normal_n, self.mm_per_px, self.mechanics)
        shift = marker_shift(self.optics.markers, height, tangential_n, normal_n, friction, self.mm_per_px,
                             self.mechanics)
        return self.optics.render(height, shift)


def pad_load(model, data, pad_geom: int, object_geoms: set, camera: int, mujoco) -> tuple[float, np.ndarray, float]:
    """(normal load N, tangential load (N along the gel image's columns, rows), friction) that the object
    puts on one pad, from the solver's contacts."""
    total, friction = np.zeros(3), 0.0
    f6 = np.zeros(6)
    for i in range(data.ncon):
        c = data.contact[i]
        if {c.geom1, c.geom2} & {pad_geom} and ({c.geom1, c.geom2} & object_geoms):
            mujoco.mj_contactForce(model, data, i, f6)
            world = c.frame.reshape(3, 3).T @ f6[:3]  # on geom2, from geom1 (the normal points 1 -> 2)
            total += world if c.geom2 == pad_geom else -world  # on the pad, from the object
            friction = max(friction, float(c.friction[0]))
    axes = data.cam_xmat[camera].reshape(3, 3)  # columns: camera x (image right), y (image up), z (back)
    normal = abs(float(total @ axes[:, 2]))
    tangential = np.array([float(total @ axes[:, 0]), -float(total @ axes[:, 1])])
    return normal, tangential, friction


def reference_press(gel: CalibratedGel) -> tuple[np.ndarray, np.ndarray]:
    """(pressed, background) images of gel under the reference press: what a robot's calibration
    records by closing on a known object."""
    h, w = gel.optics.height, gel.optics.width
    y, x = np.mgrid[0:h, 0:w]
    r2 = ((x - w / 2) * gel.mm_per_px) ** 2 + ((y - h / 2) * gel.mm_per_px) ** 2
    surface = SURFACE_RANGE_MM - r2 / (2.0 * REFERENCE_RADIUS_MM)  # the cap, in front of the gel
    return gel.render(surface, REFERENCE_FORCE_N), gel.render(None)


# noise keys of the empty frames a gel's noise floor is measured from: three, as the gelsight nodes average
# three into their background (settings/gelsight.py background_frames)
NOISE_FLOOR_KEYS = ([0x0F, 0], [0x0F, 1], [0x0F, 2])


@cache
def contact_threshold(gel_id: int, width: int = CALIBRATION_WIDTH, height: int = CALIBRATION_HEIGHT) -> float:
    """Gel gel_id's contact threshold at this image size: perception/tactile.NOISE_MULTIPLE times its noise
    floor, from three of its frames with nothing touching, as the robot measures it from its background
    frames. Every gel then reads contact at the same margin over its own noise, whatever its optics'
    strength (the reference press shows the `gelsight`-calibration gels answering about half as strongly)."""
    gel = CalibratedGel(width, gel_id, height)
    frames = []
    for key in NOISE_FLOOR_KEYS:
        gel.reseed_noise([int(gel_id), *key])
        frames.append(gel.render(None))
    return noise_threshold(frames)
