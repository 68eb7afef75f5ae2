"""The grasp-success model: every variant trains on a small real dataset, the factorised planner
scoring equals the plain forward pass, checkpoints refuse corrupt or mismatched files, and the
calibration metrics are right on cases worked by hand."""
import json

import numpy as np
import pytest
import torch

from visuotactile_grasp.model import checkpoint
from visuotactile_grasp.model.calibration import auc, ece, fit_platt, sigmoid
from visuotactile_grasp.model.inputs import Inputs, action_features
from visuotactile_grasp.model.network import VARIANTS, GraspSuccessNet, ModelConfig
from visuotactile_grasp.model.train import TrainConfig, predict_logits, split_by_object, train

SMALL = dict(backbone="small", image_size=32, action_hidden=32, fusion_hidden=32)


def synthetic_inputs(n=96, seed=0) -> Inputs:
    """Success iff the left gel shows a strong imprint and the force change is positive: a rule
    that needs both touch and the action, so a working model must use both."""
    rng = np.random.default_rng(seed)
    imprint = rng.random(n) > 0.5
    dforce = rng.uniform(-1, 1, n)
    gel = np.full((n, 37, 37, 3), 128, np.uint8)
    gel[imprint, 10:27, 10:27] = 200
    rgb = rng.integers(0, 255, (n, 37, 37, 3), dtype=np.uint8)
    actions = np.zeros((n, 13), np.float32)
    actions[:, 4] = dforce
    labels = (imprint & (dforce > 0)).astype(np.float32)
    objects = np.array([f"train_{i % 8:03d}" for i in range(n)])
    kinds = np.where((np.arange(n) // 8) % 2, "zero_motion", "grasp")  # every object has both kinds
    return Inputs(rgb, gel, gel.copy(), actions, labels, objects, kinds)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_trains_and_round_trips_through_a_checkpoint(variant, tmp_path):
    inputs = synthetic_inputs()
    cfg = ModelConfig(variant=variant, **SMALL)
    meta = train(inputs, cfg, TrainConfig(iterations=12, batch_size=8, lr=1e-3, lr_drop_at=8, checkpoint_every=6),
                 tmp_path, progress=False)
    assert meta["examples_per_s"] > 0 and len(meta["platt"]) == 2
    model, loaded_meta = checkpoint.load(tmp_path, expect_variant=variant)
    assert loaded_meta["step"] == 12 and loaded_meta["train_objects"] and loaded_meta["val_objects"]
    assert not set(loaded_meta["train_objects"]) & set(loaded_meta["val_objects"])
    assert predict_logits(model, inputs).shape == (len(inputs),)
    # model.json says what the stacks started from: no ImageNet weights were loaded here
    assert loaded_meta["config"]["pretrained"] is False
    assert loaded_meta["initialisation"] and all("random init" in n for n in loaded_meta["initialisation"])


def test_tactile_and_action_model_learns_a_touch_and_force_rule(tmp_path):
    inputs = synthetic_inputs(256)
    cfg = ModelConfig(variant="tactile", **SMALL)
    train(inputs, cfg, TrainConfig(iterations=300, batch_size=32, lr=3e-3, lr_drop_at=250, val_fraction=0.25,
                                   checkpoint_every=300), tmp_path, progress=False)
    model, _ = checkpoint.load(tmp_path)
    test = synthetic_inputs(128, seed=1)
    accuracy = np.mean((predict_logits(model, test) > 0) == (test.labels > 0.5))
    assert accuracy > 0.9, accuracy


def test_factorised_scoring_equals_the_forward_pass():
    torch.manual_seed(0)
    model = GraspSuccessNet(ModelConfig(variant="tactile_vision", **SMALL)).eval()
    rgb, gl, gr = (torch.randn(1, 3, 32, 32) for _ in range(3))
    actions = torch.randn(50, 13)
    with torch.no_grad():
        image_part = model.image_features(rgb, gl, gr)
        fast = model.score(image_part, actions)
        slow = model(rgb.expand(50, -1, -1, -1), gl.expand(50, -1, -1, -1), gr.expand(50, -1, -1, -1), actions)
    torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-5)


def test_checkpoint_refuses_corrupt_truncated_and_foreign_files(tmp_path):
    model = GraspSuccessNet(ModelConfig(variant="vision", **SMALL))
    weights = checkpoint.save(tmp_path, model, {"step": 1})
    with pytest.raises(checkpoint.CheckpointError, match="'vision' model, expected 'tactile_vision'"):
        checkpoint.load(tmp_path, expect_variant="tactile_vision")
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(checkpoint.CheckpointError, match="corrupt or truncated"):
        checkpoint.load(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**meta, "format": "pickle"}))
    with pytest.raises(checkpoint.CheckpointError, match="not a"):
        checkpoint.load(tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="no checkpoint"):
        checkpoint.load(tmp_path / "elsewhere")


