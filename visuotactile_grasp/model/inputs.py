"""From trial records to network inputs: the front view, gel difference images, scaled action features.

The whole dataset is decoded once into uint8 arrays at the training resolution and cached beside
it (DIR/cache/inputs_<side>_<key>/, one .npy per field), since decoding PNGs every iteration would
starve a CPU run. The image arrays are memory-mapped from there and subsets of them are row views,
not copies: a paper-scale dataset's images are 11 GB on a 24 GB machine, and cross-validation holds
a fold's training, validation and test parts at once.
The front image is cropped around the grasp point with the dataset's recorded camera model
(FrontView; perception/front_view.py), or squashed whole for models trained before the crop.
"""
from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..data.store import DatasetError, DatasetReader
from ..perception.camera import CameraModel
from ..perception.front_view import FRONT_VIEW_EXTENT_M, FRONT_VIEWS, object_view
from ..perception.tactile import difference_image

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
CACHE_VERSION = 3  # 2: the front view (object crop or full frame) is part of the key; 3: .npy files, mapped


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


@dataclass(frozen=True)
class FrontView:
    """How a model sees the front camera: a crop extent_m wide around the grasp point (view "object",
    which needs the camera's model) or the whole frame squashed to a square (view "full")."""
    view: str = "object"
    camera: CameraModel | None = None
    extent_m: float = FRONT_VIEW_EXTENT_M

    def __post_init__(self) -> None:
        if self.view not in FRONT_VIEWS:
            raise ValueError(f"front view must be one of {FRONT_VIEWS}, got {self.view!r}")
        if self.view == "object" and self.camera is None:
            raise ValueError("the object view crops around the grasp point: it needs the front camera's model")

    @classmethod
    def of(cls, model_config, camera: CameraModel | None) -> FrontView:
        return cls(model_config.front_view, camera if model_config.front_view == "object" else None,
                   model_config.front_extent_m)

    def image(self, rgb: np.ndarray, ee_pose, side: int) -> np.ndarray:
        """side x side x 3 uint8 for the network; ee_pose: x, y, z (, yaw) of the grasp in the base frame."""
        if self.view == "full":
            return cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA)
        return object_view(rgb, np.asarray(ee_pose, float)[:3], self.camera, side, self.extent_m)

    def key(self) -> str:
        return f"{self.view}/{self.extent_m}/{self.camera.to_dict() if self.camera else ''}"


