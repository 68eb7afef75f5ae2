"""One collection trial as the paper runs it, independent of who executes it (ROS graph or a bare cell).

A trial: grasp at the cylinder centre plus a random offset, random height, yaw and force (state s);
apply a random regrasp action a (open, move by up to +/-2 cm and +/-17 degrees, close with a new
random force); lift, hold, label from the GelSight contacts. It yields three training examples:

- ``grasp``: state s (in contact after the first close), action a, label;
- ``release``: the fingers opened from that grasp (the paper's "gripper opened"), no grip force, then the
  same motion and closing at the same new force: what the robot really did next; label;
- ``zero_motion``: the state after the regrasp, zero motion and zero force change, label (the grasp
  that was actually lifted, lifted as it is).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..data.records import TrialRecord
from ..geometry import to_gripper_frame, wrap_angle
from ..param_files import node_params
from ..procedure.outcome import HOLD_TIME, LIFT_HEIGHT
from ..planning.action_space import MAX_ROTATION_DEG, MAX_TRANSLATION, force_range
from ..planning.approach import (APPROACH_CLEARANCE, ApproachConfig, GraspRegion, height_band, sample_force,
                                 sample_initial_grasp)

NOT_RECORDED = "not recorded: "  # GraspOutcome.failure_reason prefix of trials that left no records


@dataclass(frozen=True)
class CollectConfig:
    approach: ApproachConfig = ApproachConfig()
    max_translation: float = MAX_TRANSLATION  # m, per axis, of the regrasp action
    max_rotation: float = math.radians(MAX_ROTATION_DEG)  # rad, in-plane rotation of the regrasp action
    lift_height: float = LIFT_HEIGHT  # m
    hold_time: float = HOLD_TIME  # s
    approach_clearance: float = APPROACH_CLEARANCE  # m above the object's top
    release_delay: float = 0.2  # s after the fingers opened from the first grasp: the release sample's gels
    gel_change_every: int = 0  # bare cells: new gels every this many trials (sim/gel_inventory.py); 0: own pair
    # N of every first grasp; 0: drawn from the force range like the regrasp's (the paper's). A fixed force
    # matches where evaluation's learned policies start (the executive's initial_force) instead
    first_force: float = 0.0

    @classmethod
    def from_params(cls, p: dict) -> CollectConfig:
        approach = ApproachConfig(max_offset=float(p["max_offset"]), yaw_range=float(p["yaw_range"]),
                                  force_range=force_range(p["force_range"]))
        return cls(approach=approach, max_translation=float(p["max_translation"]),
                   max_rotation=math.radians(float(p["max_rotation_deg"])), lift_height=float(p["lift_height"]),
                   hold_time=float(p["hold_time"]), approach_clearance=float(p["approach_clearance"]),
                   release_delay=float(p["release_delay"]), gel_change_every=int(p["gel_change_every"]),
                   first_force=checked_first_force(float(p["first_force"]), approach.force_range))

    @classmethod
    def from_params_file(cls) -> CollectConfig:
        """The data collector's values in its parameter files (one source for the graph's collector and
        bulk collection)."""
        return cls.from_params(node_params("data_collector"))


def checked_first_force(value: float, force_range: tuple[float, float]) -> float:
    """first_force: 0 (random, the paper's) or a force inside the collected range (the model learns over it)."""
    if value != 0.0 and not force_range[0] <= value <= force_range[1]:
        raise ValueError(f"first_force must be 0 (random) or within force_range {list(force_range)} N, got {value}")
    return value


def collected_region(center, height: float, config: CollectConfig) -> GraspRegion:
    """Where a collection's regrasps went around a fitted cylinder (center: x, y, table z): within
    max_offset + max_translation of the centre per axis, between the fingertip clearance and just
    below the object's top. Planners keep their candidates inside it: the model never saw the rest."""
    z_low, z_high = height_band(float(center[2]), float(height), config.approach)
    return GraspRegion(center_xy=(float(center[0]), float(center[1])),
                       half_width=config.approach.max_offset + config.max_translation, z_low=z_low, z_high=z_high)


def region_of_fit(fit, config: CollectConfig) -> GraspRegion | None:
    """collected_region of a CylinderFit message (or anything shaped like one); None when not valid.
    The caller checks the geometry first (ros/input_checks.cylinder_fit_problem)."""
    if not fit.valid:
        return None
    return collected_region((fit.center.x, fit.center.y, fit.center.z), fit.height, config)


@dataclass
class Snapshot:
    """What the sensors showed at one moment: front RGB-D and both gels (missing keys allowed)."""
    rgb: np.ndarray | None = None
    depth: np.ndarray | None = None
    gel_left: np.ndarray | None = None
    gel_right: np.ndarray | None = None
    stamp: float = float("nan")


@dataclass
class TrialPlan:
    grasp: np.ndarray  # x, y, z, yaw of the first grasp
    force: float  # N, first grasp
    regrasp: np.ndarray  # x, y, z, yaw of the second grasp (clamped into the object's height)
    regrasp_force: float  # N

    @property
    def action(self) -> np.ndarray:
        """dx, dy, dz (base frame, m), dyaw (rad), dforce (N): what the model is conditioned on."""
        d = self.regrasp - self.grasp
        return np.array([d[0], d[1], d[2], wrap_angle(d[3]), self.regrasp_force - self.force])

    @property
    def motion_gripper_frame(self) -> np.ndarray:
        return to_gripper_frame(self.action[:3], self.grasp[3])


@dataclass
class TrialObservations:
    """Everything a runner saw during one trial; turned into records by build_records."""
    trial_id: int
    object_id: str
    plan: TrialPlan
    background: Snapshot  # gels open, before contact
    first_contact: Snapshot  # after the first close (state s)
    at_release: Snapshot  # the fingers opened from the first grasp (the regrasp's first step)
    second_contact: Snapshot  # after the regrasp close
    after_lift: Snapshot  # gels after the hold
    success: bool  # the label: held (from the gels), not seen on the table, not damaged (procedure/outcome.py)
    ground_truth_success: bool  # held and not damaged, as the simulator knows it
    label_source: str = "tactile"
    # the gels that imaged the trial: a bare cell's runner sets them (collection/direct.py); the graph's
    # collector cannot see the sim cell's gels and keeps (0, 1), its pair at sim_cell seed 0
    gel_ids: tuple[int, int] = (0, 1)
    stamps: dict = field(default_factory=dict)
    damaged: bool | None = None  # seen after the trial (None: not inspected); already in the label
    ground_truth_damaged: bool | None = None
    ground_truth_held: bool | None = None  # the simulator's (None: a cell without one)
    chosen_by: str = "random"  # who chose the regrasp (data/records.CHOOSERS)
    on_table: bool | None = None  # the touch-down read it standing on the table (None: not inspected)
    held: bool | None = None  # the contact label alone (both gels in contact after the hold)


def plan_trial(center_xy, table_z: float, height: float, rng: np.random.Generator,
               config: CollectConfig = CollectConfig()) -> TrialPlan:
    """Sample the first grasp from the cylinder fit and a random regrasp action within the ranges."""
    grasp = sample_initial_grasp(center_xy, table_z, height, rng, config.approach)
    force = sample_force(rng, config.approach)  # drawn either way: a fixed first force leaves the rest of the plan
    if config.first_force:                      # as the random trial of the same seed draws it
        force = config.first_force
    t = config.max_translation
    delta = np.array([*rng.uniform(-t, t, 3), rng.uniform(-config.max_rotation, config.max_rotation)])
    regrasp = grasp + delta
    regrasp[2] = float(np.clip(regrasp[2], *height_band(table_z, height, config.approach)))  # on the object
    return TrialPlan(grasp, force, regrasp, sample_force(rng, config.approach))


def _images(state: Snapshot, background: Snapshot, after: Snapshot) -> dict:
    images = {"rgb_before": state.rgb, "depth_before": state.depth,
              "gel_left_before": background.gel_left, "gel_right_before": background.gel_right,
              "gel_left_during": state.gel_left, "gel_right_during": state.gel_right,
              "gel_left_after": after.gel_left, "gel_right_after": after.gel_right}
    return {k: v for k, v in images.items() if v is not None}


def _flag(value) -> bool | None:
    return None if value is None else bool(value)


def build_records(obs: TrialObservations) -> list[TrialRecord]:
    """The three examples of one trial, all with the trial's label: grasp (state s, the first grasp, and
    the regrasp action), release (the gripper opened from that grasp, the gels free again, no grip force,
    and the same motion closing at the same force: what the robot really did next) and zero_motion (the
    second grasp, kept)."""
    plan = obs.plan
    common = dict(trial_id=obs.trial_id, object_id=obs.object_id, success=bool(obs.success),
                  label_source=obs.label_source, ground_truth_success=bool(obs.ground_truth_success),
                  gel_ids=tuple(obs.gel_ids), stamps=dict(obs.stamps), damaged=_flag(obs.damaged),
                  ground_truth_damaged=_flag(obs.ground_truth_damaged),
                  ground_truth_held=_flag(obs.ground_truth_held), chosen_by=obs.chosen_by,
                  on_table=_flag(obs.on_table))
    first = dict(common, action=plan.action, ee_pose=plan.grasp.copy(),
                 motion_gripper_frame=plan.motion_gripper_frame, grip_force=float(plan.force))
    # from the opened gripper the regrasp closes at regrasp_force from no force: the action's force change says so
    release = dict(first, grip_force=0.0, action=np.concatenate([plan.action[:4], [float(plan.regrasp_force)]]))
    records = [TrialRecord(kind="grasp", images=_images(obs.first_contact, obs.background, obs.after_lift), **first),
               TrialRecord(kind="release", images=_images(obs.at_release, obs.background, obs.after_lift),
                           **release)]
    records.append(TrialRecord(kind="zero_motion", action=np.zeros(5), ee_pose=plan.regrasp.copy(),
                               motion_gripper_frame=np.zeros(3), grip_force=float(plan.regrasp_force),
                               images=_images(obs.second_contact, obs.background, obs.after_lift), **common))
    for r in records:
        r.validate()
    return records