def test_calibration_metrics_on_known_cases():
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert auc(np.array([0.5, 0.5]), np.array([0, 1])) == pytest.approx(0.5)
    assert ece(np.array([0.95, 0.95, 0.05, 0.05]), np.array([1, 1, 0, 0])) == pytest.approx(0.05)
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1, 4000)
    labels = (rng.random(4000) < sigmoid(0.5 * logits - 0.3)).astype(float)  # overconfident by 2x, biased
    a, b = fit_platt(2.0 * logits, labels)
    assert a == pytest.approx(0.25, abs=0.05) and b == pytest.approx(-0.3, abs=0.1)
    # a very overconfident network (logits 16x too large): a plain Newton step diverges here
    a, b = fit_platt(16.0 * logits, labels)
    assert a == pytest.approx(0.5 / 16, abs=0.01) and b == pytest.approx(-0.3, abs=0.1)


def test_validation_split_keeps_objects_whole():
    ids = np.array([f"o{i % 10}" for i in range(200)])
    tr, va = split_by_object(ids, 0.2, seed=3)
    assert set(ids[tr]).isdisjoint(set(ids[va])) and len(set(ids[va])) == 2


def test_another_init_seed_trains_another_model_on_the_same_split(tmp_path):
    """--init-seed: a second training of one model (its run-to-run spread) keeps the validation objects, so
    both are judged on the same ones; the weights differ; init_seed recorded, and the same seed repeats a run."""
    from safetensors.torch import load_file

    inputs = synthetic_inputs()
    cfg = ModelConfig(variant="tactile", **SMALL)
    runs = {}
    for name, init_seed in (("a", None), ("b", 7), ("c", 7)):
        train(inputs, cfg, TrainConfig(iterations=4, batch_size=8, checkpoint_every=4, init_seed=init_seed),
              tmp_path / name, progress=False)
        runs[name] = (checkpoint.read_meta(tmp_path / name), load_file(str(tmp_path / name / "model.safetensors")))
    (meta_a, w_a), (meta_b, w_b), (_, w_c) = runs["a"], runs["b"], runs["c"]
    assert meta_a["val_objects"] == meta_b["val_objects"] and meta_b["train"]["init_seed"] == 7
    assert any(not torch.equal(w_a[k], w_b[k]) for k in w_a)
    assert all(torch.equal(w_b[k], w_c[k]) for k in w_b)


def test_action_features_broadcast_over_candidates():
    f = action_features(np.zeros((7, 5)), [0.6, 0.0, 0.05, 0.0], np.zeros((7, 3)), 10.0)
    assert f.shape == (7, 13) and np.allclose(f[:, :12], 0) and np.allclose(f[:, 12], 0.5)


def test_resuming_a_finished_run_only_recalibrates(tmp_path):
    inputs = synthetic_inputs()
    cfg = ModelConfig(variant="tactile", **SMALL)
    train_cfg = TrainConfig(iterations=6, batch_size=8, checkpoint_every=6)
    first = train(inputs, cfg, train_cfg, tmp_path, progress=False)
    again = train(inputs, cfg, train_cfg, tmp_path, resume=True, progress=False)
    assert again["step"] == 6 and again["examples_per_s"] == first["examples_per_s"] > 0
    assert again["platt"] == pytest.approx(first["platt"])


