"""Random streams keyed on what an episode depends on (seed, object, attempt), one per consumer.

numpy's SeedSequence pads entropy with zeros, so default_rng([s, t]) and default_rng([s, t, 0]) are
the same stream: a trial's grasp plan drawn from [seed, trial] repeated the object placement drawn
from [seed, trial, 0] (the offset followed the object's position), and an evaluation's initial grasp
drawn from [*key, 1] repeated the left gel's noise. Every consumer now has its own non-zero label.
"""
from __future__ import annotations

import zlib

import numpy as np

STREAMS = {"placement": 1, "gel_left": 2, "gel_right": 3, "grasp_plan": 4, "attempt": 5, "planner": 6,
           "gel_left_schedule": 7, "gel_right_schedule": 8, "on_policy": 9}


def attempt_key(seed: int, object_id: str, k: int) -> tuple[int, int, int]:
    """What attempt k on an object depends on, whoever runs it (a bare evaluation cell or the grasp
    graph): placement, gel noise, initial grasp."""
    return int(seed), zlib.crc32(object_id.encode()), int(k)


def stream_seed(key, stream: str) -> list[int]:
    """The entropy of keyed_rng(key, stream), for generators built elsewhere (the gels' noise)."""
    return [*(int(k) for k in key), STREAMS[stream]]


def keyed_rng(key, stream: str) -> np.random.Generator:
    """The generator for one consumer of an episode keyed on key (a sequence of non-negative ints)."""
    return np.random.default_rng(stream_seed(key, stream))
