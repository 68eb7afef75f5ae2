"""What every simulated cell shares: configuration, workspace, placement, the arm's target and tracking.

Two cells implement `Cell`: KinematicCell (sim/kinematic_cell.py: rule-based grasp outcomes, fast,
for tests and the graph demo) and MujocoCell (sim/mujoco_cell.py: contact physics, the default).
Each supplies only what differs: the scene, the physics step, the sensors and its gripper's finger
physics (a SimulatedGripper, sim/gripper.py, that the WSG-50 emulator serves over TCP).
"""
from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from ..geometry import all_finite, wrap_angle
from ..perception.camera import CameraModel, Intrinsics
from ..perception.tactile import CONTACT_THRESHOLD
from ..streams import keyed_rng, stream_seed
from .camera import look_at
from .gripper import SimulatedGripper
from .objects import DEFAULT_LIBRARY, ObjectSpec

# simulated GelSight images: legacy (the first model), calibrated (real sensors' optics, gel mechanics;
# sim/mujoco_gels.py)
GEL_MODELS = ("legacy", "calibrated")
# The simulated world by default (issue 15): calibrated gels and object library v2, the world the shipped
# paper-scale models were trained in (models/README.md); legacy gels and v1 objects stay selectable by name
DEFAULT_GEL_MODEL = "calibrated"


def label_thresholds(gel_model: str) -> str:
    """How a bare cell's label reads gels of this model: "noise" (each calibrated gel at a threshold over its
    own noise floor, sim/mujoco_gels.contact_threshold) or "default" (CONTACT_THRESHOLD for every gel).
    "per_gel" (each gel at a share of its response to a reference press) labelled datasets until 2026-12."""
    return "noise" if gel_model == "calibrated" else "default"


def own_gel_pair(seed: int) -> tuple[int, int]:
    """A cell's own gel pair (left, right) at this seed: (2 seed, 2 seed + 1)."""
    return 2 * int(seed), 2 * int(seed) + 1


def sim_dependent_parameters(sim_cell: dict) -> dict:
    """Parameters of the other nodes that follow from the simulated cell's (its effective sim_cell parameters:
    files plus overrides), for every graph on the simulator (graph/modes.build_graph adds them beneath the
    caller's overrides): with calibrated gels each GelSight node reads the gel on its finger (the cell's own pair
    at its seed) at that gel's calibrated threshold, as a robot's sensors are calibrated one by one and as the
    bare cells' label reads them; with object library v2 (objects that can be crushed) the executive and the
    collector inspect for damage after the hold, as every bare-cell attempt and trial on v2 does."""
    out: dict = {}
    # the kinematic backend renders no calibrated gels, whatever gel_model says
    if label_thresholds(str(sim_cell["gel_model"])) == "noise" and sim_cell.get("backend", "mujoco") == "mujoco":
        from .mujoco_gels import contact_threshold  # no MuJoCo: the gel's optics and its noise

        size = (int(sim_cell["gelsight_width"]), int(sim_cell["gelsight_height"]))  # the images the nodes read
        for side, gel in zip(GEL_SIDES, own_gel_pair(int(sim_cell["seed"])), strict=True):
            out[f"gelsight_{side}"] = {"contact_threshold": float(contact_threshold(gel, *size))}
    if sim_cell["objects"] != "v1":
        out["grasp_executive"] = out["data_collector"] = {"inspect_damage": True}
    return out


START_EE = (0.6, 0.0, 0.35, 0.0)  # x, y, z, yaw: where the hand starts
CAMERA_EYE = (1.35, 0.0, 0.55)  # the Kinect in front of the table, looking at its centre
CAMERA_TARGET = (0.6, 0.0, 0.05)


def front_camera_model(width: int, height: int) -> CameraModel:
    """The simulated Kinect (fixed in front of the table) at this image size."""
    return CameraModel.from_pose(Intrinsics.kinect_like(width, height),
                                 look_at(np.asarray(CAMERA_EYE, float), np.asarray(CAMERA_TARGET, float)), CAMERA_EYE)
PLACEMENT_AREA = (0.52, 0.68, -0.12, 0.12)  # where objects are put back
GEL_SIDES = ("left", "right")  # a cell's own gels: config.seed * 2 + i (Cell.mount_gels mounts others)


