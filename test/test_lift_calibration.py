"""The reachable lift rule: measured on validation objects as the planner computes it, stored in
model.json, applied by the one policy loader, refused when missing."""
import json

import numpy as np
import pytest

from test_model import SMALL, synthetic_inputs
from visuotactile_grasp.model import checkpoint
from visuotactile_grasp.model.lift_calibration import keep_probabilities, reachable_lift
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import TrainConfig, recalibrate, train
from visuotactile_grasp.planning.regrasp import CandidateConfig, LearnedPolicy, choose, lift_threshold_for


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    inputs = synthetic_inputs()
    # the whole-frame view: the planner's path then resizes the already decoded images to themselves, so
    # its scores and the calibration's are comparable image for image
    meta = train(inputs, ModelConfig(variant="tactile_vision", front_view="full", **SMALL),
                 TrainConfig(iterations=20, batch_size=8, lr=1e-3, lr_drop_at=15, checkpoint_every=20), run,
                 progress=False)
    return run, inputs, meta


def test_keep_probability_is_the_planners_best_force_sweep_candidate(trained):
    """The calibration measures what the planner compares with the threshold: the best of the force
    sweep at that grasp, scored through the planner's own path (raw images in, features built there)."""
    run, inputs, _ = trained
    model, meta = checkpoint.load(run)
    policy = LearnedPolicy(model, meta, CandidateConfig(lift_rule="paper"))
    assert policy.cfg.lift_rule == "paper"
    sweep = np.linspace(5.0, 40.0, 100)
    pose, force = np.array([0.6, 0.0, 0.05, 0.0]), 0.0  # what synthetic_inputs' zero action features decode to
    for i in (0, 1, 5):
        score = policy.scorer(inputs.rgb[i], inputs.gel_left[i], inputs.gel_right[i], pose, force)
        keep = np.column_stack([np.zeros((100, 4)), sweep - force])
        expected = score(keep).max()
        measured = keep_probabilities(model, inputs.subset(np.arange(len(inputs)) == i), meta["platt"], sweep)
        assert measured[0] == pytest.approx(expected, abs=1e-5)


def test_threshold_is_the_paper_s_or_the_held_quantile_whichever_is_lower(trained):
    run, inputs, meta = trained
    model, _ = checkpoint.load(run)
    va = inputs.subset(np.isin(inputs.object_ids, meta["val_objects"]))
    held = (va.kinds == "zero_motion") & (va.labels > 0.5)
    keep = keep_probabilities(model, va.subset(held), meta["platt"], np.linspace(5, 40, 100))
    for paper in (0.0, 0.9, 1.0):
        entry = reachable_lift(model, va, meta["platt"], np.linspace(5, 40, 100), paper, quantile=0.5, min_held=1)
        assert entry["examples"] == held.sum() and entry["measured"] == pytest.approx(np.median(keep))
        assert entry["threshold"] == pytest.approx(min(paper, np.median(keep)))
    none_held = va.subset(~held)
    entry = reachable_lift(model, none_held, meta["platt"], np.linspace(5, 40, 100), 0.9)
    assert entry["threshold"] is None and "held" in entry["why"]
    few = reachable_lift(model, va, meta["platt"], np.linspace(5, 40, 100), 0.9, min_held=held.sum() + 1)
    assert few["threshold"] is None and "fewer than" in few["why"]  # a median of a handful is noise
    assert "lift" in meta and meta["lift"]["rule"] == "reachable"  # training recorded it in model.json


def _lift(measured, forces=(5.0, 40.0, 100)):
    return {"lift": {"measured": measured, "threshold": min(0.9, measured), "sweep_forces": list(forces)}}


def test_the_policy_lifts_at_the_models_threshold_and_refuses_without_one():
    cfg = CandidateConfig()
    assert lift_threshold_for(_lift(0.69), cfg) == pytest.approx(0.69)
    assert lift_threshold_for(_lift(0.95), cfg) == pytest.approx(0.9)  # never above the configured threshold
    assert lift_threshold_for(_lift(0.93), CandidateConfig(lift_threshold=0.95)) == pytest.approx(0.93)
    assert lift_threshold_for({}, CandidateConfig(lift_rule="paper")) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="use lift_rule 'paper'"):
        lift_threshold_for({"lift": {"threshold": None, "why": "3 zero-motion examples held"}}, cfg)
    with pytest.raises(ValueError, match="vtg calibrate"):
        lift_threshold_for({}, cfg)
    with pytest.raises(ValueError, match="measured over forces 5.0-40.0 N"):
        lift_threshold_for(_lift(0.7), CandidateConfig(force_range=(5.0, 20.0)))
    with pytest.raises(ValueError, match="lift_rule"):
        lift_threshold_for(_lift(0.7), CandidateConfig(lift_rule="sometimes"))
    # a keep probability of 0.75 lifts under a 0.69 threshold and not under the paper's 0.9
    cands = np.array([[0.01, 0, 0, 0, 0.0], [0, 0, 0, 0, 0.0]])
    probs = np.array([0.85, 0.75])
    reachable = CandidateConfig(lift_threshold=0.69, lift_margin=-1.0, lift_rule="paper")
    assert choose(cands, probs, 10.0, reachable, minimum_force=False).lift
    assert not choose(cands, probs, 10.0, CandidateConfig(lift_margin=-1.0), minimum_force=False).lift


def test_recalibration_keeps_the_weights_and_refuses_other_data(trained, tmp_path):
    run, inputs, _ = trained
    before = json.loads((run / "model.json").read_text())
    before_weights = (run / "model.safetensors").read_bytes()
    entries = recalibrate(run, inputs)
    after = json.loads((run / "model.json").read_text())
    assert (run / "model.safetensors").read_bytes() == before_weights
    assert after["weights_sha256"] == before["weights_sha256"] and after["platt"] == pytest.approx(before["platt"])
    assert after["lift"] == entries["lift"] and after["step"] == before["step"]
    other = synthetic_inputs()
    other.object_ids = np.array([f"other_{i % 8:03d}" for i in range(len(other))])
    with pytest.raises(ValueError, match="not the data it was trained on"):
        recalibrate(run, other)
    with pytest.raises(ValueError, match="describes the weights"):
        checkpoint.update_meta(run, {"weights_sha256": "0"})
