"""From trial records to network inputs: resized images, gel difference images, scaled action features.

The whole dataset is decoded once into uint8 arrays at the training resolution and cached beside
it (DIR/cache/inputs_<side>.npz), since decoding PNGs every iteration would starve a CPU run.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..data.store import DatasetReader
from ..perception.tactile import difference_image

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
CACHE_VERSION = 1


def load_side(crop: int) -> int:
    """Images are resized to this side before random crops of `crop` (256 for 224, as in the paper)."""
    return int(round(crop * 256 / 224))


def action_features(action, ee_pose, motion_gripper_frame, grip_force) -> np.ndarray:
    """The action-MLP input, each part scaled to about unit range; works on (…, k) arrays."""
    a = np.asarray(action, np.float32)
    pose = np.asarray(ee_pose, np.float32)
    motion = np.asarray(motion_gripper_frame, np.float32)
    force = np.asarray(grip_force, np.float32)[..., None]
    pose = np.broadcast_to(pose, a.shape[:-1] + (4,))
    return np.concatenate([a[..., :3] / 0.01, a[..., 3:4] / math.radians(17.0), a[..., 4:5] / 10.0,
                           (pose[..., :3] - np.array([0.6, 0.0, 0.05], np.float32)) / 0.1, pose[..., 3:4] / 1.5,
                           motion / 0.01, np.broadcast_to(force, a.shape[:-1] + (1,)) / 20.0], axis=-1)


def pose_and_force(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The end-effector pose (..., 4) and grip force (...) that action_features encoded (its inverse
    for those parts; used to build other actions from the same state)."""
    f = np.asarray(features, np.float64)
    pose = np.concatenate([f[..., 5:8] * 0.1 + np.array([0.6, 0.0, 0.05]), f[..., 8:9] * 1.5], axis=-1)
    return pose, f[..., 12] * 20.0


def state_images(rgb: np.ndarray, gel_left_before, gel_left_during, gel_right_before, gel_right_during,
                 side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(front RGB, left diff, right diff), each side x side x 3 uint8."""
    def fit(img):
        return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)
    return (fit(rgb), fit(difference_image(gel_left_during, gel_left_before)),
            fit(difference_image(gel_right_during, gel_right_before)))


@dataclass
class Inputs:
    rgb: np.ndarray  # N, S, S, 3 uint8
    gel_left: np.ndarray  # N, S, S, 3 uint8 (after - before, centred on 128)
    gel_right: np.ndarray
    actions: np.ndarray  # N, 13 float32
    labels: np.ndarray  # N float32
    object_ids: np.ndarray  # N str
    kinds: np.ndarray  # N str

    def subset(self, mask) -> Inputs:
        return Inputs(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.labels)


DECODE_CHUNK = 32  # records per decoding task: few round trips, a smooth progress bar


def _decode_chunk(task):
    """(start, rows of records start..stop-1): one task of load_inputs' fan-out."""
    root, start, stop, side = task
    reader = DatasetReader(root)
    return start, [_one(reader, i, side) for i in range(start, stop)]


def _one(reader: DatasetReader, i: int, side: int):
    r = reader.load(i)
    im = r.images
    rgb, gl, gr = state_images(im["rgb_before"], im["gel_left_before"], im["gel_left_during"],
                               im["gel_right_before"], im["gel_right_during"], side)
    feats = action_features(r.action, r.ee_pose, r.motion_gripper_frame, r.grip_force)
    return rgb, gl, gr, feats, float(r.success), r.object_id, r.kind


def load_inputs(root: str | Path, crop: int, workers: int = 2, progress: bool = True) -> Inputs:
    root = Path(root)
    reader = DatasetReader(root)
    side = load_side(crop)
    key = hashlib.sha256(("".join(e["sha256"] for e in reader.entries) + f"{side}/{CACHE_VERSION}").encode())
    cache = root / "cache" / f"inputs_{side}_{key.hexdigest()[:12]}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            return Inputs(*(z[f] for f in Inputs.__dataclass_fields__))
    from contextlib import closing

    from tqdm import tqdm

    from ..scale.ray_pool import map_unordered

    n, rows = len(reader), [None] * len(reader)
    chunks = [(str(root), start, min(start + DECODE_CHUNK, n), side) for start in range(0, n, DECODE_CHUNK)]
    with closing(map_unordered(_decode_chunk, chunks, workers)) as decoded, \
            tqdm(total=n, desc="decoding records", disable=not progress) as bar:
        for start, part in decoded:
            rows[start:start + len(part)] = part
            bar.update(len(part))
    cols = list(zip(*rows, strict=True))
    inputs = Inputs(np.stack(cols[0]), np.stack(cols[1]), np.stack(cols[2]), np.stack(cols[3]).astype(np.float32),
                    np.array(cols[4], np.float32), np.array(cols[5]), np.array(cols[6]))
    cache.parent.mkdir(exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, **{f: getattr(inputs, f) for f in Inputs.__dataclass_fields__})
    tmp.replace(cache)
    return inputs


def to_tensor_images(batch: np.ndarray, crop: int, rng: np.random.Generator | None, diff: bool):
    """uint8 N,S,S,3 -> float N,3,crop,crop; random crops when rng is given, centre crops otherwise."""
    import torch

    n, s = batch.shape[0], batch.shape[1]
    if rng is None:
        o = (s - crop) // 2
        out = batch[:, o:o + crop, o:o + crop]
    else:
        ys, xs = rng.integers(0, s - crop + 1, n), rng.integers(0, s - crop + 1, n)
        out = np.stack([b[y:y + crop, x:x + crop] for b, y, x in zip(batch, ys, xs, strict=True)])
    x = out.astype(np.float32) / 255.0
    x = (x - 0.5) / 0.25 if diff else (x - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def state_tensors(rgb: np.ndarray, diff_left: np.ndarray, diff_right: np.ndarray, crop: int):
    """One state for the planner: (front RGB, left diff, right diff) tensors, 1 x 3 x crop x crop each;
    diffs are GelSight after-minus-before images as the GelSight node publishes them (centred on 128)."""
    side = load_side(crop)

    def one(img, diff):
        small = cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)[None]
        return to_tensor_images(small, crop, None, diff=diff)
    return one(rgb, False), one(diff_left, True), one(diff_right, True)
