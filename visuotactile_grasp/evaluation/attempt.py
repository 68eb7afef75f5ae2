"""One grasp attempt on a bare simulated cell with a given policy, as the grasp graph runs it.

Initial grasp from the cylinder fit (centre plus a random offset, random height and yaw) at the
baseline force; then, for a learned policy, plan -> regrasp until it says lift (at most
max_regrasps); lift, hold, label. The cylinder-fitting baseline lifts the initial grasp at 10 N.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..collection.direct import (approach_and_close, close, full_snapshot, gel_snapshot, place_and_fit, regrasp,
                                 tactile_label)
from ..perception.tactile import difference_image
from ..planning.approach import ApproachConfig, sample_initial_grasp
from ..sim.scripted_trial import run_for


@dataclass
class AttemptResult:
    object_id: str
    policy: str
    success: bool  # tactile label
    ground_truth: bool
    force: float  # N at lift
    regrasps: int
    probabilities: list = field(default_factory=list)  # the chosen action's probability at each decision
    actions: list = field(default_factory=list)  # the chosen actions (5-D)
    plan_seconds: list = field(default_factory=list)
    first_sweep: tuple = ()  # (forces, probabilities) of the keep-the-grasp candidates at the first decision


def run_attempt(cell, object_id: str, policy, rng: np.random.Generator, minimum_force: bool = False,
                max_regrasps: int = 3, initial_force: float = 10.0, hold_s: float = 4.0,
                approach: ApproachConfig = ApproachConfig()) -> AttemptResult:
    """policy: None for the cylinder-fitting baseline, else a planning.regrasp.LearnedPolicy."""
    fit = place_and_fit(cell, object_id)
    table_z = float(fit.center[2])
    grasp = sample_initial_grasp(fit.center[:2], table_z, fit.height, rng, approach)
    background = gel_snapshot(cell)
    approach_and_close(cell, grasp, initial_force, table_z + fit.height)
    pose, force = grasp.copy(), float(initial_force)
    result = AttemptResult(object_id, policy.name if policy else "cylinder_baseline", False, False, force, 0)
    while policy is not None:
        state = full_snapshot(cell)
        plan = policy.plan(state.rgb, difference_image(state.gel_left, background.gel_left),
                           difference_image(state.gel_right, background.gel_right), pose, force, rng, minimum_force)
        d = plan.decision
        if not result.first_sweep:
            keep = np.all(plan.candidates[:, :4] == 0.0, axis=1)
            result.first_sweep = ((force + plan.candidates[keep, 4]).tolist(), plan.probabilities[keep].tolist())
        result.probabilities.append(d.probability)
        result.actions.append(d.action.tolist())
        result.plan_seconds.append(plan.timings["total"])
        if d.lift or result.regrasps >= max_regrasps:
            if abs(d.force - force) > 1e-6:
                close(cell, d.force)  # the same grasp, squeezed harder or softer
            force = d.force
            break
        pose = pose + d.action[:4]
        force = d.force
        result.regrasps += 1
        regrasp(cell, pose, force)
    cell.command_ee(pose + np.array([0.0, 0.0, 0.10, 0.0]))
    run_for(cell, 0.5 + hold_s)
    result.success = tactile_label(background, gel_snapshot(cell))
    result.ground_truth = cell.ground_truth_held()
    result.force = force
    return result
