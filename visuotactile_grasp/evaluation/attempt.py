"""One grasp attempt on a bare simulated cell, with the paper's protocol and settings shared with the robot.

Every attempt starts with the fingers open and the object placed at random; the cylinder is fitted
from the depth image. Then, by policy:

- centroid policies (the paper's cylinder-fitting baseline at 10 N, and constant-force baselines):
  grasp the fitted cylinder's centroid (its centre, half its height) at the attempt's yaw with a
  constant force, lift;
- learned policies: grasp at the attempt's initial grasp (centre plus a random offset, random height
  and yaw, the same for every policy on attempt k), close at the initial force, then plan -> regrasp
  until the policy lifts or the regrasp cap is reached; candidates stay inside the region the
  training data was collected in.

Lift, hold, label from the gels. The settings (initial force, regrasp cap, lift height, hold,
clearance, initial-grasp ranges) are the grasp executive's, read from config/grasp_executive.yaml,
so a bare-cell experiment measures the procedure the robot runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ..collection.direct import (approach_and_close, close, full_snapshot, gel_snapshot, place_and_fit, regrasp,
                                 tactile_label)
from ..perception.tactile import difference_image
from ..planning.approach import ApproachConfig, sample_initial_grasp
from ..param_files import node_params
from ..planning.regrasp import GraspRegion
from ..planning.step import StepLimits, plan_step
from ..sim.scripted_trial import run_for

@dataclass(frozen=True)
class AttemptConfig:
    initial_force: float = 10.0  # N, first close of the learned policies
    max_regrasps: int = 5
    lift_height: float = 0.10  # m
    hold_time: float = 4.0  # s
    approach_clearance: float = 0.05  # m above the object's top
    approach: ApproachConfig = ApproachConfig()

    @classmethod
    def from_params_file(cls) -> AttemptConfig:
        """The grasp executive's values in config/grasp_executive.yaml (one source for the robot graph
        and the bare cells)."""
        p = node_params("grasp_executive")
        own = {f.name for f in fields(cls)} - {"approach"}
        approach = ApproachConfig(max_offset=float(p["max_offset"]), yaw_range=float(p["yaw_range"]))
        return cls(**{k: type(getattr(cls, k))(p[k]) for k in own}, approach=approach)


@dataclass(frozen=True)
class CentroidPolicy:
    """Grasp the fitted cylinder's centroid with a constant force and lift (paper: 10 N)."""
    force: float = 10.0
    name: str = "cylinder_baseline"


@dataclass
class AttemptResult:
    object_id: str
    policy: str
    success: bool  # tactile label
    ground_truth: bool
    force: float  # N at lift
    regrasps: int
    initial_grasp: list = field(default_factory=list)  # x, y, z, yaw of the first close
    probabilities: list = field(default_factory=list)  # the chosen action's probability at each decision
    actions: list = field(default_factory=list)  # the chosen actions (5-D)
    plan_seconds: list = field(default_factory=list)
    first_sweep: tuple = ()  # (forces, probabilities) of the keep-the-grasp candidates at the first decision


def collected_region(fit, approach: ApproachConfig, max_translation: float) -> GraspRegion:
    """Where the collection's regrasps went: within max_offset + max_translation of the fitted centre
    per axis, between the fingertip clearance and just below the object's top."""
    table_z = float(fit.center[2])
    lo = table_z + approach.min_height
    return GraspRegion(center_xy=(float(fit.center[0]), float(fit.center[1])),
                       half_width=approach.max_offset + max_translation, z_low=lo,
                       z_high=max(lo, table_z + float(fit.height) - approach.top_margin))


def centroid_grasp(fit, yaw: float, approach: ApproachConfig) -> np.ndarray:
    table_z = float(fit.center[2])
    lo = table_z + approach.min_height
    z = float(np.clip(table_z + float(fit.height) / 2, lo, max(lo, table_z + float(fit.height) - approach.top_margin)))
    return np.array([float(fit.center[0]), float(fit.center[1]), z, yaw])


def run_attempt(cell, object_id: str, policy, rng: np.random.Generator, minimum_force: bool = False,
                config: AttemptConfig = AttemptConfig(), limits: StepLimits = StepLimits()) -> AttemptResult:
    """policy: a CentroidPolicy, or a planning.regrasp.LearnedPolicy. The cell should have been
    started with cell.start_episode(object_id, key) so the attempt depends on key alone."""
    fit = place_and_fit(cell, object_id)
    table_z = float(fit.center[2])
    initial = sample_initial_grasp(fit.center[:2], table_z, fit.height, rng, config.approach)
    background = gel_snapshot(cell)
    top = table_z + float(fit.height)
    if isinstance(policy, CentroidPolicy):
        pose, force = centroid_grasp(fit, float(initial[3]), config.approach), float(policy.force)
    else:
        pose, force = initial.copy(), float(config.initial_force)
    result = AttemptResult(object_id, policy.name, False, False, force, 0, initial_grasp=pose.tolist())
    approach_and_close(cell, pose, force, top, config.approach_clearance)
    if not isinstance(policy, CentroidPolicy):
        region = collected_region(fit, config.approach, policy.cfg.max_translation)
        while True:
            state = full_snapshot(cell)
            images = {"rgb": state.rgb, "gel_left": difference_image(state.gel_left, background.gel_left),
                      "gel_right": difference_image(state.gel_right, background.gel_right)}
            step = plan_step(policy, pose, force, limits, images, rng, minimum_force, region)
            plan, d = step.plan, step.decision
            if not result.first_sweep:
                keep = np.all(plan.candidates[:, :4] == 0.0, axis=1)
                result.first_sweep = ((force + plan.candidates[keep, 4]).tolist(), plan.probabilities[keep].tolist())
            result.probabilities.append(d.probability)
            result.actions.append(d.action.tolist())
            result.plan_seconds.append(plan.timings["total"])
            if d.lift or result.regrasps >= config.max_regrasps:
                if not math.isclose(d.force, force):
                    close(cell, d.force)  # the same grasp, squeezed harder or softer
                force = d.force
                break
            pose = step.target
            force = d.force
            result.regrasps += 1
            regrasp(cell, pose, force)
    cell.command_ee(pose + np.array([0.0, 0.0, config.lift_height, 0.0]))
    run_for(cell, 0.5 + config.hold_time)
    result.success = tactile_label(background, gel_snapshot(cell))
    result.ground_truth = cell.ground_truth_held()
    result.force = force
    return result
