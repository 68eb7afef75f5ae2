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

import functools
import hashlib
import os
from contextlib import contextmanager
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from .inputs import Inputs, to_tensor_images

# (stack, image) -> its feature row, for the life of the process: cross-validation's folds and variants
# share every image's features (a paper-scale dataset: 58,000 images x 1,280 floats, about 300 MB)
_memo: dict = {}
BATCH = 64
# and on disk, within kept_in(folder): one file per stack (its weights' digest), so a second
# `vtg train` or `vtg crossval` on the same data computes nothing again (Lite0 on 2 CPU cores: ~20 img/s)
_disk: dict = {"folder": None, "rows": {}}  # rows: stack key -> {memo key: image digest} in its file
SAVE_EVERY = 50  # batches: an interrupted run keeps most of what it computed
FEATURE_VERSION = 1  # raise it when what a feature row means changes outside the files _code_digest reads


@contextmanager
def kept_in(folder: str | Path):
    """Within: the features of every stack are kept in folder (DIR/cache of the dataset, say) as well as
    in memory, and read from there first. The keys are digests of the stack (its weights, and the code
    that turns an image into its features) and of each image, so the folder may hold any dataset's
    features and a changed stack, image or preprocessing is not served an old row. Only a cache: a file
    that cannot be read is computed again, and one that cannot be written is said once and not kept."""
    before = dict(_disk)
    _disk.update(folder=Path(folder), rows={})
    try:
        yield
    finally:
        _disk.update(before)


def forget() -> None:
    """Empty the memory cache (benchmarks and tests; the files stay)."""
    _memo.clear()
    _disk["rows"] = {}


def _disk_file(stack_key: bytes) -> Path:
    return _disk["folder"] / f"stack_features_{stack_key.hex()[:16]}.npz"


def _load_from_disk(stack_key: bytes) -> None:
    if _disk["folder"] is None or stack_key in _disk["rows"]:
        return
    rows = _disk["rows"][stack_key] = {}
    path = _disk_file(stack_key)
    if not path.exists():
        return
    try:
        with np.load(path, allow_pickle=False) as z:
            if z["stack_key"].tobytes() != stack_key:  # the name holds 64 bits of it only
                raise ValueError("another stack's features")
            digests, features = z["image_digests"], torch.from_numpy(z["features"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # cut short, or not ours: compute again
        warnings.warn(f"{path}: not used ({exc}); its features are computed again", stacklevel=2)
        return
    for digest, row in zip(digests, features, strict=True):
        key = _image_key(stack_key, digest.tobytes())
        _memo.setdefault(key, row)
        rows[key] = digest.tobytes()


def _save_to_disk(stack_key: bytes) -> None:
    """Every row of this stack's file and those computed since, atomically (a cut run leaves the old file)."""
    rows = _disk["rows"].get(stack_key) if _disk["folder"] is not None else None
    if not rows:
        return
    path = _disk_file(stack_key)
    keys = [k for k in rows if k in _memo]  # a row forgotten since (forget) is not written
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")  # DDP ranks may write the same stack's file
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.savez(f, stack_key=np.frombuffer(stack_key, np.uint8),
                     image_digests=np.frombuffer(b"".join(rows[k] for k in keys), np.uint8).reshape(-1, 32),
                     features=torch.stack([_memo[k] for k in keys]).numpy())
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:  # a read-only dataset folder or a full disk: training goes on without the cache
        warnings.warn(f"stack features not kept in {_disk['folder']}: {exc}", stacklevel=2)
        _disk["folder"] = None
        tmp.unlink(missing_ok=True)


def freeze_stacks(model) -> None:
    for stack in model.image_stacks():
        stack.requires_grad_(False)
        stack.eval()


@functools.cache
def _code_digest() -> bytes:
    """The code between an image and its features: the preprocessing (inputs.py: normalisation, crop)
    and the stacks (network.py, efficientnet_lite.py); a change to either makes every row a new one.
    Read once per process, when this module is imported (with those): the files are what this process runs,
    not what an editor has made of them since (a run of hours keyed its rows three ways otherwise)."""
    from . import efficientnet_lite, inputs, network

    h = hashlib.sha256(f"features/{FEATURE_VERSION}".encode())
    for module in (inputs, network, efficientnet_lite):
        h.update(Path(module.__file__).read_bytes())
    return h.digest()


def _stack_key(stack, config, diff: bool) -> bytes:
    """Which stack: the code, its architecture, input and crop, and every weight and buffer (BatchNorm statistics)."""
    h = hashlib.sha256(_code_digest() + f"{config.backbone}/{config.image_size}/{diff}".encode())
    for name, tensor in stack.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.digest()


def _image_digest(image: np.ndarray) -> bytes:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).digest()


def _image_key(stack_key: bytes, image_digest: bytes) -> bytes:
    return hashlib.sha256(stack_key + image_digest).digest()


@torch.inference_mode()
def _features(stack, images: np.ndarray, diff: bool, config, device, bar) -> torch.Tensor:
    skey = _stack_key(stack, config, diff)
    _load_from_disk(skey)
    digests = [_image_digest(img) for img in images]
    keys = [_image_key(skey, d) for d in digests]
    missing = [i for i, k in enumerate(keys) if k not in _memo]
    bar.update(len(keys) - len(missing))
    on_disk = _disk["rows"].get(skey) if _disk["folder"] is not None else None
    for n, start in enumerate(range(0, len(missing), BATCH), start=1):
        rows = missing[start:start + BATCH]
        x = to_tensor_images(images[rows], config.image_size, None, diff=diff).to(device)
        for i, f in zip(rows, stack(x).float().cpu(), strict=True):
            _memo[keys[i]] = f
            if on_disk is not None:
                on_disk[keys[i]] = digests[i]
        bar.update(len(rows))
        if n % SAVE_EVERY == 0 or start + BATCH >= len(missing):
            _save_to_disk(skey)
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


_code_digest()  # now, at import: the modules it reads are imported with it (network, efficientnet_lite, inputs)
