"""The cell's renderer (sim/mujoco_render.py): one GL context for the cell's life and a render
context kept across objects must give the frames MuJoCo's own Renderer gives."""
import numpy as np
import pytest

from visuotactile_grasp.sim.mujoco_cell import MujocoCell  # first: it picks the GL backend (EGL)
from visuotactile_grasp.sim.cell import CAMERA_EYE, CAMERA_TARGET, CellConfig
from visuotactile_grasp.sim.mujoco_render import SceneRenderer, same_render_assets
from visuotactile_grasp.sim.mjcf import build_cell_xml
from visuotactile_grasp.sim.objects import make_object
from visuotactile_grasp.sim.scripted_trial import run_trial

import mujoco  # noqa: E402  (after the cell, which sets MUJOCO_GL)

W, H = 160, 120


def _frames(render, cell):
    return (render(cell, "kinect", False, None), render(cell, "kinect", True, None),
            render(cell, "gel_left", True, cell._gel_view))


def _mujoco_renderer(cell, camera, depth, option):
    r = mujoco.Renderer(cell.model, H, W)
    try:
        if depth:
            r.enable_depth_rendering()
        r.update_scene(cell.data, camera=camera, scene_option=option)
        return r.render().copy()
    finally:
        r.close()


@pytest.mark.parametrize("library", ["v1", "v2"])
def test_frames_equal_mujocos_own_renderer_across_objects(library):
    cell = MujocoCell(CellConfig(camera_width=W, camera_height=H, gel_width=W, gel_height=H, objects=library),
                      object_id="train_000")
    try:
        kept_context = cell.renderer._context
        for object_id in ("train_000", "train_007", "easy_03", "hard_05"):
            run_trial(cell, object_id, force=15.0, hold_s=0.0)  # lifted in the closed fingers: the gels see it
            ours = _frames(lambda c, cam, d, o: c.renderer.render(c.data, cam, W, H, depth=d, option=o), cell)
            if kept_context is not None:  # every object of the libraries is drawn by the first context
                assert cell.renderer._context is kept_context
            kept_context = cell.renderer._context
            theirs = _frames(_mujoco_renderer, cell)
            for a, b in zip(ours, theirs, strict=True):
                assert a.shape == b.shape and a.dtype == b.dtype
                np.testing.assert_array_equal(a, b)
            assert ours[0].std() > 5  # a scene, not a blank frame
            assert (ours[2] < 0.01).mean() > 0.05  # the gel camera sees the object within a centimetre
    finally:
        cell.close()


def test_a_new_context_only_for_a_model_its_last_context_cannot_draw():
    cell = MujocoCell(CellConfig(camera_width=W, camera_height=H, gel_width=W, gel_height=H), object_id="train_000")
    try:
        cell.render_camera()
        context = cell.renderer._context
        other = mujoco.MjModel.from_xml_string(
            build_cell_xml(make_object("hard_02", "v2"), CAMERA_EYE, CAMERA_TARGET, cell.fovy_deg))
        cell.renderer.bind(other)
        assert cell.renderer._context is context
        with_mesh = mujoco.MjModel.from_xml_string("""
<mujoco><asset><mesh name="t" vertex="0 0 0  1 0 0  0 1 0  0 0 1"/></asset>
<worldbody><geom type="mesh" mesh="t"/></worldbody></mujoco>""")
        assert not same_render_assets(other, with_mesh)
        cell.renderer.bind(with_mesh)
        assert cell.renderer._context is None
    finally:
        cell.close()


def test_refuses_frames_larger_than_its_buffer_and_unknown_cameras():
    cell = MujocoCell(CellConfig(camera_width=W, camera_height=H, gel_width=W, gel_height=H), object_id="train_000")
    try:
        with pytest.raises(ValueError, match="larger than"):
            cell.renderer.render(cell.data, "kinect", W * 2, H)
        with pytest.raises(ValueError, match="no camera"):
            cell.renderer.render(cell.data, "no_such_camera", W, H)
        with pytest.raises(RuntimeError, match="no model"):
            SceneRenderer(W, H).render(cell.data, "kinect", W, H)
    finally:
        cell.close()
