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
from .calibration import sigmoid
from .inputs import Inputs, to_tensor_images

ACTION_FORCE_DELTA, ACTION_FORCE = 4, 12  # columns of the action features (inputs.action_features)
FORCE_DELTA_SCALE, FORCE_SCALE = 10.0, 20.0


def planner_sweep() -> tuple[np.ndarray, float]:
    """(the planner's keep-the-grasp sweep forces, its lift threshold) from config/regrasp_planner.yaml."""
    p = node_params("regrasp_planner")
    return np.linspace(float(p["min_force"]), float(p["max_force"]), int(p["force_sweep"])), float(p["lift_threshold"])


@torch.inference_mode()
def keep_probabilities(model, inputs: Inputs, platt, sweep_forces: np.ndarray) -> np.ndarray:
    """Per example: the best calibrated probability over keeping its grasp at each sweep force."""
    model.eval()
    device = next(model.parameters()).device
    cfg, a, b = model.config, *platt
    out = np.zeros(len(inputs))
    def images(batch, i, diff):
        return to_tensor_images(batch[i:i + 1], cfg.image_size, None, diff=diff).to(device)

    for i in range(len(inputs)):
        rgb = images(inputs.rgb, i, False) if cfg.uses_vision else None
        gl, gr = ((images(inputs.gel_left, i, True), images(inputs.gel_right, i, True)) if cfg.uses_tactile
                  else (None, None))
        feats = np.repeat(inputs.actions[i:i + 1], len(sweep_forces), axis=0)
        feats[:, :4] = 0.0  # no motion (a zero-motion example has none already)
        feats[:, 9:12] = 0.0
        feats[:, ACTION_FORCE_DELTA] = (sweep_forces - feats[:, ACTION_FORCE] * FORCE_SCALE) / FORCE_DELTA_SCALE
        logits = model.score(model.image_features(rgb, gl, gr), torch.from_numpy(feats).to(device))
        out[i] = float(np.max(sigmoid(a * logits.float().cpu().numpy() + b)))
    return out


def reachable_lift(model, validation: Inputs, platt, sweep_forces: np.ndarray, paper_threshold: float,
                   quantile: float = 0.5) -> dict:
    """model.json's "lift" entry: the threshold the reachable rule uses and what it was measured on."""
    held = (validation.kinds == "zero_motion") & (validation.labels > 0.5)
    entry = {"rule": "reachable", "paper_threshold": float(paper_threshold), "quantile": float(quantile),
             "measured_on": "validation objects, zero-motion examples that held", "examples": int(held.sum()),
             "sweep_forces": [float(sweep_forces.min()), float(sweep_forces.max()), int(len(sweep_forces))]}
    if not held.any():
        return {**entry, "threshold": None, "why": "no zero-motion example held on the validation objects"}
    keep = keep_probabilities(model, validation.subset(held), platt, sweep_forces)
    measured = float(np.quantile(keep, quantile))
    return {**entry, "measured": measured, "threshold": min(float(paper_threshold), measured)}
