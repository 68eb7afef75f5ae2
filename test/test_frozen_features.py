"""Training with frozen stacks (model/frozen_features.py): the stacks keep their weights, the heads
learn, and the cached features are exactly what the planner's path computes from the images."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from test_model import SMALL, synthetic_inputs
from visuotactile_grasp.model import checkpoint, frozen_features
from visuotactile_grasp.model.network import GraspSuccessNet, ModelConfig
from visuotactile_grasp.model.train import TrainConfig, batch_tensors, train

SCHEDULE = TrainConfig(iterations=30, batch_size=8, lr=1e-2, lr_drop_at=25, checkpoint_every=30, frozen_stacks=True)


def test_frozen_stacks_keep_their_weights_and_the_heads_learn(tmp_path):
    inputs = synthetic_inputs()
    cfg = ModelConfig(variant="tactile_vision", **SMALL)
    torch.manual_seed(SCHEDULE.seed)
    initial = GraspSuccessNet(cfg).state_dict()  # train() seeds torch the same way before building its model
    meta = train(inputs, cfg, SCHEDULE, tmp_path, progress=False)
    assert meta["train"]["frozen_stacks"] is True  # model.json says how it was trained
    model, _ = checkpoint.load(tmp_path)
    trained = model.state_dict()
    stacks = [k for k in trained if k.startswith(("vision.", "tactile."))]
    heads = [k for k in trained if k.startswith(("action_mlp.", "fuse_", "head."))]
    assert stacks and heads
    for k in stacks:
        torch.testing.assert_close(trained[k], initial[k], msg=f"frozen stack weight {k} changed")
    assert any(not torch.equal(trained[k], initial[k]) for k in heads)


def test_cached_features_are_the_planners_and_shared_across_variants():
    inputs = synthetic_inputs(n=40)
    torch.manual_seed(0)
    model = GraspSuccessNet(ModelConfig(variant="tactile_vision", **SMALL)).eval()
    frozen_features.forget()
    table = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
    idx = np.arange(len(inputs))
    with torch.inference_mode():
        rgb, gl, gr, actions = batch_tensors(model, inputs, idx, model.config.image_size, None, torch.device("cpu"))
        direct = model(rgb, gl, gr, actions)
        cached = model(None, None, None, actions, stacks=table)
    torch.testing.assert_close(cached, direct, rtol=1e-5, atol=1e-5)
    # a vision-only model with the same stack weights and a subset of the examples: nothing computed again
    vision = GraspSuccessNet(replace(model.config, variant="vision")).eval()
    vision.vision.load_state_dict(model.vision.state_dict())
    entries = len(frozen_features._memo)
    sub = inputs.subset(np.arange(len(inputs)) % 2 == 0)
    again = frozen_features.stack_feature_table(vision, sub, torch.device("cpu"))
    assert len(frozen_features._memo) == entries
    torch.testing.assert_close(again, table[::2, :again.shape[1]])


def test_features_kept_on_disk_serve_the_next_run_and_predictions(tmp_path, monkeypatch):
    """kept_in: a second run (here: a forgotten memory cache) reads the features back instead of running
    the stacks, and the logits from cached features are the ones the images give; outside the block
    nothing is kept (vtg train called in a process does not leave its folder set)."""
    from visuotactile_grasp.model.train import predict_logits

    inputs = synthetic_inputs(n=24)
    torch.manual_seed(1)
    model = GraspSuccessNet(ModelConfig(variant="tactile_vision", **SMALL)).eval()
    monkeypatch.setattr(frozen_features, "_memo", {})
    with frozen_features.kept_in(tmp_path):
        first = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
    assert len(list(tmp_path.glob("stack_features_*.npz"))) == 2  # the vision stack and the shared gel stack
    assert frozen_features._disk["folder"] is None
    frozen_features.forget()
    with frozen_features.kept_in(tmp_path):
        def no_forward(*_):
            raise AssertionError("a stack ran although its features were on disk")
        hooks = [s.register_forward_pre_hook(no_forward) for s in model.image_stacks()]
        again = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
        cached = predict_logits(model, inputs, frozen=True)
        for h in hooks:
            h.remove()
        torch.testing.assert_close(again, first)
        direct = predict_logits(model, inputs, frozen=False)
        np.testing.assert_allclose(cached, direct, rtol=1e-5, atol=1e-5)
        # another stack (changed weights) is not served the old rows
        with torch.no_grad():
            next(model.vision.parameters()).add_(1.0)
        changed = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
        third = first.shape[1] // 3  # vision, left gel, right gel
        assert not torch.allclose(changed[:, :third], first[:, :third])
        torch.testing.assert_close(changed[:, third:], first[:, third:])  # the gel stack is unchanged
        assert len(list(tmp_path.glob("stack_features_*.npz"))) == 3
        frozen_features.forget()  # forgotten mid-block (a benchmark does it): the next save still works
        frozen_features.stack_feature_table(model, inputs.subset(np.arange(len(inputs)) < 5), torch.device("cpu"))


def test_a_cut_feature_file_is_computed_again(tmp_path, monkeypatch):
    """Only a cache: a file cut short (a run killed while writing it elsewhere) is said and recomputed,
    and saves mid-run (every SAVE_EVERY batches) keep what was computed."""
    inputs = synthetic_inputs(n=24)
    torch.manual_seed(2)
    model = GraspSuccessNet(ModelConfig(variant="vision", **SMALL)).eval()
    monkeypatch.setattr(frozen_features, "_memo", {})
    monkeypatch.setattr(frozen_features, "BATCH", 4)
    monkeypatch.setattr(frozen_features, "SAVE_EVERY", 2)
    with frozen_features.kept_in(tmp_path):
        first = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
    (path,) = tmp_path.glob("stack_features_*.npz")
    with np.load(path) as z:
        assert z["features"].shape[0] == len(inputs)
    path.write_bytes(path.read_bytes()[:100])
    frozen_features.forget()
    with frozen_features.kept_in(tmp_path), pytest.warns(UserWarning, match="computed again"):
        again = frozen_features.stack_feature_table(model, inputs, torch.device("cpu"))
    torch.testing.assert_close(again, first)
    with np.load(path) as z:  # written whole again
        assert z["features"].shape[0] == len(inputs)


def test_keep_probabilities_from_cached_features_are_the_images(monkeypatch):
    """The lift calibration's keep probabilities (lift_calibration) from the cached stack features equal
    those computed from the images, so a frozen model's reachable threshold costs no second stack pass."""
    from visuotactile_grasp.model.lift_calibration import keep_probabilities

    inputs = synthetic_inputs(n=10)
    torch.manual_seed(3)
    model = GraspSuccessNet(ModelConfig(variant="tactile_vision", **SMALL)).eval()
    monkeypatch.setattr(frozen_features, "_memo", {})
    sweep = np.linspace(5.0, 40.0, 8)
    cached = keep_probabilities(model, inputs, [1.0, 0.0], sweep, frozen=True)
    direct = keep_probabilities(model, inputs, [1.0, 0.0], sweep, frozen=False)
    np.testing.assert_allclose(cached, direct, rtol=1e-5, atol=1e-6)
    assert len(set(np.round(direct, 6))) > 1  # examples differ, so the comparison compares something
