"""The grasp attempt's robot cell on a bare simulated cell (no ROS): procedure/attempt.py runs on it.

Motions are stepped for fixed simulated durations (the bulk collection's timings); decisions are the
planning step (planning/step.py) on the cell's rendered images, with the candidates kept inside the
region the training data was collected in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..collection.direct import BareTrialCell, full_snapshot, gel_snapshot, tactile_label
from ..collection.trial import CollectConfig, collected_region
from ..perception.tactile import difference_image
from ..planning.action_space import GRIP_FORCE_RANGE
from ..planning.approach import ApproachConfig
from ..planning.step import StepLimits, plan_step
from ..procedure.attempt import Choice, Fit
from ..sim.objects import DEFAULT_LIBRARY


@dataclass(frozen=True)
class ConstantForcePolicy:
    """Close the first grasp with a constant force and lift. first: centroid (the paper's cylinder-fit
    baseline at 10 N) or initial (where the learned policies start)."""
    force: float = 10.0
    name: str = "cylinder_baseline"
    first: str = "centroid"


ORACLE_CRUSH_MARGIN = 0.7  # stay this fraction below the crush force (the pads' load overshoots the command)
ORACLE_HOLD_SAFETY = 2.0  # times the friction-limited force that carries the weight


def oracle_force(spec) -> float:
    """The force the oracle closes with on an object (sim/objects.ObjectSpec): the highest grip force
    (planning/action_space.GRIP_FORCE_RANGE) at most ORACLE_CRUSH_MARGIN x the crush force (more force
    holds more in this cell); where that is below what friction needs to carry the weight, crushing is
    still avoided (that object then fails either way, which the calibration shows)."""
    lo, hi = GRIP_FORCE_RANGE
    return float(max(lo, min(hi, ORACLE_CRUSH_MARGIN * spec.crush_force)))


def oracle_hold_force(spec, gravity: float = 9.81) -> float:
    """What two pads need to carry the object by friction alone, with ORACLE_HOLD_SAFETY (N): for the record."""
    return ORACLE_HOLD_SAFETY * spec.mass * gravity / (2.0 * spec.friction)


@dataclass(frozen=True)
class OraclePolicy:
    """EVALUATION-ONLY REFERENCE, never a model input: knows each object's true mass, friction and crush
    force from its spec (sim/objects.make_object) and closes at the fitted centroid with oracle_force.
    It measures the headroom a sensing policy could win on an object set (issue 15, item 5)."""
    library: str = DEFAULT_LIBRARY
    name: str = "oracle"

    def for_object(self, object_id: str) -> ConstantForcePolicy:
        from ..sim.objects import make_object

        return ConstantForcePolicy(oracle_force(make_object(object_id, self.library)), self.name, "centroid")


class BareGraspCell(BareTrialCell):
    """policy: a ConstantForcePolicy or a planning.regrasp.LearnedPolicy."""

    def __init__(self, cell, object_id: str, policy, rng: np.random.Generator, limits: StepLimits,
                 approach: ApproachConfig, minimum_force: bool = False,
                 collection: CollectConfig | None = None) -> None:
        super().__init__(cell, object_id)  # the motions: the bare collection trial's, step for step
        self.policy, self.rng = policy, rng
        self.limits, self.approach_config, self.minimum_force = limits, approach, minimum_force
        # the ranges the training data was collected in (the data_collector parameters unless given)
        self.collection = collection if collection is not None else CollectConfig.from_params_file()
        self.first_sweep: tuple = ()  # (forces, probabilities) of the keep-the-grasp candidates, first decision
        self.plan_seconds: list[float] = []

    def decide(self, index: int, pose, force: float, fit: Fit) -> Choice:
        if isinstance(self.policy, ConstantForcePolicy):
            return Choice(True, float(self.policy.force), np.asarray(pose, float), math.nan,
                          np.array([0.0, 0.0, 0.0, 0.0, self.policy.force - force]))
        state = full_snapshot(self.cell)
        images = {"rgb": state.rgb, "gel_left": difference_image(state.gel_left, self.background.gel_left),
                  "gel_right": difference_image(state.gel_right, self.background.gel_right)}
        region = collected_region(fit.center, fit.height, self.collection)
        step = plan_step(self.policy, pose, force, self.limits, images, self.rng, self.minimum_force, region)
        plan = step.plan
        if not self.first_sweep:
            keep = np.all(plan.candidates[:, :4] == 0.0, axis=1)
            self.first_sweep = ((force + plan.candidates[keep, 4]).tolist(), plan.probabilities[keep].tolist())
        self.plan_seconds.append(plan.timings["total"])
        d = step.decision
        return Choice(d.lift, d.force, step.target, d.probability, d.action)

    def label(self) -> tuple[bool, bool]:
        return (tactile_label(self.background, gel_snapshot(self.cell), self.cell.contact_thresholds()),
                self.cell.ground_truth_held())

    def phase(self, name: str, index: int = 0, probability: float = math.nan) -> None:
        pass
