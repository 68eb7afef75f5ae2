"""The MuJoCo cell: grasp physics that depends on force and placement, rendered sensors, bad input."""
import math

import numpy as np
import pytest

from visuotactile_grasp.perception.cylinder_fit import Intrinsics, fit_cylinder
from visuotactile_grasp.perception.tactile import detect_contact
from visuotactile_grasp.sim.mujoco_cell import MujocoCell
from visuotactile_grasp.sim.objects import make_object
from visuotactile_grasp.sim.scripted_trial import run_for


@pytest.fixture(scope="module")
def cell():
    c = MujocoCell(object_id="train_000")
    yield c
    c.close()


def grasp_and_lift(cell, object_id, force, z_frac=0.5, offset=(0.0, 0.0), yaw=0.0, hold=1.5):
    """One scripted trial through the cell's API; returns (held after lift+hold, gripper state)."""
    _, xy = cell.reset_object(object_id, (0.6, 0.0))
    spec = cell.obj
    cell.gripper.start_motion("move", 0.11, 0.3)
    cell.command_ee([0.6 + offset[0], offset[1], spec.height + 0.06, yaw])
    run_for(cell, 1.0)
    z = max(0.015, spec.height * z_frac)
    cell.command_ee([0.6 + offset[0], offset[1], z, yaw])
    run_for(cell, 1.0)
    cell.gripper.force_limit = force
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    run_for(cell, 1.0)
    state = cell.gripper.state()
    cell.command_ee([0.6 + offset[0], offset[1], z + 0.1, yaw])
    run_for(cell, 0.5 + hold)
    return cell.ground_truth_held(), state


def _heavy_cylinder():
    for i in range(65):
        spec = make_object(f"train_{i:03d}")
        if spec.shape == "cylinder" and spec.mass > 0.4:
            return spec.object_id
    raise AssertionError("no heavy cylinder in the training set")


def test_enough_force_holds_too_little_slips(cell):
    object_id = _heavy_cylinder()
    held_strong, state = grasp_and_lift(cell, object_id, force=40.0)
    assert state["grasping_state"] == 4  # holding
    assert held_strong and cell.obj_z > 0.05
    held_weak, _ = grasp_and_lift(cell, object_id, force=1.0)
    assert not held_weak and cell.obj_z < 0.05


def test_force_matters_statistically_across_objects(cell):
    ids = [f"train_{i:03d}" for i in range(0, 65, 8)]
    strong = sum(grasp_and_lift(cell, o, force=40.0, hold=0.5)[0] for o in ids)
    weak = sum(grasp_and_lift(cell, o, force=2.0, hold=0.5)[0] for o in ids)
    assert strong > weak


def test_missing_the_object_closes_on_nothing(cell):
    held, state = grasp_and_lift(cell, "train_000", force=20.0, offset=(0.08, 0.0))
    assert not held
    assert state["grasping_state"] == 2  # no part found


def test_gel_sees_contact_only_when_touching(cell):
    cell.reset_object("train_000", (0.6, 0.0))
    background = cell.render_gel("left")
    assert cell.gel_height_map("left").max() == 0.0
    grasp_and_lift(cell, "train_000", force=30.0, hold=0.2)
    pressed = cell.render_gel("left")
    assert cell.gel_height_map("left").max() > 0
    assert detect_contact(pressed, background, threshold=12.0).in_contact


def test_depth_camera_feeds_the_cylinder_fit(cell):
    cell.gripper.start_motion("move", 0.11, 0.3)
    cell.command_ee([0.6, 0.0, 0.5, 0.0])  # the arm waits above while the camera looks
    run_for(cell, 1.5)
    cell.reset_object("train_000", (0.62, 0.05))
    _, depth = cell.render_camera()
    K = cell.camera.K
    fit = fit_cylinder(depth, Intrinsics(K.fx, K.fy, K.cx, K.cy), cell.camera.R, cell.camera.eye)
    assert fit.valid
    assert np.hypot(fit.center[0] - cell.obj_xy[0], fit.center[1] - cell.obj_xy[1]) < 0.006
    assert abs(fit.height - cell.obj.height) < 0.01


def test_bad_input_is_rejected(cell):
    with pytest.raises(ValueError, match="unknown object"):
        cell.reset_object("train_999")
    with pytest.raises(ValueError):
        cell.command_ee([math.nan, 0.0, 0.2, 0.0])
    with pytest.raises(ValueError, match="workspace"):
        cell.command_ee([0.6, 0.0, 2.0, 0.0])
    with pytest.raises(ValueError):
        cell.reset_object("train_000", (math.inf, 0.0))


def test_off_centre_squeeze_pushes_the_object_out(cell):
    from visuotactile_grasp.sim.scripted_trial import run_trial

    radius = make_object("train_005").radius
    assert run_trial(cell, "train_005", force=60.0, hold_s=0.5).held
    pushed = run_trial(cell, "train_005", force=60.0, offset=(0.9 * radius, 0.0), hold_s=0.5)
    assert not pushed.held


