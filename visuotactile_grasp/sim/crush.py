"""Fragile objects (object library v2) collapsing for good when squeezed past their crush force.

A plastic yield on the solver's contact forces: while the squeeze (the smaller of the two pads'
normal loads: what passes through the object) exceeds the object's crush force, its walls give way
at YIELD_SPEED across the fingers, down to the crushed width, and stay so. The object's geoms shrink
in the model, so everything that senses it (the Kinect, the gel cameras, the fingers' opening) sees
the deformed shape; nothing else reports the damage to a model input. Shapes are shrunk across both
horizontal axes (MuJoCo has no elliptic cylinder): a crushed cup is narrower seen from any side.
"""
from __future__ import annotations

import numpy as np

YIELD_SPEED = 0.05  # m/s of width lost while overloaded: a cup's wall buckles in a fraction of a second
LOAD_TIME_CONSTANT = 0.02  # s: the squeeze is low-passed, so one step's impact spike on closing does not crush
# per MuJoCo geom type (mjtGeom: 2 sphere, 3 capsule, 5 cylinder, 6 box): which size entries are horizontal
_HORIZONTAL_SIZES = {2: (0,), 3: (0,), 5: (0,), 6: (0, 1)}


class Crush:
    """One fragile object's yield state in one MuJoCo model (rebuilt with the model)."""

    def __init__(self, model, data, spec, pad_geoms: tuple[int, int], object_geoms, mujoco) -> None:
        self.model, self.data, self.spec, self.mujoco = model, data, spec, mujoco
        self.pads = pad_geoms
        self.geoms = np.array(sorted(object_geoms))
        self._geom_set = set(int(g) for g in self.geoms)
        self.size0 = model.geom_size[self.geoms].copy()
        self.pos0 = model.geom_pos[self.geoms].copy()
        self.scale = 1.0  # width now / intact width
        self.load = 0.0  # low-passed squeeze, N
        self._f6 = np.zeros(6)

    @property
    def damaged(self) -> bool:
        return self.scale < 1.0

    def squeeze(self) -> float:
        """The smaller pad's normal load from the object (N): the force passing through it."""
        normal = [0.0, 0.0]
        for i in range(self.data.ncon):
            c = self.data.contact[i]
            g1, g2 = int(c.geom1), int(c.geom2)
            for side, pad in enumerate(self.pads):
                if (g1 == pad and g2 in self._geom_set) or (g2 == pad and g1 in self._geom_set):
                    self.mujoco.mj_contactForce(self.model, self.data, i, self._f6)
                    normal[side] += abs(float(self._f6[0]))
        return min(normal)

    def update(self, dt: float) -> None:
        if self.scale <= self.spec.crushed_scale:
            return  # fully collapsed: nothing more to give
        self.load += (self.squeeze() - self.load) * dt / (LOAD_TIME_CONSTANT + dt)
        if self.load > self.spec.crush_force:
            width = 2.0 * self.spec.radius
            self.scale = max(self.spec.crushed_scale, self.scale - YIELD_SPEED * dt / width)
            self._apply()

    def restore(self) -> None:
        """A fresh, intact object (the graph's sim cell puts a new one on the table)."""
        self.scale, self.load = 1.0, 0.0
        self._apply()

    def _apply(self) -> None:
        m = self.model
        for k, g in enumerate(self.geoms):
            for axis in _HORIZONTAL_SIZES.get(int(m.geom_type[g]), ()):
                m.geom_size[g, axis] = self.size0[k, axis] * self.scale
            m.geom_pos[g, :2] = self.pos0[k, :2] * self.scale  # off-axis parts (a lobe) move in too
