"""Gel changes: the schedule of gels per collection trial, held-out gels, and a cell that switches gels."""
import numpy as np
import pytest

from visuotactile_grasp.sim.gel_inventory import (HELD_OUT_GELS, TRAINING_GELS, attempt_gels, scheduled_gels,
                                                  side_gels)


def test_gel_schedule_is_a_pure_function_that_changes_both_gels_every_block():
    trials = range(1, 61)
    forward = [scheduled_gels(3, i, 2) for i in trials]
    # any split of the trials over workers, in any order, mounts the same gels
    workers = {i: scheduled_gels(3, i, 2) for part in (trials[1::2], trials[0::2]) for i in reversed(part)}
    assert forward == [workers[i] for i in trials]
    blocks = forward[0::2]
    assert forward[1::2] == blocks  # trials 2k-1 and 2k share their gels
    for before, after in zip(blocks[:-1], blocks[1:], strict=True):
        assert before[0] != after[0] and before[1] != after[1]  # a change changes both gels
    left, right = side_gels(TRAINING_GELS, 0), side_gels(TRAINING_GELS, 1)
    assert all(a in left and b in right for a, b in blocks)
    assert sorted(a for a, _ in blocks[:len(left)]) == sorted(left)  # every gel once per cycle
    assert scheduled_gels(4, 1, 2) != scheduled_gels(3, 1, 2) or scheduled_gels(4, 3, 2) != scheduled_gels(3, 3, 2)
    assert scheduled_gels(3, 7, 0) is None  # the cell's own pair, as before gel changes
    with pytest.raises(ValueError):
        scheduled_gels(3, 0, 2)


def test_held_out_gels_are_never_scheduled_for_training_and_same_for_every_policy():
    assert not set(HELD_OUT_GELS) & set(TRAINING_GELS)
    used = {g for seed in range(4) for i in range(1, 200) for g in scheduled_gels(seed, i, 3)}
    assert used == set(TRAINING_GELS)
    pairs = [attempt_gels((0, 12345, k)) for k in range(20)]
    assert pairs == [attempt_gels((0, 12345, k)) for k in range(20)]
    assert all(a in HELD_OUT_GELS and b in HELD_OUT_GELS and a % 2 == 0 and b % 2 == 1 for a, b in pairs)
    assert len(set(pairs)) > 1


def _squeeze(cell):
    """Close on easy_03 at the middle of its height: a state in contact with both gels."""
    from visuotactile_grasp.sim.scripted_trial import run_for

    cell.reset_object("easy_03", (0.6, 0.0))
    h = cell.obj.height
    cell.gripper.start_motion("move", 0.11, 0.3)
    cell.command_ee([0.6, 0.0, h + 0.06, 0.0])
    run_for(cell, 1.0)
    cell.command_ee([0.6, 0.0, max(0.015, h * 0.5), 0.0])
    run_for(cell, 1.0)
    cell.gripper.force_limit = 30.0
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    run_for(cell, 1.0)


@pytest.mark.parametrize("gel_model", ["legacy", "calibrated"])
def test_a_cell_switches_gels_per_episode_and_keeps_their_optics(gel_model):
    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    cell = MujocoCell(CellConfig(gel_width=160, gel_height=120, gel_model=gel_model), object_id="easy_03")
    try:
        assert cell.gel_ids == (0, 1)
        key, first, second = (0, 5), (4, 7), (10, 3)
        cell.start_episode("easy_03", key, first)
        assert cell.gel_ids == first
        mounted = dict(cell.gels)
        _squeeze(cell)
        assert all(cell.pad_contact().values())

        def images(pair, noise_key=key):  # the same physical state through the gels of pair
            cell.mount_gels(pair)
            cell.key_episode(noise_key)
            return {s: cell.render_gel(s).astype(float) for s in ("left", "right")}

        a, b, again, renoised = images(first), images(second), images(first), images(first, (0, 6))
        assert all(cell.gels[s] is mounted[s] for s in mounted)  # kept, not rebuilt
        for side in a:
            assert np.array_equal(a[side], again[side])
            noise = np.abs(a[side] - renoised[side]).mean()  # the same gels, other noise: ~2 grey levels
            assert np.abs(a[side] - b[side]).mean() > 2 * noise, side  # other gels, another image
        fresh = cell._make_gel(first[0])  # a kept gel renders as a newly built one does
        cell.gels["left"] = fresh
        cell.key_episode(key)
        assert np.array_equal(cell.render_gel("left").astype(float), a["left"])
        cell.start_episode("easy_03", key)
        assert cell.gel_ids == (0, 1)
        with pytest.raises(ValueError, match="different"):
            cell.mount_gels((3, 3))
    finally:
        cell.close()
