"""Object library v2 (opt-in): v1 untouched, material parameters a pure function of the id, fragile
objects that crush for good past their crush force, the damage seen through the front camera's refit,
and a damaged grasp counted as a failure."""
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.collection.direct import BareTrialCell
from visuotactile_grasp.procedure.attempt import AttemptConfig, Choice, Fit, run_attempt
from visuotactile_grasp.procedure.outcome import Inspection, grasp_success, observed_damage
from visuotactile_grasp.sim.objects import make_object, object_ids

V1_FIELDS = ("object_id", "radius", "height", "mass", "com_height", "friction", "compliance", "color", "shape",
             "aspect")
# sha256 of every v1 object's parameters before library v2 existed (commit e95b7f0)
V1_DIGEST = "b8233d33aac41b88a1615a37ea0622711f312e0bf05351e32fff55c8287163fc"
DOC = Path(__file__).resolve().parents[1] / "docs" / "objects_v2.md"


def _v1_digest() -> str:
    rows = [repr(tuple(getattr(make_object(o), f) for f in V1_FIELDS)) for o in object_ids("all")]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def test_v1_objects_are_unchanged_and_the_default():
    assert _v1_digest() == V1_DIGEST
    for o in object_ids("all"):
        assert make_object(o) == make_object(o, "v1") and not make_object(o).fragile


def test_v2_keeps_v1_geometry_and_draws_its_material_from_the_id_alone():
    np.random.seed(123)  # the global generator plays no part
    first = [make_object(o, "v2") for o in object_ids("all")]
    np.random.default_rng(7).random(100)
    assert first == [make_object(o, "v2") for o in reversed(object_ids("all"))][::-1]
    for v1, v2 in zip(map(make_object, object_ids("all")), first, strict=True):
        assert (v2.radius, v2.height, v2.com_height, v2.shape, v2.aspect) == \
            (v1.radius, v1.height, v1.com_height, v1.shape, v1.aspect)
    fragile = [s for s in first if s.fragile]
    assert 0.25 < len(fragile) / len(first) < 0.75
    assert min(s.crush_force for s in fragile) >= 6.0 and max(s.crush_force for s in fragile) <= 30.0
    assert any(s.crush_force < 10.0 for s in fragile)  # some crush under the paper's 10 N baseline
    spec = make_object("train_000", "v2")
    assert (spec.material, round(spec.crush_force, 3), round(spec.crushed_scale, 3)) == ("thin_wall", 15.047, 0.44)
    with pytest.raises(ValueError, match="library"):
        make_object("train_000", "v3")


def test_the_documented_table_is_current():
    from visuotactile_grasp.tools.object_table import markdown_table

    assert DOC.read_text() == markdown_table("v2"), "regenerate: vtg objects --library v2 --out docs/objects_v2.md"


def test_kinematic_cell_refuses_v2():
    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.kinematic_cell import KinematicCell

    with pytest.raises(ValueError, match="v1 only"):
        KinematicCell(CellConfig(objects="v2"))


def test_the_outcome_rule():
    assert grasp_success(True, None) and grasp_success(True, False) and grasp_success(True, False, False)
    assert not grasp_success(True, True) and not grasp_success(False, False)
    assert not grasp_success(True, False, True)  # held by the gels, but the touch-down read the table
    assert grasp_success(None, True) is None
    standing = (0.03, 0.15)  # radius, height of the fit before
    # nothing fitted where it was put down (rolled away, or crushed below what the fit sees): not shown harmless
    assert observed_damage(standing, None) is True
    assert not observed_damage(standing, (0.0295, 0.15)) and observed_damage(standing, (0.02, 0.15))
    # fallen over: it fits wide and low; its fitted height is its width
    assert not observed_damage(standing, (0.09, 0.061)) and observed_damage(standing, (0.09, 0.035))
    # a squat object (lower than wide) is judged by its diameter alone: lying or standing, a low fit says little
    squat = (0.04, 0.05)
    assert not observed_damage(squat, squat) and not observed_damage(squat, (0.04, 0.039))
    assert not observed_damage(squat, (0.05, 0.03)) and observed_damage(squat, (0.025, 0.05))
    # a tall one that fits lower but not wider did not fall: its diameter decides
    assert not observed_damage(standing, (0.03, 0.1))


