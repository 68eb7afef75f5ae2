"""A fast kinematic stand-in for the robot cell, stepped in simulated time.

It models what the node graph needs to run end to end: an arm that tracks a
Cartesian target under speed limits, a parallel gripper that closes until it
meets the object, a rule-based grasp-stability model (friction against weight,
torque about the contact, squeeze-out on off-centre contacts), an RGB-D camera
and two GelSight pads. It is the cell's fast backend for tests and the graph
demo; the MuJoCo cell (issue 9) replaces the rule-based physics.
"""
from __future__ import annotations

import math

import numpy as np

from ..devices.wsg50.protocol import GraspingState, Status
from .camera import RGBDCamera
from .cell import CAMERA_EYE, CAMERA_TARGET, START_EE, Cell, CellConfig, placement_xy
from .gelsight_render import GelSightRenderer, band_height_map
from .gripper import SimulatedGripper
from .objects import make_object

GRAVITY = 9.81
PAD_HEIGHT_M = 0.024  # GelSight sensing area 24 x 18 mm
PAD_WIDTH_M = 0.018
TABLE_EXTENT = (0.25, 1.0, -0.45, 0.45)


class CellGripper(SimulatedGripper):
    """The gripper the WSG-50 emulator serves in sim: its motion is stepped by the cell."""

    def __init__(self, cell: KinematicCell) -> None:
        super().__init__(cell.lock)
        self.cell = cell
        self.width = self.limits.stroke_m

    def current_speed(self) -> float:
        return self.speed if self.result is None else 0.0

    def _prepare_motion(self, kind: str, width: float) -> float:
        if kind in ("release", "move", "home"):
            self.cell.release_object()
        return width

    def step(self, dt: float) -> None:
        if self.result is not None:
            return
        if self.kind == "grasp":
            contact_width = self.cell.contact_width()
            new = self.width - self.speed * dt
            if contact_width is not None and new <= contact_width:
                self.width = contact_width
                self.result = Status.SUCCESS
                self.grasping_state = GraspingState.HOLDING
                self.cell.on_grasp_closed()
            elif new <= 0.0:
                self.width = 0.0
                self.result = Status.COMMAND_FAILED
                self.grasping_state = GraspingState.NO_PART_FOUND
            else:
                self.width = new
            return
        direction = 1.0 if self.target >= self.width else -1.0
        self.width += direction * self.speed * dt
        if (self.width - self.target) * direction >= 0:
            self.width = self.target
            self.result = Status.SUCCESS
            self.grasping_state = GraspingState.IDLE
            if self.kind == "home":
                self.referenced = True