def test_where_it_is_held_matters(cell):
    """A heavy cylinder held low at moderate force stays; held near its top, the same force slips."""
    from visuotactile_grasp.sim.scripted_trial import run_trial

    assert make_object("train_035").mass > 0.8
    assert run_trial(cell, "train_035", force=8.0, z_frac=0.15, hold_s=2.0).held
    assert not run_trial(cell, "train_035", force=8.0, z_frac=0.9, hold_s=2.0).held


def test_rendering_then_training_in_one_process_does_not_crash():
    """Mesa's LLVM (EGL software rendering) loaded before Triton's (torch's first optimizer) segfaulted."""
    import subprocess
    import sys

    code = ("from visuotactile_grasp.sim.mujoco_cell import MujocoCell\n"
            "c = MujocoCell(); c.render_camera(); c.close()\n"
            "import torch; torch.optim.Adam([torch.zeros(2, requires_grad=True)]); print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_a_running_cell_keyed_like_a_fresh_episode_places_alike(cell):
    """key_episode (the sim cell node's keyed reset) gives the placement start_episode gives: a cell that
    ran other episodes before meets attempt k as a freshly started one does."""
    fresh = MujocoCell(object_id="easy_03")
    try:
        fresh.start_episode("easy_03", (0, 7, 2))
        _, expected = fresh.reset_object("easy_03")
    finally:
        fresh.close()
    grasp_and_lift(cell, "train_000", 10.0)  # something else happened first
    cell.key_episode((0, 7, 2))
    _, xy = cell.reset_object("easy_03")
    assert np.allclose(xy, expected, atol=1e-4)
    cell.key_episode((0, 7, 3))
    assert not np.allclose(cell.reset_object("easy_03")[1], expected, atol=1e-3)


def test_calibrated_gels_imprint_with_force_shear_under_weight_and_relax_on_release():
    """gel_model calibrated: the imprint grows with the grip force, the object's weight shears the
    markers once lifted, and after the fingers open the gel is back at rest (no marker offset left
    over from the grasp: the leak of the legacy model)."""
    from dataclasses import replace

    from visuotactile_grasp.sim.gel_mechanics import indentation, marker_shift
    from visuotactile_grasp.sim.cell import CellConfig

    # v1's easy_03 (v2 makes it a thin-walled bottle that 40 N crushes: this test is the gel's mechanics)
    cell = MujocoCell(CellConfig(gel_width=160, gel_height=120, gel_model="calibrated", objects="v1"),
                      object_id="easy_03")
    try:
        cell.reset_object("easy_03", (0.6, 0.0))
        for gel in cell.gels.values():
            gel.optics.look = replace(gel.optics.look, noise_std=0.0)
        h = cell.obj.height
        cell.gripper.start_motion("move", 0.11, 0.3)
        cell.command_ee([0.6, 0.0, h + 0.06, 0.0])
        run_for(cell, 1.0)
        z = max(0.015, h * 0.5)
        cell.command_ee([0.6, 0.0, z, 0.0])
        run_for(cell, 1.0)
        rest = cell.render_gel("left").astype(float)
        changed = []
        for force in (5.0, 20.0, 40.0):
            cell.gripper.force_limit = force
            cell.gripper.start_motion("grasp", 0.0, 0.1)
            run_for(cell, 1.0)
            changed.append(int((np.abs(cell.render_gel("left") - rest).max(axis=2) > 12).sum()))
        assert changed[0] > 500 and changed[0] < changed[1] < changed[2], changed
        squeezed = cell.render_gel("left").astype(float)
        cell.command_ee([0.6, 0.0, z + 0.1, 0.0])
        run_for(cell, 1.5)
        assert cell.ground_truth_held()
        lifted = cell.render_gel("left").astype(float)
        assert np.abs(lifted - squeezed).max(axis=2).max() > 60  # the markers moved under the weight
        # the weight, shared by the two pads, pulls the gels' surfaces down the pad (image columns)
        weight = cell.obj.mass * 9.81
        for side in ("left", "right"):
            surface, normal, tangential, friction = cell.gel_contact(side)
            assert tangential[0] < 0 and abs(tangential[0]) == pytest.approx(weight / 2, rel=0.3), tangential
            assert abs(tangential[1]) < 0.2 * abs(tangential[0])
            gel = cell.gels[side]
            height = indentation(surface, normal, gel.mm_per_px, gel.mechanics)
            shift = marker_shift(gel.optics.markers, height, tangential, normal, friction, gel.mm_per_px,
                                 gel.mechanics)
            assert shift[:, 0].min() < -0.1 and shift[:, 0].max() <= 1e-9
            assert np.abs(shift[:, 1]).max() < 0.2 * np.abs(shift[:, 0]).max()
        cell.gripper.start_motion("move", 0.11, 0.3)
        run_for(cell, 1.0)
        released = cell.render_gel("left").astype(float)
        assert np.abs(released - rest).max() < 1.0, "the gel did not relax after release"
    finally:
        cell.close()
