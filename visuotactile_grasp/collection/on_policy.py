"""On-policy collection (paper Sec. VI): the regrasp of a collection trial chosen by a learned model.

The paper collected 25,404 more points with its learned planner on the training objects and retrained
on random and on-policy data together before the hard set. Here a trial's first grasp is still the
collection's random one (the state s), and its regrasp is the model's most probable action among the
planner's candidates, inside the region the random data covered (collection/trial.collected_region);
with probability `explore` the trial keeps its random regrasp instead, so the data does not collapse
onto what the model already believes. Each record says which (data/records.chosen_by).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..perception.tactile import difference_image
from .trial import CollectConfig, TrialPlan, collected_region

EXPLORE = 0.1  # probability that an on-policy trial keeps its random regrasp (vtg collect --explore)


@dataclass
class OnPolicyChooser:
    policy: object  # planning.regrasp.LearnedPolicy (with the cell's camera model)
    config: CollectConfig
    explore: float = EXPLORE  # probability of keeping the trial's random regrasp

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore <= 1.0:
            raise ValueError(f"explore must be a probability, got {self.explore}")

    def __call__(self, plan: TrialPlan, first, background, fit, rng: np.random.Generator) -> tuple[TrialPlan, str]:
        """rng: the chooser's own stream for this trial (bound by the caller), so that exploring or not
        leaves everything else of the trial as the random trial would have it."""
        if rng.uniform() < self.explore:
            return plan, "explore"
        region = collected_region(fit.center, fit.height, self.config)
        scored = self.policy.plan(first.rgb, difference_image(first.gel_left, background.gel_left),
                                  difference_image(first.gel_right, background.gel_right), plan.grasp, plan.force,
                                  rng, region=region)
        best = scored.candidates[int(np.argmax(scored.probabilities))]  # the most probable regrasp, kept or not
        regrasp = plan.grasp + best[:4]
        return replace(plan, regrasp=regrasp, regrasp_force=float(plan.force + best[4])), "policy"