class _Cell:
    """A cell that holds the object; inspect (optional) reports damage, or the object on the table."""

    def __init__(self, damaged=None, on_table=None):
        if damaged is not None:
            self.inspect = lambda: Inspection(damaged, damaged, on_table)

    def prepare(self):
        return Fit(np.array([0.6, 0.0, 0.0]), 0.1)

    def decide(self, index, pose, force, fit):
        return Choice(True, force, np.asarray(pose), math.nan, np.zeros(5))

    def label(self):
        return True, True

    def approach(self, *args):  # close, regrasp, lift_and_hold, phase too: nothing to do
        pass

    close = regrasp = lift_and_hold = phase = approach


def test_a_damaged_grasp_is_a_failed_attempt():
    rng = np.random.default_rng(0)
    plain = run_attempt(_Cell(), AttemptConfig(), rng)
    assert (plain.success, plain.ground_truth, plain.held, plain.damaged) == (True, True, True, None)
    crushed = run_attempt(_Cell(damaged=True), AttemptConfig(), rng)
    assert (crushed.success, crushed.ground_truth, crushed.held, crushed.damaged, crushed.ground_truth_damaged) \
        == (False, False, True, True, True)
    # the touch-down read the table: the label fails it; the truth is the simulator's held (here: True)
    standing = run_attempt(_Cell(damaged=False, on_table=True), AttemptConfig(), rng)
    assert (standing.success, standing.ground_truth, standing.held, standing.on_table) == (False, True, True, True)


@pytest.fixture(scope="module")
def v2_cell():
    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    cell = MujocoCell(CellConfig(objects="v2"), "train_000")
    yield cell
    cell.close()


@pytest.mark.parametrize("force, crushed", [(5.0, False), (30.0, True)])
def test_a_fragile_object_crushes_past_its_crush_force_and_the_refit_sees_it(v2_cell, force, crushed):
    """train_000 in v2: a thin-walled cup crushing at 15 N, gripped at a third of it and at twice it."""
    from visuotactile_grasp.collection.direct import BareTrialCell

    assert make_object("train_000", "v2").crush_force == pytest.approx(15.05, abs=0.01)
    v2_cell.start_episode("train_000", (0, 1))
    bare = BareTrialCell(v2_cell, "train_000")
    fit = bare.prepare()
    z = float(fit.center[2]) + fit.height / 2
    bare.approach(np.array([fit.center[0], fit.center[1], z, 0.0]), float(fit.center[2]) + fit.height + 0.05)
    bare.close(force, "close")
    bare.lift_and_hold(0.1, 1.0)
    held = v2_cell.ground_truth_held()
    damaged, truth, on_table, motion = bare.inspect()
    assert held and on_table is False and motion < 0  # crushed or not, the cup hangs: damage fails it
    assert (damaged, truth) == (crushed, crushed)
    assert grasp_success(held, damaged, on_table) == (not crushed)
    v2_cell.reset_object()  # the same object again is a fresh, intact one
    assert not v2_cell.ground_truth_damaged()


def test_a_crushed_object_that_falls_over_when_put_down_is_seen_crushed(v2_cell):
    """hard_03 in v2: a tall cardboard capsule (3 cm wide, 13.5 cm tall) crushing at 18.6 N, gripped at
    30 N. Crushed to 59% of its width it falls over when put down: it fits wide and low, so comparing
    radii alone would call it intact; its fitted height, now its width, shows the crush."""
    import visuotactile_grasp.collection.direct as direct

    v2_cell.start_episode("hard_03", (5, 0))
    bare = direct.BareTrialCell(v2_cell, "hard_03")
    fit = bare.prepare()
    before = bare._fitted
    z = float(fit.center[2]) + fit.height / 2
    bare.approach(np.array([fit.center[0], fit.center[1], z, 0.0]), float(fit.center[2]) + fit.height + 0.05)
    bare.close(30.0, "close")
    bare.lift_and_hold(0.1, 1.0)
    assert v2_cell.ground_truth_held() and v2_cell.ground_truth_damaged()
    after = direct.refit_after_put_down(v2_cell, bare._grasp)
    assert after is not None and after[1] < 0.5 * before[1], (before, after)  # it lies
    assert after[0] > before[0]  # and fits wider than it stood
    assert observed_damage(before, after)