def state_images(rgb: np.ndarray, gel_left_before, gel_left_during, gel_right_before, gel_right_during,
                 side: int, front: FrontView, ee_pose) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(front view, left diff, right diff), each side x side x 3 uint8."""
    def fit(img):
        return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)
    return (front.image(rgb, ee_pose, side), fit(difference_image(gel_left_during, gel_left_before)),
            fit(difference_image(gel_right_during, gel_right_before)))


def dataset_camera(reader: DatasetReader) -> CameraModel:
    """The front camera that took a dataset's images: dataset.json's info "front_camera". Datasets that
    `vtg collect` made before it recorded the camera (their info names "trials") were simulated, and the
    simulated Kinect is fixed: its model at the recorded image size. Any other dataset without it is refused."""
    recorded = reader.info.get("front_camera")
    if recorded is not None:
        return CameraModel.from_dict(recorded)
    if "trials" not in reader.info:
        raise DatasetError(f"{reader.root}: dataset.json records no front camera model (info 'front_camera'), which "
                         "the object view needs; add it (perception/camera.CameraModel.to_dict) or train with "
                         "--front-view full")
    if not len(reader):
        raise DatasetError(f"{reader.root} has no records and no front camera model")
    from ..sim.cell import front_camera_model

    h, w = reader.load(0).images["rgb_before"].shape[:2]
    return front_camera_model(w, h)


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
        """The examples where mask (boolean or indices); the images as views of the same rows."""
        mask = np.asarray(mask)
        if mask.dtype == bool and mask.shape != (len(self),):
            raise IndexError(f"a mask of {mask.shape} for {len(self)} examples")
        rows = np.flatnonzero(mask) if mask.dtype == bool else np.where(mask < 0, mask + len(self), mask)
        return Inputs(*(RowView.of(getattr(self, f), rows) if f in IMAGE_FIELDS else getattr(self, f)[rows]
                        for f in self.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.labels)


IMAGE_FIELDS = ("rgb", "gel_left", "gel_right")


class RowView:
    """Rows of one or more image arrays (N_i, S, S, 3) taken as one, read only when indexed: what
    Inputs.subset gives for images, and load_datasets for several datasets. Indexing, len, iteration
    and shape behave as those of the copied, concatenated array."""

    def __init__(self, parts: tuple, rows: np.ndarray) -> None:
        self.parts = tuple(parts)
        self._starts = np.cumsum([0] + [len(p) for p in self.parts])
        rows = np.asarray(rows, np.int64)
        rows = np.where(rows < 0, rows + self._starts[-1], rows)  # as an array's negative indices
        if rows.size and (rows.min() < 0 or rows.max() >= self._starts[-1]):
            raise IndexError(f"rows outside the {self._starts[-1]} of the arrays")
        self.rows = rows

    @classmethod
    def of(cls, images, rows: np.ndarray) -> RowView:
        return cls(images.parts, images.rows[rows]) if isinstance(images, RowView) else cls((images,), rows)

    @classmethod
    def joined(cls, arrays) -> RowView:
        """The arrays (or views) one after another."""
        views = [a if isinstance(a, RowView) else cls((a,), np.arange(len(a))) for a in arrays]
        offsets = np.cumsum([0] + [v._starts[-1] for v in views])  # rows of each view's parts before it
        return cls(tuple(p for v in views for p in v.parts),
                   np.concatenate([v.rows + off for v, off in zip(views, offsets, strict=False)]))

    def _read(self, rows) -> np.ndarray:
        if len(self.parts) == 1:
            return self.parts[0][rows]
        rows = np.asarray(rows)
        part = np.searchsorted(self._starts, rows, side="right") - 1
        if rows.ndim == 0:
            return self.parts[int(part)][int(rows) - self._starts[part]]
        out = np.empty((len(rows), *self.parts[0].shape[1:]), self.parts[0].dtype)
        for k in np.unique(part):
            mine = part == k
            out[mine] = self.parts[k][rows[mine] - self._starts[k]]
        return out

    def __getitem__(self, index) -> np.ndarray:
        return self._read(self.rows[index])

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return (self._read(r) for r in self.rows)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self._read(self.rows)
        return out if dtype is None else out.astype(dtype)

    @property
    def shape(self) -> tuple:
        return (len(self.rows), *self.parts[0].shape[1:])

    @property
    def dtype(self):
        return self.parts[0].dtype


DECODE_CHUNK = 32  # records per decoding task: few round trips, a smooth progress bar


def _decode_chunk(task):
    """(start, rows of records start..stop-1): one task of load_inputs' fan-out."""
    root, start, stop, side, front = task
    reader = DatasetReader(root)
    return start, [_one(reader, i, side, front) for i in range(start, stop)]


def _one(reader: DatasetReader, i: int, side: int, front: FrontView):
    r = reader.load(i)
    im = r.images
    rgb, gl, gr = state_images(im["rgb_before"], im["gel_left_before"], im["gel_left_during"],
                               im["gel_right_before"], im["gel_right_during"], side, front, r.ee_pose)
    feats = action_features(r.action, r.ee_pose, r.motion_gripper_frame, r.grip_force)
    return rgb, gl, gr, feats, float(r.success), r.object_id, r.kind