class KinematicCell(Cell):
    def __init__(self, config: CellConfig | None = None) -> None:
        super().__init__(config or CellConfig(objects="v1"))  # its own default: the one library it knows
        if self.config.objects != "v1":  # its rules know nothing of crushing
            raise ValueError(f"the kinematic cell has object library v1 only, got {self.config.objects!r} "
                             "(the sim_cell node: set objects: v1 with backend: kinematic)")
        self.rng = np.random.default_rng(self.config.seed)
        self.gripper = CellGripper(self)
        self.ee = np.array(START_EE)
        self.obj = make_object("train_000", "v1")
        self.obj_xy = np.array([0.6, 0.0])
        self.obj_z = 0.0
        self.held = False
        self.stable = False
        self.pushed_out = False
        self.camera = RGBDCamera(self.kinect_intrinsics(), eye=CAMERA_EYE, target=CAMERA_TARGET)
        self.mount_gels()

    def _make_gel(self, gel_id: int) -> GelSightRenderer:
        return GelSightRenderer(self.config.gel_width, self.config.gel_height, seed=gel_id)

    # scene (rng also draws the friction at each grasp) ----------------------------
    def reset_object(self, object_id: str | None = None, xy=None) -> tuple[str, np.ndarray]:
        with self.lock:
            if object_id:
                self.obj = make_object(object_id, "v1")
            xy = placement_xy(self.rng, xy)
            self.obj_xy, self.obj_z = xy, 0.0
            self.held = self.stable = self.pushed_out = False
            return self.obj.object_id, self.obj_xy.copy()

    # physics ---------------------------------------------------------------------
    def step(self, dt: float) -> None:
        with self.lock:
            self.time += dt
            self.track_target(self.ee, dt)
            self.gripper.step(dt)
            if self.held:
                lift = self.ee[2] - self.grasp_z
                if lift > 0.005 and not self.stable:
                    self._drop()
                else:
                    self.obj_z = max(0.0, lift)
                    self.obj_xy = self.ee[:2] + self.grasp_offset

    def _drop(self) -> None:
        self.held = False
        self.obj_z = 0.0
        self.gripper.grasping_state = GraspingState.PART_LOST
        self.gripper.width = 0.0

    def release_object(self) -> None:
        if self.held:
            self.held = False
            self.obj_z = 0.0

    def _closing_geometry(self):
        """Offset of the object axis from the closing line, and contact heights."""
        yaw = self.ee[3]
        approach = np.array([math.cos(yaw), math.sin(yaw)])  # gripper x: along the palm, across fingers' normal
        rel = self.obj_xy - self.ee[:2]
        e = float(rel @ approach)  # perpendicular offset from the closing line
        z_lo, z_hi = self.ee[2] - PAD_HEIGHT_M / 2, self.ee[2] + PAD_HEIGHT_M / 2
        overlap = min(z_hi, self.obj_z + self.obj.height) - max(z_lo, self.obj_z)
        closing = np.array([-math.sin(yaw), math.cos(yaw)])
        along = float(rel @ closing)
        return e, overlap, along

    def contact_width(self) -> float | None:
        """Finger opening at which both fingers touch the object, or None if they miss it."""
        e, overlap, along = self._closing_geometry()
        r = self.obj.radius
        if abs(e) >= r * 0.98 or overlap <= 0.002:
            return None
        half_chord = math.sqrt(r * r - e * e)
        # The first finger to touch pushes the object to the centre, so both touch at the chord
        # width, provided the object lies within the stroke.
        return 2.0 * half_chord if abs(along) + half_chord < self.gripper.limits.stroke_m / 2 else None

    def on_grasp_closed(self) -> None:
        """Decide, at closing time, whether this grasp will hold the object when lifted."""
        e, overlap, along = self._closing_geometry()
        obj, force = self.obj, self.gripper.force_limit
        r = obj.radius
        friction = obj.friction * self.rng.uniform(0.85, 1.15)
        weight = obj.mass * GRAVITY
        # compliant objects spread the load but lose grip force to deformation
        effective_force = force * (1.0 - 0.4 * obj.compliance)
        translational_ok = 2.0 * friction * effective_force >= 1.15 * weight
        contact_z = self.ee[2] - self.obj_z
        lever = abs(obj.com_height - contact_z)
        contact_len = max(overlap, 0.004)
        torque_capacity = 2.0 * friction * effective_force * contact_len * 0.5
        rotational_ok = weight * lever * 0.35 <= torque_capacity
        # a hard squeeze on an off-centre contact pushes the object out of the fingers
        off_centre = abs(e) / r
        self.pushed_out = bool(off_centre > 0.55 and force > 60.0 * (1.0 - off_centre) + 8.0)
        self.stable = bool(translational_ok and rotational_ok and not self.pushed_out)
        self.held = not self.pushed_out
        self.grasp_z = self.ee[2]
        self.grasp_offset = self.obj_xy - self.ee[:2]
        self.obj_xy = self.obj_xy - (along * np.array([-math.sin(self.ee[3]), math.cos(self.ee[3])]))
        self.grasp_offset = self.obj_xy - self.ee[:2]
        if self.pushed_out:
            yaw = self.ee[3]
            self.obj_xy = self.obj_xy + np.sign(e or 1.0) * (r + 0.01) * np.array([math.cos(yaw), math.sin(yaw)])
            self.gripper.width = 0.0
            self.gripper.grasping_state = GraspingState.NO_PART_FOUND
            self.gripper.result = Status.COMMAND_FAILED

    # sensing -----------------------------------------------------------------------
    def render_camera(self):
        with self.lock:
            cyl = (self.obj_xy[0], self.obj_xy[1], self.obj.radius, self.obj.height, self.obj_z)
            color = self.obj.color
        return self.camera.render(TABLE_EXTENT, cyl, cylinder_color=color)

    def in_contact(self) -> bool:
        g = self.gripper
        return self.held and g.grasping_state == GraspingState.HOLDING

    def render_gel(self, side: str) -> np.ndarray:
        renderer = self.gels[side]
        with self.lock:
            if not self.in_contact():
                height_map = None
            else:
                e, overlap, _ = self._closing_geometry()
                w, h = renderer.width, renderer.height
                px_per_m_u = w / PAD_WIDTH_M
                px_per_m_v = h / PAD_HEIGHT_M
                sign = 1.0 if side == "left" else -1.0
                center_u = w / 2 + sign * e * px_per_m_u
                # contact width grows with force and compliance (Hertz-like)
                force = self.gripper.force_limit
                half_w = (0.0015 + 0.00035 * math.sqrt(force) * (1 + 2 * self.obj.compliance)) * px_per_m_u
                z_lo = self.obj_z - (self.ee[2] - PAD_HEIGHT_M / 2)
                z_hi = z_lo + self.obj.height
                v_range = (h - z_hi * px_per_m_v, h - z_lo * px_per_m_v)
                depth = 4.0 + 0.2 * force * (1 + self.obj.compliance)
                height_map = band_height_map(w, h, center_u, half_w, v_range, depth)
        return renderer.render(height_map)

    def ground_truth_held(self) -> bool:
        with self.lock:
            # a plain bool: rclpy serialises numpy.bool_ as False
            return bool(self.held and self.stable and self.obj_z > 0.01)
