"""Which gels image which trial: the simulated gel inventory and the collection's gel changes.

A gel is a number: its look and mechanics are drawn from it (sim/mujoco_gels.gel_look and
gel_mechanics; the legacy model's background from GelSightRenderer(seed=id)). Left gels carry even
ids and right gels odd ones, as a cell's own pair (2 seed, 2 seed + 1) does (sim/cell.py).

A collection changes both gels every `gel_change_every` trials (the paper replaced gels during
collection), drawing them from TRAINING_GELS. Evaluation can mount HELD_OUT_GELS instead: gels no
gel-changing collection ever used. (A collection with gel_change_every 0 uses its cell's own pair,
which reaches the held-out ids only for seed >= 500.)
"""
from __future__ import annotations

from ..streams import keyed_rng

# six per side, every calibration on each side (gel_look picks the calibration from id mod 3)
TRAINING_GELS = tuple(range(12))
HELD_OUT_GELS = tuple(range(1000, 1006))  # three per side, one of each calibration
SIDE_STREAMS = ("gel_left_schedule", "gel_right_schedule")


def side_gels(inventory, side: int) -> tuple[int, ...]:
    """The inventory's gels for side 0 (left: even ids) or 1 (right: odd ids)."""
    return tuple(int(g) for g in inventory if int(g) % 2 == side)


def _cycle_order(seed: int, cycle: int, gels: tuple[int, ...], stream: str) -> list[int]:
    """Every gel of one side once per cycle, in an order keyed on (seed, cycle). A cycle never starts
    with the gel the previous one ended with (swapping its first two never touches its last, as a side
    has at least three gels), so every change changes the gel, and the order of cycle c depends on
    cycles c and c - 1 alone."""
    def raw(c: int) -> list[int]:
        return [int(g) for g in keyed_rng((seed, c), stream).permutation(gels)]

    order = raw(cycle)
    if cycle > 0 and order[0] == raw(cycle - 1)[-1]:
        order[0], order[1] = order[1], order[0]
    return order


def scheduled_gels(seed: int, trial_id: int, change_every: int, inventory=TRAINING_GELS) -> tuple[int, int] | None:
    """The (left, right) gel ids of collection trial trial_id (ids start at 1): the gels change every
    change_every trials. A pure function of its arguments, so any worker mounts the same gels for a
    trial. None for change_every 0: the cell's own pair, as before gel changes existed."""
    if change_every < 0 or trial_id < 1:
        raise ValueError(f"need change_every >= 0 and trial_id >= 1, got {change_every}, {trial_id}")
    if change_every == 0:
        return None
    block = (trial_id - 1) // change_every
    pair = []
    for side, stream in enumerate(SIDE_STREAMS):
        gels = side_gels(inventory, side)
        if len(gels) < 3:
            raise ValueError(f"a gel schedule needs at least three gels per side, got {gels}")
        cycle, position = divmod(block, len(gels))
        pair.append(_cycle_order(seed, cycle, gels, stream)[position])
    return pair[0], pair[1]


def attempt_gels(key, inventory=HELD_OUT_GELS) -> tuple[int, int]:
    """(left, right) gels for one evaluation attempt keyed on key (attempt_key): drawn from the key
    alone, so every policy meets the attempt with the same gels."""
    return tuple(int(keyed_rng(key, stream).choice(side_gels(inventory, side)))
                 for side, stream in enumerate(SIDE_STREAMS))
