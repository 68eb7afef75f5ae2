"""A lift threshold each model can reach, measured on its validation objects.

The paper lifts when the calibrated probability of keeping the grasp exceeds 0.9. A model that
sees little of what decides the outcome (vision alone here) is calibrated towards the base rate and
never says 0.9 about any grasp, so under that rule it regrasps to the cap on every attempt: a rule
it can never satisfy. The "reachable" rule keeps the paper's threshold where the model reaches it
and otherwise lowers it to what the model says about grasps that did hold: the given quantile
(default the median) of the keep-the-grasp probability on the validation objects' zero-motion
examples that held. The keep probability is the planner's: the best of the force sweep at that
grasp. It is measured once, after training, on data the evaluation never sees, and stored in
model.json ("lift"); the planner reads it from there.
"""
from __future__ import annotations

import numpy as np
import torch

from ..param_files import node_params
from ..planning.action_space import force_range
from .calibration import sigmoid
from .inputs import Inputs, action_features, pose_and_force, to_tensor_images

MIN_HELD = 30  # fewer held validation grasps than this give no threshold (a median of a handful is noise)


def planner_sweep() -> tuple[np.ndarray, float]:
    """(the planner's keep-the-grasp sweep forces, its lift threshold) from its parameter files."""
    p = node_params("regrasp_planner")
    return np.linspace(*force_range(p["force_range"]), int(p["force_sweep"])), float(p["lift_threshold"])


@torch.inference_mode()
def keep_probabilities(model, inputs: Inputs, platt, sweep_forces: np.ndarray, frozen: bool = False) -> np.ndarray:
    """Per example: the best calibrated probability over keeping its grasp at each sweep force.
    frozen: the model's stacks are its frozen ImageNet ones, whose features are cached (frozen_features)."""
    from .frozen_features import stack_feature_table

    model.eval()
    device = next(model.parameters()).device
    cfg, a, b = model.config, *platt
    out = np.zeros(len(inputs))
    table = stack_feature_table(model, inputs, device) if frozen and len(inputs) else None

    def images(batch, i, diff):
        return to_tensor_images(batch[i:i + 1], cfg.image_size, None, diff=diff).to(device)

    def image_part(i):
        if table is not None:
            return model.fuse_image(table[i:i + 1])
        rgb = images(inputs.rgb, i, False) if cfg.uses_vision else None
        gl, gr = ((images(inputs.gel_left, i, True), images(inputs.gel_right, i, True)) if cfg.uses_tactile
                  else (None, None))
        return model.image_features(rgb, gl, gr)

    for i in range(len(inputs)):
        pose, force = pose_and_force(inputs.actions[i])
        keep = np.zeros((len(sweep_forces), 5))
        keep[:, 4] = sweep_forces - force  # the planner's keep-the-grasp candidates: no motion, another force
        feats = action_features(keep, pose, np.zeros((len(sweep_forces), 3)), np.full(len(sweep_forces), force))
        logits = model.score(image_part(i), torch.from_numpy(feats).to(device))
        out[i] = float(np.max(sigmoid(a * logits.float().cpu().numpy() + b)))
    return out


def reachable_lift(model, validation: Inputs, platt, sweep_forces: np.ndarray, paper_threshold: float,
                   quantile: float = 0.5, min_held: int = MIN_HELD, frozen: bool = False) -> dict:
    """model.json's "lift" entry: the threshold the reachable rule uses and what it was measured on.
    frozen: see keep_probabilities."""
    held = (validation.kinds == "zero_motion") & (validation.labels > 0.5)
    entry = {"rule": "reachable", "paper_threshold": float(paper_threshold), "quantile": float(quantile),
             "measured_on": "validation objects, zero-motion examples that held", "examples": int(held.sum()),
             "sweep_forces": [float(sweep_forces.min()), float(sweep_forces.max()), int(len(sweep_forces))]}
    if held.sum() < max(min_held, 1):
        return {**entry, "threshold": None, "why": f"{int(held.sum())} zero-motion examples held on the validation "
                f"objects, fewer than {max(min_held, 1)}"}
    # every zero-motion example once (those that held are among them, and each example's value is its own)
    zero = validation.kinds == "zero_motion"
    every = keep_probabilities(model, validation.subset(zero), platt, sweep_forces, frozen)
    labels = validation.labels[zero] > 0.5
    keep = every[labels]
    measured = float(np.quantile(keep, quantile))
    threshold = min(float(paper_threshold), measured)
    # how informative lifting above it was on the same objects: the hold rate of the zero-motion
    # grasps it would lift against all of them (a threshold is only as good as this precision)
    above = every > threshold
    return {**entry, "measured": measured, "threshold": threshold,
            "held_rate_above": float(labels[above].mean()) if above.any() else None,
            "held_rate_all": float(labels.mean()), "lifted_fraction": float(above.mean())}
