"""Training with frozen stacks (model/frozen_features.py): the stacks keep their weights, the heads
learn, and the cached features are exactly what the planner's path computes from the images."""
from dataclasses import replace

import numpy as np
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
    frozen_features._memo.clear()
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