def test_the_touch_down_reads_a_glass_that_slid_onto_the_table():
    """train_009 in v2, a 1.2 kg glass bottle at friction 0.31, in the evaluation's cell and attempt (the
    object calibration's attempt 0): gripped at 5 N at its centroid it slides down through the fingers
    onto the table during the lift, and the gels still touch it, so the contact label calls it held; the
    touch-down reads the table carrying it, and the attempt fails. At 40 N it hangs from the pads."""
    from visuotactile_grasp.evaluation.attempt import run_attempt as evaluate
    from visuotactile_grasp.evaluation.bare_cell import ConstantForcePolicy
    from visuotactile_grasp.procedure.attempt import AttemptConfig
    from visuotactile_grasp.sim.cell import CellConfig, deployed_workspace
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell
    from visuotactile_grasp.streams import attempt_key, keyed_rng

    cell = MujocoCell(CellConfig(seed=0, objects="v2", workspace=deployed_workspace()))
    try:
        for force, slid in ((5.0, True), (40.0, False)):
            key = attempt_key(0, "train_009", 0)
            cell.start_episode("train_009", key)
            row = evaluate(cell, "train_009", ConstantForcePolicy(force, f"centroid_{force:g}N"),
                           keyed_rng(key, "attempt"), config=AttemptConfig.from_params_file())
            assert row["held"] and row["ground_truth"] is not slid  # the gels touch it either way
            assert row["on_table"] is slid and row["success"] is not slid
    finally:
        cell.close()


def test_the_graphs_touch_down_reads_at_the_bare_cells_instant(v2_cell):
    """The graph reads the gels once the arm's measured hand is TOUCH_DOWN_READ_DEPTH down (a clock can lag
    there); a bare cell reads TOUCH_DOWN_READ into the motion. The same instant: the measured hand follows
    the set-point within a tenth of a millimetre (7.5 ms at 1 cm/s, a quarter of a gel frame)."""
    from visuotactile_grasp.procedure.outcome import (TOUCH_DOWN_DEPTH, TOUCH_DOWN_READ, TOUCH_DOWN_READ_DEPTH,
                                                      TOUCH_DOWN_SPEED)
    from visuotactile_grasp.sim.scripted_trial import run_for

    run_for(v2_cell, 0.5)  # settled
    start = v2_cell.ee.copy()
    v2_cell.command_ee(start - np.array([0.0, 0.0, TOUCH_DOWN_DEPTH, 0.0]), TOUCH_DOWN_SPEED)
    run_for(v2_cell, TOUCH_DOWN_READ)
    assert abs((start[2] - v2_cell.ee[2]) - TOUCH_DOWN_READ_DEPTH) < 1e-4, start[2] - v2_cell.ee[2]


def test_the_damage_truth_is_the_grasps_not_the_put_downs(v2_cell):
    """hard_04 in v2 (cardboard, crushing at 16 N) held at 15 N comes through the hold intact; putting it
    down where it was grasped, after it slipped in the fingers, presses it into the table and dents it
    (0.4% of its width). The truth is what the grasp did: intact, as the refit sees it."""
    v2_cell.start_episode("hard_04", (7, 0))
    bare = BareTrialCell(v2_cell, "hard_04")
    fit = bare.prepare()
    z = float(fit.center[2]) + fit.height / 2
    bare.approach(np.array([fit.center[0], fit.center[1], z, 0.0]), float(fit.center[2]) + fit.height + 0.05)
    bare.close(15.0, "close")
    bare.lift_and_hold(0.1, 4.0)
    assert v2_cell.ground_truth_held() and not v2_cell.ground_truth_damaged()
    assert bare.inspect()[:3] == (False, False, False)  # seen intact, intact, hanging from the pads
    assert v2_cell.ground_truth_damaged()  # the put-down's dent, which no grasp made


def test_sim_cell_node_serves_the_library_it_is_given(ros_env, tmp_path):
    """The graph's cell takes the object library as a parameter; an unknown one is refused by name."""
    import time

    from node_harness import NodeProcess

    bad = NodeProcess("sim_cell_node", "sim_cell", {"wsg_port": 0, "objects": "v3"}, ros_env, tmp_path / "bad.log")
    assert bad.proc.wait(timeout=60) != 0
    bad.stop()
    assert "objects: 'v3' is not one of ('v1', 'v2')" in bad.output(), bad.output()[-2000:]
    good = NodeProcess("sim_cell_node", "sim_cell", {"wsg_port": 0, "objects": "v2", "gel_model": "calibrated",
                                                     "camera_rate": 0.5, "gelsight_rate": 0.5},
                       ros_env, tmp_path / "good.log")
    deadline = time.monotonic() + 60
    while "objects v2, gel model calibrated" not in good.output() and time.monotonic() < deadline:
        assert good.proc.poll() is None, good.output()[-2000:]
        time.sleep(0.2)
    assert good.stop() == 0, good.output()[-2000:]
    assert "cell: mujoco, objects v2, gel model calibrated, gels (0, 1)" in good.output()
