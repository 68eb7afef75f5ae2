"""The object library: stable ids, each object generated from its own seed.

Ids: train_000..train_064 (65 training objects), easy_00..easy_10 and
hard_00..hard_10 (22 unseen test objects). The same id always yields the same
object, so datasets can be split by object.

Two libraries share the ids. v1 (the default; what the shipped datasets and models used) draws every
parameter from the id's seed. v2 (opt-in, CellConfig.objects) keeps v1's geometry and centre of mass
and adds a material class drawn from a second stream of the id (so v1 stays as it was): the material
sets friction, compliance, colour, a mass scale and, for fragile classes, a crush force above which
the object collapses between the fingers for good (sim/mujoco_cell.py). `vtg objects --library v2`
prints the table (docs/objects_v2.md).
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace

import numpy as np

N_TRAIN, N_EASY, N_HARD = 65, 11, 11


SHAPES = ("cylinder", "box", "sphere", "capsule", "bottle", "irregular")
LIBRARIES = ("v1", "v2")
DEFAULT_LIBRARY = "v2"  # the simulated world's objects by default (sim/cell.py: DEFAULT_GEL_MODEL beside it)


@dataclass(frozen=True)
class Material:
    """A v2 material class: ranges each object of the class draws its values from."""
    name: str
    weight: tuple[float, float]  # how often it is drawn: (train and easy objects, hard objects)
    friction: tuple[float, float]
    compliance: tuple[float, float]
    mass_scale: tuple[float, float]  # times v1's mass (a foam ball weighs less than a metal one)
    color: tuple[float, float, float] | None  # base colour (each object varies it); None: v1's colour
    crush_force: tuple[float, float] | None = None  # N; None: nothing the gripper can do crushes it
    crushed_scale: tuple[float, float] = (1.0, 1.0)  # width left once collapsed, fraction


# Fragile classes crush within the collection's 5-40 N, some below the paper's 10 N baseline.
MATERIALS = (
    Material("glass", (0.10, 0.20), (0.25, 0.45), (0.0, 0.02), (1.0, 1.5), (0.75, 0.85, 0.90)),
    Material("metal", (0.10, 0.15), (0.30, 0.55), (0.0, 0.02), (1.0, 1.5), (0.60, 0.60, 0.62)),
    Material("hard_plastic", (0.30, 0.10), (0.45, 0.90), (0.0, 0.15), (0.8, 1.2), None),
    Material("thin_wall", (0.15, 0.20), (0.50, 0.80), (0.05, 0.2), (0.2, 0.5), (0.95, 0.93, 0.88), (8.0, 20.0),
             (0.40, 0.60)),
    Material("fruit", (0.10, 0.10), (0.60, 1.00), (0.3, 0.6), (0.6, 1.2), (0.85, 0.45, 0.15), (12.0, 25.0),
             (0.55, 0.75)),
    Material("foam", (0.10, 0.15), (0.80, 1.10), (0.5, 0.8), (0.1, 0.3), (0.95, 0.90, 0.55), (6.0, 14.0),
             (0.50, 0.70)),
    Material("cardboard", (0.15, 0.10), (0.55, 0.80), (0.05, 0.2), (0.3, 0.6), (0.60, 0.45, 0.30), (15.0, 30.0),
             (0.50, 0.70)),
)


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
    material: str = ""  # v2 material class ("" in v1)
    crush_force: float = math.inf  # N of squeeze above which it collapses for good (v2 fragile classes)
    crushed_scale: float = 1.0  # its width once collapsed, as a fraction of the intact width

    @property
    def fragile(self) -> bool:
        return math.isfinite(self.crush_force)

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


def make_object(object_id: str, library: str = "v1") -> ObjectSpec:
    """The object object_id of library v1 or v2 (a pure function of both)."""
    if library not in LIBRARIES:
        raise ValueError(f"object library must be one of {LIBRARIES}, got {library!r}")
    spec = _make_v1(object_id)
    return spec if library == "v1" else _with_material(spec)


def _with_material(spec: ObjectSpec) -> ObjectSpec:
    """v2: v1's geometry with a material drawn from the id's own second stream (v1's draws untouched)."""
    rng = np.random.default_rng(zlib.crc32(f"{spec.object_id}/v2".encode()))
    weights = np.array([m.weight[1 if spec.split == "hard" else 0] for m in MATERIALS])
    m = MATERIALS[int(rng.choice(len(MATERIALS), p=weights / weights.sum()))]
    # every draw is made whatever the class, so each value's stream position is fixed
    friction, compliance, mass_scale = (float(rng.uniform(*r)) for r in (m.friction, m.compliance, m.mass_scale))
    jitter = rng.uniform(-0.08, 0.08, size=3)
    crush, crushed = float(rng.uniform(0.0, 1.0)), float(rng.uniform(0.0, 1.0))
    color = spec.color if m.color is None else tuple(float(c) for c in np.clip(np.add(m.color, jitter), 0.05, 0.98))
    crush_force = math.inf if m.crush_force is None else m.crush_force[0] + crush * np.ptp(m.crush_force)
    crushed_scale = m.crushed_scale[0] + crushed * (m.crushed_scale[1] - m.crushed_scale[0])
    return replace(spec, friction=friction, compliance=compliance, mass=spec.mass * mass_scale, color=color,
                   material=m.name, crush_force=float(crush_force), crushed_scale=float(crushed_scale))


def _make_v1(object_id: str) -> ObjectSpec:
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