def load_inputs(root: str | Path, model_config, workers: int = 2, progress: bool = True) -> Inputs:
    """A dataset as the inputs of a model of model_config (its crop size and front view)."""
    root = Path(root)
    reader = DatasetReader(root)
    side = load_side(model_config.image_size)
    front = FrontView.of(model_config, dataset_camera(reader) if model_config.front_view == "object" else None)
    key = hashlib.sha256(("".join(e["sha256"] for e in reader.entries)
                          + f"{side}/{CACHE_VERSION}/{front.key()}").encode())
    cache = root / "cache" / f"inputs_{side}_{key.hexdigest()[:12]}"
    if not (cache / "done").exists():
        import fcntl

        cache.parent.mkdir(exist_ok=True)
        # one decoder at a time (two trainings started on a new dataset): the second waits, then reads
        with open(cache.parent / f"{cache.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (cache / "done").exists():
                _decode_into(cache, root, len(reader), side, front, workers, progress)
    return Inputs(*(np.load(cache / f"{f}.npy", mmap_mode="r" if f in IMAGE_FIELDS else None, allow_pickle=False)
                    for f in Inputs.__dataclass_fields__))


def _decode_into(cache: Path, root: Path, n: int, side: int, front: FrontView, workers: int, progress: bool) -> None:
    """Every record decoded straight into the cache's image files (mapped, so the machine needs no
    memory for them), the small fields after; `done` is written last, so a cut run decodes again."""
    import shutil
    from contextlib import closing

    from tqdm import tqdm

    from ..scale.ray_pool import map_unordered

    for stale in cache.parent.glob("inputs_*.npz"):  # version 2's caches; other keys' (another front view) stay
        stale.unlink()
    tmp = cache.with_name(cache.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    tmp.mkdir(parents=True)
    images = {f: np.lib.format.open_memmap(tmp / f"{f}.npy", "w+", np.uint8, (n, side, side, 3)) for f in IMAGE_FIELDS}
    for f in IMAGE_FIELDS:  # the space taken now: a full disk is an OSError here, not a SIGBUS mid-decode
        with open(tmp / f"{f}.npy", "r+b") as fd:
            os.posix_fallocate(fd.fileno(), 0, os.fstat(fd.fileno()).st_size)
    small: list = [None] * n
    chunks = [(str(root), start, min(start + DECODE_CHUNK, n), side, front) for start in range(0, n, DECODE_CHUNK)]
    with closing(map_unordered(_decode_chunk, chunks, workers)) as decoded, \
            tqdm(total=n, desc="decoding records", disable=not progress) as bar:
        for start, part in decoded:
            for i, (rgb, gl, gr, *rest) in enumerate(part, start=start):
                images["rgb"][i], images["gel_left"][i], images["gel_right"][i] = rgb, gl, gr
                small[i] = rest
            bar.update(len(part))
    for array in images.values():
        array.flush()
    del images
    feats, labels, objects, kinds = zip(*small, strict=True)
    for f, value in (("actions", np.stack(feats).astype(np.float32)), ("labels", np.array(labels, np.float32)),
                     ("object_ids", np.array(objects)), ("kinds", np.array(kinds))):
        np.save(tmp / f"{f}.npy", value, allow_pickle=False)
    (tmp / "done").write_text("")
    tmp.replace(cache)


def load_datasets(roots, model_config, workers: int = 2, progress: bool = True) -> Inputs:
    """Several datasets as one set of inputs (e.g. random and on-policy collection, as the paper retrained
    on both); each is decoded and cached on its own, with its own camera. One root: load_inputs."""
    roots = [roots] if isinstance(roots, (str, Path)) else list(roots)
    if not roots:
        raise ValueError("no dataset given")
    parts = [load_inputs(r, model_config, workers, progress) for r in roots]
    if len(parts) == 1:
        return parts[0]
    # the images stay in their files (one view over all), the small fields are joined
    return Inputs(*(RowView.joined([getattr(p, f) for p in parts]) if f in IMAGE_FIELDS
                    else np.concatenate([getattr(p, f) for p in parts]) for f in Inputs.__dataclass_fields__))


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


def state_tensors(rgb: np.ndarray, diff_left: np.ndarray, diff_right: np.ndarray, crop: int, front: FrontView,
                  ee_pose):
    """One state for the planner: (front view, left diff, right diff) tensors, 1 x 3 x crop x crop each;
    diffs are GelSight after-minus-before images as the GelSight node publishes them (centred on 128);
    ee_pose: the grasp the front view is cropped around."""
    side = load_side(crop)

    def one(small, diff):
        return to_tensor_images(small[None], crop, None, diff=diff)

    def fit(img):
        return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)
    return one(front.image(rgb, ee_pose, side), False), one(fit(diff_left), True), one(fit(diff_right), True)