def placement_xy(rng: np.random.Generator, xy=None) -> np.ndarray:
    """Where to put the object: xy if given (must be finite), else random in the placement area."""
    if xy is None:
        xmin, xmax, ymin, ymax = PLACEMENT_AREA
        xy = (rng.uniform(xmin, xmax), rng.uniform(ymin, ymax))
    xy = np.asarray(xy, float)
    if not all_finite(*xy):
        raise ValueError(f"object position must be finite, got {xy}")
    return xy


@dataclass
class Workspace:
    lower: tuple[float, float, float] = WORKSPACE_LOWER
    upper: tuple[float, float, float] = WORKSPACE_UPPER
    max_speed: float = 0.5  # m/s, Cartesian
    max_yaw_rate: float = 1.5  # rad/s

    @classmethod
    def from_params(cls, p) -> Workspace:
        """The box of the sim cell node's parameters (a dict: config/workspace.yaml, as the arm's)."""
        return cls(tuple(map(float, p["workspace_lower"])), tuple(map(float, p["workspace_upper"])))

    def contains(self, xyz) -> bool:
        return all(lo <= v <= hi for v, lo, hi in zip(xyz, self.lower, self.upper, strict=False))

    def checked_target(self, target) -> np.ndarray:
        """The (x, y, z, yaw) target as an array, or ValueError if it is not finite or not reachable."""
        target = np.asarray(target, float)
        if target.shape != (4,) or not all_finite(*target):
            raise ValueError(f"end-effector target must be 4 finite numbers (x, y, z, yaw), got {target}")
        if not self.contains(target[:3]):
            raise ValueError(f"end-effector target {target[:3]} outside workspace {self.lower}..{self.upper}")
        return target


@dataclass
class CellConfig:
    camera_width: int = 320
    camera_height: int = 240
    gel_width: int = 320
    gel_height: int = 240
    seed: int = 0
    # calibrated (the default): real sensors' calibration tables, force-driven indentation, markers under load
    # (sim/mujoco_gels.py; MuJoCo cell only; what the paper-scale models saw); legacy: the hand-made three-light
    # model on geometric overlap (what the small models saw). Own gel ids: seed * 2 (left), seed * 2 + 1 (right)
    gel_model: str = DEFAULT_GEL_MODEL  # one of GEL_MODELS
    # the object library (sim/objects.py): v2 (the default) adds to v1's geometry material classes, fragile
    # ones crushing for good past their crush force (MuJoCo cell only); v1, what the small models used
    objects: str = DEFAULT_LIBRARY
    workspace: Workspace = field(default_factory=Workspace)


def deployed_workspace() -> Workspace:
    """The workspace the graph's sim cell loads (config/workspace.yaml, shared with the arm and the
    planner), for bare cells too: a box edited there moves every cell, simulated or not."""
    from ..param_files import node_params

    return Workspace.from_params(node_params("sim_cell"))


