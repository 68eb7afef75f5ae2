"""One grasp attempt on a bare simulated cell: the procedure the robot graph runs (procedure/attempt.py)
on a BareGraspCell, with the policy's first grasp (the fitted centroid for the constant-force
baselines, the shared initial grasp for learned policies and the initial-grasp control) and a row
for attempts.jsonl."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from ..collection.trial import CollectConfig
from ..planning.step import StepLimits
from ..procedure.attempt import AttemptConfig, run_attempt as run_procedure
from .bare_cell import BareGraspCell, ConstantForcePolicy, OraclePolicy

__all__ = ["AttemptConfig", "ConstantForcePolicy", "OraclePolicy", "run_attempt"]


def run_attempt(cell, object_id: str, policy, rng: np.random.Generator, minimum_force: bool = False,
                config: AttemptConfig = AttemptConfig(), limits: StepLimits = StepLimits(),
                collection: CollectConfig | None = None) -> dict:
    """policy: a ConstantForcePolicy, an OraclePolicy or a planning.regrasp.LearnedPolicy. The cell
    should have been started with cell.start_episode(object_id, key) so the attempt depends on key
    alone. Returns the attempt's row (object, policy, label, ground truth, force, regrasps, first grasp, decisions)."""
    if isinstance(policy, OraclePolicy):  # the object's own constant force (evaluation-only reference)
        policy = policy.for_object(object_id)
    bare = BareGraspCell(cell, object_id, policy, rng, limits, config.approach, minimum_force, collection)
    constant = isinstance(policy, ConstantForcePolicy)
    result = run_procedure(bare, config, rng, first=policy.first if constant else "initial",
                           first_force=policy.force if constant else None)
    return {"object_id": object_id, "policy": policy.name, **asdict(result), "plan_seconds": bare.plan_seconds,
            "first_sweep": bare.first_sweep}
