"""The simulated cell in MuJoCo: real contact physics behind the Cell interface (sim/cell.py).

The wrist is Cartesian (a mocap body moved under the arm's speed limits); the two fingers are
force-driven slide joints, so the grip force is commanded in newtons and the outcome of a
grasp comes from friction, torque about the contact and the object's compliance. The Kinect
is a rendered RGB-D camera; each GelSight image is formed from the gel's deformation, read
with an orthographic depth camera behind each pad.
"""
from __future__ import annotations

import math
import os

os.environ.setdefault("MUJOCO_GL", "egl")

# Triton, which torch loads the first time an optimizer is built, carries its own LLVM; loaded
# after Mesa's (EGL rendering in software) it segfaults the process. Measured: MuJoCo render then
# torch.optim.Adam crashes, the other order works. Load it first where it is installed (0.3 s).
try:
    import triton  # noqa: F401, E402
except ImportError:
    pass

import cv2  # noqa: E402
import mujoco  # noqa: E402
import numpy as np  # noqa: E402

from ..devices.wsg50.protocol import GraspingState, Status  # noqa: E402
from ..perception.camera import CameraModel  # noqa: E402
from ..streams import keyed_rng  # noqa: E402
from .crush import Crush  # noqa: E402
from .cell import (CAMERA_EYE, CAMERA_TARGET, GEL_MODELS, START_EE, Cell, CellConfig, label_thresholds,  # noqa: E402
                   placement_xy)
from .gelsight_render import GelSightRenderer  # noqa: E402
from .gripper import SimulatedGripper  # noqa: E402
from .mjcf import GEL_CAMERA_BEHIND, STROKE, TIMESTEP, build_cell_xml  # noqa: E402
from .mujoco_gels import SURFACE_RANGE_MM, CalibratedGel, contact_threshold, pad_load  # noqa: E402
from .mujoco_render import SceneRenderer  # noqa: E402
from .objects import ObjectSpec, make_object  # noqa: E402

PHYSICS_STEPS_PER_CONTROL = 2  # control at 250 Hz, physics at 500 Hz
MAX_SQUEEZE_S = 0.5  # a grasp pressing at its force limit this long (sim s) has ended, settled or not
GEL_TOUCH_SLACK = 0.0008  # m: the gel shows objects this close to its surface (it is soft)
GEL_PX_PER_M = 20000.0  # height-map scale handed to the image formation (sets the rim contrast)


class _Camera:
    """What the ROS node and the cylinder fit need of the camera, as arrays: intrinsics and its pose in
    the base frame (the cell's front_camera model, sim/cell.front_camera_model)."""

    def __init__(self, model: CameraModel) -> None:
        self.K = model.K
        self.eye = np.asarray(model.eye, float)
        self.R = np.asarray(model.R, float)


class MujocoGripper(SimulatedGripper):
    """WSG-50 mechanics on the simulated fingers (served by the TCP emulator in sim)."""

    def __init__(self, cell: MujocoCell) -> None:
        super().__init__(cell.lock)
        self.cell = cell
        self.speed = 0.1
        self.setpoint = STROKE
        self._still_steps = 0
        self._squeeze_s = 0.0  # simulated seconds a grasp has pressed at the force limit

    @property
    def width(self) -> float:
        return self.cell.finger_opening()

    def current_speed(self) -> float:
        return abs(self.cell.finger_speed())

    def _prepare_motion(self, kind: str, width: float) -> float:
        self.setpoint = self.width
        self._still_steps = 0
        self._squeeze_s = 0.0
        # the joint limits sit exactly at the stroke: aim just inside them
        return float(np.clip(width, 0.0, STROKE - 0.0005))

    def _on_stop(self) -> None:
        self.kind = "hold_position"
        self.setpoint = self.width

    def control(self, dt: float) -> np.ndarray:
        """Actuator force of each finger (positive opens) for this physics step."""
        opening, velocity = self.width, self.cell.finger_speed()
        if self.kind == "grasp" and self.grasping_state in (GraspingState.GRASPING, GraspingState.HOLDING,
                                                            GraspingState.PART_LOST):
            # close at the commanded speed until blocked, then squeeze with the force limit
            if velocity < -self.speed:
                force = -0.2 * self.force_limit
            else:
                force = -self.force_limit
                self._squeeze_s += dt
            self._grasp_progress(opening, velocity)
            return np.full(2, force)
        # position control along a speed-limited set-point
        step = self.speed * dt
        self.setpoint += min(max(self.target - self.setpoint, -step), step)
        # Per-finger PD on half the opening. Gains are kept well inside what a 2 ms explicit
        # step can damp for a 60 g finger (kd * dt / m = 0.27).
        q, qd = self.cell.finger_state()
        force = np.clip(500.0 * (self.setpoint / 2 - q) - 8.0 * qd, -80.0, 80.0)  # per finger
        if self.result is None:
            self._still_steps = self._still_steps + 1 if abs(velocity) < 0.002 else 0
            reached = abs(self.target - opening) < 1e-3 and abs(velocity) < 0.01
            blocked = self._still_steps > 100 and abs(self.setpoint - self.target) < 1e-9
            if reached or blocked:
                # a release is done once the fingers stop, wherever an object leaves them
                self.result = Status.SUCCESS if reached or self.kind == "release" else Status.AXIS_BLOCKED
                self.grasping_state = GraspingState.IDLE
                if self.kind == "home":
                    self.referenced = True
        return force

    def _grasp_progress(self, opening: float, velocity: float) -> None:
        still = abs(velocity) < 0.002
        self._still_steps = self._still_steps + 1 if still else 0
        # A grasp ends once the fingers stop; fingers squeezing a part that never settles (it rocks
        # or slides under a moving hand) end it too after MAX_SQUEEZE_S, as the firmware's
        # force-reached check would: without that bound a grasp could wait for ever.
        settled = self._still_steps >= 15 or self._squeeze_s >= MAX_SQUEEZE_S
        if self.grasping_state == GraspingState.GRASPING and settled:
            if opening > 0.002:
                self.grasping_state = GraspingState.HOLDING
                self.result = Status.SUCCESS
            else:
                self.grasping_state = GraspingState.NO_PART_FOUND
                self.result = Status.COMMAND_FAILED
        elif self.grasping_state == GraspingState.HOLDING and opening < 0.002:
            self.grasping_state = GraspingState.PART_LOST