class Cell(ABC):
    """A simulated robot cell: what sim_cell_node, the direct collector and scripted trials drive.

    The arm is Cartesian: command_ee sets a target the wrist tracks under the workspace's speed
    limits. State changes under `lock`: the sim node's threads and the gripper emulator share a cell.
    """

    gripper: SimulatedGripper
    gels: dict  # side -> gel renderer (reseed_noise, render), set by mount_gels
    camera: object  # .K (Intrinsics) and the pose the sim node publishes
    ee: np.ndarray  # measured pose (x, y, z, yaw)
    obj: ObjectSpec
    rng: np.random.Generator  # placements

    def __init__(self, config: CellConfig | None) -> None:
        self.config = config or CellConfig()
        self.lock = threading.RLock()
        self.time = 0.0
        self.ee_target = np.array(START_EE)
        self.ee_speed = self.config.workspace.max_speed
        self.gels, self.gel_ids = {}, ()  # gel_ids: (left, right) of the mounted gels
        self._gel_cache: dict[int, object] = {}  # gel id -> renderer (an inventory is a dozen gels)

    def kinect_intrinsics(self) -> Intrinsics:
        return Intrinsics.kinect_like(self.config.camera_width, self.config.camera_height)

    def front_camera(self) -> CameraModel:
        """The Kinect's calibrated model, as a dataset records it and a planner crops with it."""
        return front_camera_model(self.config.camera_width, self.config.camera_height)

    @property
    def own_gel_ids(self) -> tuple[int, int]:
        """The cell's own pair (own_gel_pair), mounted unless another pair is asked for."""
        return own_gel_pair(self.config.seed)

    @abstractmethod
    def _make_gel(self, gel_id: int):
        """A renderer for gel number gel_id (its look drawn from the id)."""

    def mount_gels(self, gel_ids=None) -> None:
        """Put the gels gel_ids (left, right; None: the cell's own pair) on the fingers. Each gel's
        renderer, with its precomputed background and table lookups, is built once and kept: changing
        back to a gel costs nothing. The noise stays as it was: key_episode next reseeds it."""
        ids = self.own_gel_ids if gel_ids is None else tuple(int(g) for g in gel_ids)
        if len(ids) != len(GEL_SIDES) or ids[0] == ids[1] or min(ids) < 0:
            raise ValueError(f"need two different non-negative gel ids (left, right), got {gel_ids}")
        with self.lock:
            for side, gel_id in zip(GEL_SIDES, ids, strict=True):
                if gel_id not in self._gel_cache:
                    self._gel_cache[gel_id] = self._make_gel(gel_id)
                self.gels[side] = self._gel_cache[gel_id]
            self.gel_ids = ids

    def key_episode(self, key) -> None:
        """The next placement and the gels' noise from generators keyed on key (what an episode depends
        on), for a cell that keeps running (behind a ROS clock) as for a fresh one."""
        with self.lock:
            self.rng = keyed_rng(key, "placement")
            for side, gel in self.gels.items():
                gel.reseed_noise(stream_seed(key, f"gel_{side}"))

    # arm ---------------------------------------------------------------------------
    def command_ee(self, target, speed: float | None = None) -> None:
        ws = self.config.workspace
        target = ws.checked_target(target)
        with self.lock:
            self.ee_target = target
            self.ee_speed = min(speed or ws.max_speed, ws.max_speed)

    def track_target(self, pose: np.ndarray, dt: float) -> bool:
        """Move pose (x, y, z, yaw; in place) dt seconds towards the target under the speed limits;
        whether it moved. Scalar arithmetic: MuJoCo calls this every control step, where numpy on
        3-vectors costs more than the physics."""
        target = self.ee_target
        dx, dy, dz = target[0] - pose[0], target[1] - pose[1], target[2] - pose[2]
        dist = math.sqrt(dx * dx + dy * dy + dz * dz)
        max_step = self.ee_speed * dt
        moved = dist > 0.0
        if dist <= max_step:
            pose[0], pose[1], pose[2] = target[0], target[1], target[2]
        else:
            s = max_step / dist
            pose[0] += dx * s
            pose[1] += dy * s
            pose[2] += dz * s
        dyaw = wrap_angle(target[3] - pose[3])
        if dyaw != 0.0:
            max_yaw = self.config.workspace.max_yaw_rate * dt
            pose[3] = wrap_angle(pose[3] + min(max(dyaw, -max_yaw), max_yaw))
            moved = True
        return moved

    # what each cell provides -----------------------------------------------------------
    @abstractmethod
    def reset_object(self, object_id: str | None = None, xy=None) -> tuple[str, np.ndarray]:
        """Put object_id (or the current object) at xy (or a random placement); its id and xy."""

    @abstractmethod
    def step(self, dt: float) -> None:
        """Advance the arm, the gripper and the physics dt simulated seconds."""

    @abstractmethod
    def render_camera(self) -> tuple[np.ndarray, np.ndarray]:
        """The Kinect's RGB image and depth (m, 0 where there is no return)."""

    @abstractmethod
    def render_gel(self, side: str) -> np.ndarray:
        """The GelSight image of one pad ('left' or 'right')."""

    def contact_thresholds(self) -> tuple[float, float]:
        """(left, right) contact thresholds the label reads the mounted gels with (label_thresholds)."""
        return CONTACT_THRESHOLD, CONTACT_THRESHOLD

    def ground_truth_damaged(self) -> bool:
        """Whether the object has been crushed (the simulator's truth); objects that cannot be: never."""
        return False

    @abstractmethod
    def ground_truth_held(self) -> bool:
        """Whether the object is lifted in the hand (the label the simulator knows)."""
