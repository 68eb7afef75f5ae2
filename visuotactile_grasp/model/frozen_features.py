"""Training on a CPU with frozen ImageNet stacks: each image's stack features computed once.

Fine-tuning three ImageNet stacks for the paper's 9,000 iterations does not fit a 2-core machine;
with the stacks frozen at their pretrained weights, each image goes through its stack once (centre
crop, the stacks in eval mode, as the planner runs them) and only the action MLP and the fusion
layers (the paper's widths) train on the cached features. The trained model is the whole network,
stacks included, so the planner, evaluation and replay use it unchanged. What is lost against
fine-tuning: the stacks do not adapt to gel images or the cell, and there is no random-crop
augmentation (the planner's centre crop is what the heads see). TrainConfig.frozen_stacks says
which was done, in model.json.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch

from .inputs import Inputs, to_tensor_images

# (stack, image) -> its feature row, for the life of the process: cross-validation's folds and variants
# share every image's features (a paper-scale dataset: 54,000 images x 1,280 floats, about 280 MB)
_memo: dict = {}
BATCH = 64


def freeze_stacks(model) -> None:
    for stack in model.image_stacks():
        stack.requires_grad_(False)
        stack.eval()


def _stack_key(stack, config, diff: bool) -> bytes:
    """Which stack: its architecture, input and crop, and every weight and buffer (BatchNorm statistics)."""
    h = hashlib.sha256(f"{config.backbone}/{config.image_size}/{diff}".encode())
    for name, tensor in stack.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.digest()


def _image_key(stack_key: bytes, image: np.ndarray) -> bytes:
    return hashlib.sha256(stack_key + np.ascontiguousarray(image).tobytes()).digest()


@torch.inference_mode()
def _features(stack, images: np.ndarray, diff: bool, config, device, bar) -> torch.Tensor:
    skey = _stack_key(stack, config, diff)
    keys = [_image_key(skey, img) for img in images]
    missing = [i for i, k in enumerate(keys) if k not in _memo]
    for start in range(0, len(missing), BATCH):
        rows = missing[start:start + BATCH]
        x = to_tensor_images(images[rows], config.image_size, None, diff=diff).to(device)
        for i, f in zip(rows, stack(x).float().cpu(), strict=True):
            _memo[keys[i]] = f
        bar.update(len(rows))
    return torch.stack([_memo[k] for k in keys]) if keys else torch.zeros(0, 0)


def stack_feature_table(model, inputs: Inputs, device, progress: bool = False) -> torch.Tensor:
    """(N, image_dim) float32 on device: every example's stack features, as model.stack_features gives
    them for centre crops with the stacks in eval mode."""
    from tqdm import tqdm

    cfg = model.config
    jobs = ([(model.vision, inputs.rgb, False)] if cfg.uses_vision else []) + \
        ([(model.tactile, inputs.gel_left, True), (model.tactile, inputs.gel_right, True)] if cfg.uses_tactile else [])
    was_training = [s.training for s in model.image_stacks()]
    for s in model.image_stacks():
        s.eval()
    try:
        with tqdm(total=len(jobs) * len(inputs), desc="stack features (each image once)", unit="img",
                  disable=not progress) as bar:
            parts = [_features(stack, images, diff, cfg, device, bar) for stack, images, diff in jobs]
    finally:
        for s, mode in zip(model.image_stacks(), was_training, strict=True):
            s.train(mode)
    return torch.cat(parts, dim=1).to(device)
