"""How the refit's crush rule (procedure/outcome.observed_damage) was checked before it replaced the radius
comparison: collection trials (the paper's procedure, object library v2, calibrated gels) on the training
objects only, each refit both ways, against the simulator's crush truth, over the trials the simulator
says held (where the refit decides the label).

    .venv/bin/python docs/results/label_agreement_v2_noise/choose_crush_rule.py 390
"""
import sys
from collections import Counter

import numpy as np

from visuotactile_grasp.collection import direct
from visuotactile_grasp.collection.trial import CollectConfig
from visuotactile_grasp.procedure.outcome import CRUSHED_WIDTH_RATIO, observed_damage
from visuotactile_grasp.procedure.trial import run_trial
from visuotactile_grasp.sim.cell import CellConfig
from visuotactile_grasp.sim.mujoco_cell import MujocoCell
from visuotactile_grasp.sim.objects import object_ids

SEED = 98


class RefitBothWays(direct.BareTrialCell):
    def inspect(self):
        truth = self.cell.ground_truth_damaged()  # the grasp's damage, before the put-down (as the cells read it)
        self.before, self.after = self._fitted, direct.refit_after_put_down(self.cell, self._grasp)
        return observed_damage(self.before, self.after), truth


def radius_rule(before, after):
    """The rule until 2026-12: the fitted radius after below 0.8 of the one before."""
    return None if after is None else after[0] < CRUSHED_WIDTH_RATIO * before[0]


def main(trials: int) -> None:
    train = object_ids("train")
    cell, config = MujocoCell(CellConfig(gel_model="calibrated", objects="v2")), CollectConfig.from_params_file()
    counts = {"radius": Counter(), "width": Counter()}
    for k in range(trials):
        object_id = train[k % len(train)]
        cell.start_episode(object_id, (SEED, k))
        trial_cell = RefitBothWays(cell, object_id)
        obs = run_trial(trial_cell, config, np.random.default_rng([SEED, k]), k, object_id)
        if not obs.ground_truth_held:
            continue
        truth = bool(obs.ground_truth_damaged)
        counts["radius"][truth, radius_rule(trial_cell.before, trial_cell.after)] += 1
        counts["width"][truth, obs.damaged] += 1
    held = sum(counts["width"].values())
    print(f"{trials} trials on the {len(train)} training objects (seed {SEED}); {held} held by the simulator\n")
    print("| rule | crushed, seen | crushed, not seen | crushed, no refit | intact, seen crushed | intact |")
    print("|---|---|---|---|---|---|")
    for rule, c in counts.items():
        print(f"| {rule} | {c[True, True]} | {c[True, False]} | {c[True, None]} | {c[False, True]} | "
              f"{c[False, False] + c[False, None]} |")


if __name__ == "__main__":
    main(int(sys.argv[1]))