def test_a_run_resumes_only_with_its_own_setup_and_keeps_its_origin(tmp_path):
    inputs = synthetic_inputs()
    cfg = ModelConfig(variant="tactile", **SMALL)
    schedule = TrainConfig(iterations=4, batch_size=8, lr=1e-3, lr_drop_at=3, checkpoint_every=2)
    train(inputs, cfg, schedule, tmp_path, progress=False, data={"dir": "a", "examples": 96})
    notes = checkpoint.read_meta(tmp_path)["initialisation"]
    meta = train(inputs, cfg, schedule, tmp_path, resume=True, progress=False, data={"dir": "a", "examples": 96})
    assert meta["step"] == 4 and checkpoint.read_meta(tmp_path)["initialisation"] == notes
    with pytest.raises(ValueError, match="another setup"):
        train(inputs, cfg, TrainConfig(iterations=8, batch_size=8, lr=1e-3, lr_drop_at=3, checkpoint_every=2),
              tmp_path, resume=True, progress=False, data={"dir": "a", "examples": 96})
    with pytest.raises(ValueError, match="data a"):
        train(inputs, cfg, schedule, tmp_path, resume=True, progress=False, data={"dir": "b", "examples": 96})


def test_training_writes_tensorboard_curves_and_the_calibration_image(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    inputs = synthetic_inputs()
    cfg = ModelConfig(variant="tactile_vision", **SMALL)
    schedule = TrainConfig(iterations=100, batch_size=8, lr=1e-3, lr_drop_at=60, checkpoint_every=50)
    train(inputs, cfg, schedule, tmp_path, progress=False)
    train(inputs, cfg, schedule, tmp_path, resume=True, progress=False)  # finished: recalibrated only

    events = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"images": 0}).Reload()
    curve = {tag: [(e.step, e.value) for e in events.Scalars(f"train/{tag}")] for tag in ("loss", "accuracy",
                                                                                           "learning_rate")}
    assert [s for s, _ in curve["loss"]] == [50, 100]  # the resumed session purged nothing it re-logged twice
    assert all(np.isfinite(v) and v > 0 for _, v in curve["loss"])
    assert all(0 <= v <= 1 for _, v in curve["accuracy"])
    assert np.allclose([v for _, v in curve["learning_rate"]], [1e-3, 1e-4])
    assert 0 <= events.Scalars("val_calibrated/accuracy")[-1].value <= 1
    assert events.Images("validation/reliability")[-1].encoded_image_string.startswith(b"\x89PNG")


def test_shipped_models_from_before_the_front_crop_load_with_the_whole_frame_view():
    """Their model.json names no front_view: they saw the whole frame squashed, and still do."""
    import json
    from pathlib import Path

    for run in ("tactile_vision_small", "vision_small"):
        folder = Path(__file__).resolve().parents[1] / "models" / run
        assert "front_view" not in json.loads((folder / "model.json").read_text())["config"]
        model, _ = checkpoint.load(folder)
        assert model.config.front_view == "full"
    assert ModelConfig().front_view == "object"  # what vtg train makes now


def test_a_run_from_before_the_front_view_resumes(tmp_path):
    """Its model.json names no front_view: it is the whole-frame model it was, not another setup."""
    import json
    import shutil
    from dataclasses import asdict
    from pathlib import Path

    from visuotactile_grasp.model.train import check_resumable

    run = tmp_path / "run"
    shutil.copytree(Path(__file__).resolve().parents[1] / "models" / "vision_small", run)
    meta = json.loads((run / "model.json").read_text())
    cfg = TrainConfig(**{k: v for k, v in meta["train"].items() if k in asdict(TrainConfig())})
    check_resumable(run, checkpoint.model_config(meta), cfg, None)
    with pytest.raises(ValueError, match="another setup"):
        check_resumable(run, ModelConfig(**{**checkpoint.model_config(meta).to_dict(), "front_view": "object"}),
                        cfg, None)