class MujocoCell(Cell):
    def __init__(self, config: CellConfig | None = None, object_id: str = "train_000") -> None:
        super().__init__(config)
        # placements behind a ROS clock (no episodes); default_rng(seed) was the left gel's own stream
        self.rng = keyed_rng((self.config.seed,), "placement")
        self.gripper = MujocoGripper(self)
        if self.config.gel_model not in GEL_MODELS:
            raise ValueError(f"gel_model must be one of {GEL_MODELS}, got {self.config.gel_model!r}")
        self.mount_gels()
        self.camera = _Camera(self.front_camera())
        self.fovy_deg = math.degrees(2 * math.atan(self.config.camera_height / 2 / self.camera.K.fy))
        self.model = None
        self._crush: Crush | None = None  # a fragile object's yield state (object library v2)
        c = self.config
        self.renderer = SceneRenderer(max(c.camera_width, c.gel_width), max(c.camera_height, c.gel_height))
        self._gel_view = mujoco.MjvOption()
        self._gel_view.geomgroup[:] = 0
        self._gel_view.geomgroup[1] = 1  # the gel cameras see the object only
        self._contact_ref = None
        self._load(make_object(object_id, self.config.objects))

    def _make_gel(self, gel_id: int):
        if self.config.gel_model == "calibrated":
            return CalibratedGel(self.config.gel_width, gel_id, height=self.config.gel_height)
        return GelSightRenderer(self.config.gel_width, height=self.config.gel_height, seed=gel_id)

    def start_episode(self, object_id: str, key, gel_ids=None) -> None:
        """A bare cell's fresh start for one trial or attempt whose outcome depends on key and gel_ids alone.

        The physics is rebuilt (arm at its start pose, fingers half open, gripper idle), the clock
        restarts at 0, the gels gel_ids (left, right; None: the cell's own pair) are mounted, and the
        object's placement and the gels' noise are drawn from generators keyed on key (a sequence of
        ints, e.g. (seed, object, attempt)), never from what ran before: any worker gives attempt k on
        object o the same pose, noise and result. Not for a cell behind a ROS clock (its time must not
        go back).
        """
        with self.lock:
            self.mount_gels(gel_ids)
            self.model = None  # _load then starts the arm from its fixed start pose
            self._load(make_object(object_id, self.config.objects))
            self.time = 0.0
            self._contact_ref = None
            self.gripper = MujocoGripper(self)
            self.key_episode(key)

    # model --------------------------------------------------------------------
    def _load(self, spec: ObjectSpec) -> None:
        xml = build_cell_xml(spec, CAMERA_EYE, CAMERA_TARGET, self.fovy_deg)
        ee = self.wrist.copy() if self.model is not None else np.array(START_EE)
        self.model = mujoco.MjModel.from_xml_string(xml)
        self.renderer.bind(self.model)
        self.data = mujoco.MjData(self.model)
        self.obj = spec
        m = self.model
        self._obj_qadr = m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, "object")]
        self._obj_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "object")
        self._fingers = [m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)]
                         for n in ("finger_left", "finger_right")]
        self._finger_dofs = [m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, n)]
                             for n in ("finger_left", "finger_right")]
        self._pads = {mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n) for n in ("pad_left", "pad_right")}
        self._obj_geoms = {g for g in range(m.ngeom) if m.geom_bodyid[g] == self._obj_body}
        self._hand_body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "hand")
        hand_q = m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, "hand")]
        self.data.qpos[self._fingers] = STROKE / 2
        self.wrist, self.ee_target = ee, ee.copy()
        self.data.qpos[hand_q:hand_q + 3] = ee[:3]
        self.data.qpos[hand_q + 3:hand_q + 7] = (math.cos(ee[3] / 2), 0.0, 0.0, math.sin(ee[3] / 2))
        self._apply_mocap()
        mujoco.mj_forward(m, self.data)
        pads = tuple(mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, n) for n in ("pad_left", "pad_right"))
        self._crush = Crush(m, self.data, spec, pads, self._obj_geoms, mujoco) if spec.fragile else None

    def close(self) -> None:
        self.renderer.close()

    # scene ---------------------------------------------------------------------
    def reset_object(self, object_id: str | None = None, xy=None) -> tuple[str, np.ndarray]:
        with self.lock:
            if object_id and object_id != self.obj.object_id:
                self._load(make_object(object_id, self.config.objects))
            elif self._crush is not None and self._crush.damaged:
                self._crush.restore()  # the same object again: a fresh one, not the crushed one
            xy = placement_xy(self.rng, xy)
            q = self.data.qpos
            a = self._obj_qadr
            yaw = self.rng.uniform(-math.pi, math.pi)
            q[a:a + 3] = (xy[0], xy[1], 0.0005)
            q[a + 3:a + 7] = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
            self.data.qvel[:] = 0.0
            mujoco.mj_forward(self.model, self.data)
            # let it settle on the table (spheres and capsules roll a little)
            for _ in range(100):
                mujoco.mj_step(self.model, self.data)
            self.data.qvel[self.model.jnt_dofadr[self.model.body_jntadr[self._obj_body]]:][:6] = 0.0
            return self.obj.object_id, self.obj_xy.copy()

    @property
    def obj_xy(self) -> np.ndarray:
        return self.data.xpos[self._obj_body][:2].copy()

    @property
    def obj_z(self) -> float:
        return float(self.data.qpos[self._obj_qadr + 2])

    # arm ---------------------------------------------------------------------------
    @property
    def ee(self) -> np.ndarray:
        """Measured end-effector pose (x, y, z, yaw) of the hand."""
        if self.model is None:
            return np.array(START_EE)
        w, x, y, z = self.data.xquat[self._hand_body]
        yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
        return np.array([*self.data.xpos[self._hand_body], yaw])

    def _apply_mocap(self) -> None:
        x, y, z, yaw = self.wrist
        pos, quat = self.data.mocap_pos[0], self.data.mocap_quat[0]
        pos[0], pos[1], pos[2] = x, y, z
        quat[0], quat[1], quat[2], quat[3] = math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)

    # physics -------------------------------------------------------------------------
    # Scalar reads: these run every control step, where numpy's fancy indexing costs more
    # than the physics itself.
    def finger_opening(self) -> float:
        q, (a, b) = self.data.qpos, self._fingers
        return float(q[a] + q[b])

    def finger_speed(self) -> float:
        v, (a, b) = self.data.qvel, self._finger_dofs
        return float(v[a] + v[b])

    def finger_state(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data.qpos[self._fingers].copy(), self.data.qvel[self._finger_dofs].copy()

    def step(self, dt: float) -> None:
        with self.lock:
            n = max(1, int(round(dt / TIMESTEP)))
            while n > 0:
                k = min(n, PHYSICS_STEPS_PER_CONTROL)
                self._control_period(k)
                n -= k

    def _control_period(self, nstep: int) -> None:
        """Update the wrist and finger commands, then advance the physics nstep steps."""
        h = TIMESTEP * nstep
        self.time += h
        if self.track_target(self.wrist, h):
            self._apply_mocap()
        force = self.gripper.control(h)
        # keep the fingers centred on the wrist when nothing is between them
        q, (a, b) = self.data.qpos, self._fingers
        imbalance = 200.0 * (q[a] - q[b])
        ctrl = self.data.ctrl
        ctrl[0] = force[0] - imbalance
        ctrl[1] = force[1] + imbalance
        mujoco.mj_step(self.model, self.data, nstep)
        if self._crush is not None:
            self._crush.update(h)

    # sensing ---------------------------------------------------------------------------
    def render_camera(self):
        with self.lock:
            c = self.config
            rgb = self.renderer.render(self.data, "kinect", c.camera_width, c.camera_height)
            depth = self.renderer.render(self.data, "kinect", c.camera_width, c.camera_height, depth=True)
        depth[depth > 8.0] = 0.0  # no return beyond the sensor's range
        return rgb, depth

    def pad_contact(self) -> dict[str, bool]:
        touching = {"left": False, "right": False}
        names = {mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, f"pad_{s}"): s for s in touching}
        for i in range(self.data.ncon):
            c = self.data.contact[i]
            for a, b in ((c.geom1, c.geom2), (c.geom2, c.geom1)):
                if a in names and b in self._obj_geoms:
                    touching[names[a]] = True
        return touching

    def _gel_depth(self, side: str) -> np.ndarray:
        c = self.config
        return self.renderer.render(self.data, f"gel_{side}", c.gel_width, c.gel_height, depth=True,
                                    option=self._gel_view)

    def gel_height_map(self, side: str) -> np.ndarray:
        with self.lock:
            depth = self._gel_depth(side)
        # how far the object presses into the soft gel (deeper than 2 mm the gel bottoms out)
        height_m = np.clip(GEL_CAMERA_BEHIND + GEL_TOUCH_SLACK - depth, 0.0, GEL_TOUCH_SLACK + 0.001)
        # the elastic gel smooths the object's facets and edges over about half a millimetre
        sigma = 0.0005 * self.config.gel_width / 0.024
        return cv2.GaussianBlur((height_m * GEL_PX_PER_M).astype(np.float32), (0, 0), sigmaX=sigma)

    def _object_in_hand(self) -> np.ndarray:
        """Object origin in the hand frame (x along the palm, z up the fingers)."""
        R = self.data.xmat[self._hand_body].reshape(3, 3)
        return R.T @ (self.data.xpos[self._obj_body] - self.data.xpos[self._hand_body])

    def shear_px(self) -> tuple[float, float]:
        """How far the object has slid over the pads since contact began, in gel-image pixels.

        The marker grid printed on the gel moves with this shear (image columns run up the pad,
        rows along the palm), so slip shows up in the tactile image as it does on a real gel.
        """
        with self.lock:
            touching = all(self.pad_contact().values())
            if not touching:
                self._contact_ref = None
                return (0.0, 0.0)
            rel = self._object_in_hand()
            if self._contact_ref is None:
                self._contact_ref = rel
            slip = rel - self._contact_ref
        px_per_m = self.config.gel_width / 0.024
        # the gel stretches about 1.5 mm before the contact slips; the markers follow that far
        limit = 0.0015 * px_per_m
        return (float(np.clip(slip[2] * px_per_m, -limit, limit)), float(np.clip(slip[0] * px_per_m, -limit, limit)))

    def gel_surface_mm(self, side: str) -> np.ndarray | None:
        """The object's surface in front of this gel: mm towards the gel from its resting surface
        (positive: pressed into the pad), NaN where no object is near; None when none is."""
        with self.lock:
            depth = self._gel_depth(side)
        surface = (GEL_CAMERA_BEHIND - depth) * 1000.0
        surface[surface < -SURFACE_RANGE_MM] = np.nan
        return surface if np.isfinite(surface).any() else None

    def gel_contact(self, side: str) -> tuple:
        """(object surface mm or None, normal load N, tangential load (columns, rows) N, friction) at one
        physics state: what the calibrated gel is rendered from."""
        with self.lock:  # the surface and the load from the same step
            m = self.model
            surface = self.gel_surface_mm(side)
            load = pad_load(m, self.data, mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, f"pad_{side}"),
                            self._obj_geoms, mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, f"gel_{side}"), mujoco)
        return (surface, *load)

    def contact_thresholds(self) -> tuple[float, float]:
        """Calibrated gels: each mounted gel's own threshold over its noise at this cell's gel image size."""
        if label_thresholds(self.config.gel_model) != "noise":
            return super().contact_thresholds()
        size = (self.config.gel_width, self.config.gel_height)
        return contact_threshold(self.gel_ids[0], *size), contact_threshold(self.gel_ids[1], *size)

    def render_gel(self, side: str) -> np.ndarray:
        if self.config.gel_model == "calibrated":
            return self.gels[side].render(*self.gel_contact(side))
        return self.gels[side].render(self.gel_height_map(side), shear_px=self.shear_px())

    def ground_truth_damaged(self) -> bool:
        """Whether the object has been crushed (the simulator's truth; sensing sees only its shape)."""
        return bool(self._crush is not None and self._crush.damaged)  # a plain bool for rclpy

    def ground_truth_held(self) -> bool:
        with self.lock:
            touching = self.pad_contact()
            return bool(touching["left"] and touching["right"] and self.obj_z > 0.01)


