"""The object library: stable ids, each object generated from its own seed.

Ids: train_000..train_064 (65 training objects), easy_00..easy_10 and
hard_00..hard_10 (22 unseen test objects). The same id always yields the same
object, so datasets can be split by object.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

N_TRAIN, N_EASY, N_HARD = 65, 11, 11


SHAPES = ("cylinder", "box", "sphere", "capsule", "bottle", "irregular")


@dataclass(frozen=True)
class ObjectSpec:
    object_id: str
    radius: float  # m, of the bounding vertical cylinder (what the cylinder fit sees)
    height: float  # m
    mass: float  # kg
    com_height: float  # centre of mass above the base, m
    friction: float
    compliance: float  # 0 rigid .. 1 very soft
    color: tuple[float, float, float]
    shape: str = "cylinder"
    aspect: float = 1.0  # box: depth/width ratio; irregular: size of the off-axis lobe

    @property
    def split(self) -> str:
        return self.object_id.split("_")[0]


def object_ids(split: str = "all") -> list[str]:
    train = [f"train_{i:03d}" for i in range(N_TRAIN)]
    easy = [f"easy_{i:02d}" for i in range(N_EASY)]
    hard = [f"hard_{i:02d}" for i in range(N_HARD)]
    table = {"train": train, "easy": easy, "hard": hard, "test": easy + hard, "all": train + easy + hard}
    if split not in table:
        raise ValueError(f"unknown object split {split!r}; expected one of {sorted(table)}")
    return table[split]


def make_object(object_id: str) -> ObjectSpec:
    if object_id not in set(object_ids("all")):
        raise ValueError(f"unknown object id {object_id!r} (expected train_000..train_{N_TRAIN - 1:03d}, "
                         f"easy_00..easy_{N_EASY - 1:02d}, hard_00..hard_{N_HARD - 1:02d})")
    rng = np.random.default_rng(zlib.crc32(object_id.encode()))
    hard = object_id.startswith("hard")
    radius = rng.uniform(0.012, 0.025) if hard else rng.uniform(0.02, 0.04)
    height = rng.uniform(0.06, 0.22)
    mass = rng.uniform(0.05, 0.9) * (1.5 if hard else 1.0)
    # hard objects are top-heavy and slippery more often
    com_frac = rng.uniform(0.55, 0.85) if hard else rng.uniform(0.3, 0.6)
    friction = rng.uniform(0.25, 0.6) if hard else rng.uniform(0.5, 1.1)
    compliance = rng.uniform(0.0, 0.8) if hard else rng.uniform(0.0, 0.3)
    color = tuple(float(c) for c in rng.uniform(0.15, 0.95, size=3))
    weights = [0.3, 0.2, 0.1, 0.15, 0.15, 0.1] if not hard else [0.15, 0.15, 0.1, 0.15, 0.2, 0.25]
    shape = SHAPES[int(rng.choice(len(SHAPES), p=weights))]
    aspect = float(rng.uniform(0.5, 1.0))
    if shape == "sphere":
        height = 2 * radius  # a ball: as tall as wide
        com_frac = 0.5
    return ObjectSpec(object_id, float(radius), float(height), float(mass), float(com_frac * height),
                      float(friction), float(compliance), color, shape, aspect)  # type: ignore[arg-type]
