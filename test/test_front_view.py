"""The front view (perception/front_view.py): the object is cropped around the grasp point with the
camera's calibrated model, at a fixed scene width, whatever the frame size."""
import json

import cv2
import numpy as np
import pytest

from visuotactile_grasp.perception.camera import CameraModel, Intrinsics, camera_from_calibration
from visuotactile_grasp.perception.front_view import object_view
from visuotactile_grasp.sim.cell import front_camera_model


def _dots(camera: CameraModel, points) -> np.ndarray:
    img = np.zeros((camera.K.height, camera.K.width, 3), np.uint8)
    for (u, v), colour in zip(camera.project(np.asarray(points)), ((255, 0, 0), (0, 255, 0)), strict=True):
        cv2.circle(img, (int(round(u)), int(round(v))), 2, colour, -1)
    return img


@pytest.mark.parametrize("width", [320, 640, 1280])
def test_the_crop_is_centred_on_the_grasp_point_at_a_fixed_scene_width(width):
    camera = front_camera_model(width, width * 3 // 4)
    grasp, beside = [0.62, 0.05, 0.06], [0.62, 0.05 + 0.06, 0.06]  # 6 cm along y: across the view
    view = object_view(_dots(camera, [grasp, beside]), grasp, camera, 224, extent_m=0.24)
    red = np.argwhere(view[..., 0] > 100).mean(axis=0)
    green = np.argwhere(view[..., 1] > 100).mean(axis=0)
    assert np.abs(red - 111.5).max() < 3  # the grasp point at the crop's centre
    # 6 cm of a 24 cm wide crop: a quarter of 224 px to the side (y runs right to left in this view)
    assert abs(abs(green[1] - red[1]) - 224 * 0.06 / 0.24) < 6 and abs(green[0] - red[0]) < 6


def test_a_point_near_the_border_is_padded_black_not_shifted():
    camera = front_camera_model(320, 240)
    grasp = [0.62, 0.34, 0.06]  # near the edge of the view
    view = object_view(_dots(camera, [grasp, grasp]), grasp, camera, 128)
    assert np.abs(np.argwhere(view[..., 1] > 100).mean(axis=0) - 63.5).max() < 3


def test_bad_inputs_are_refused_clearly():
    camera = front_camera_model(320, 240)
    img = np.zeros((240, 320, 3), np.uint8)
    with pytest.raises(ValueError, match="camera model's 320x240"):
        object_view(np.zeros((480, 640, 3), np.uint8), [0.6, 0, 0.05], camera, 64)
    with pytest.raises(ValueError, match="finite"):
        object_view(img, [np.nan, 0, 0.05], camera, 64)
    with pytest.raises(ValueError, match="in front of the camera"):
        object_view(img, [2.0, 0, 0.55], camera, 64)  # behind the Kinect
    with pytest.raises(ValueError, match="orthonormal"):
        CameraModel.from_pose(camera.K, np.eye(3) * 2, (0, 0, 0))
    with pytest.raises(ValueError, match="not a camera model"):
        CameraModel.from_dict({"fx": 1.0})


def test_camera_model_round_trips_and_matches_the_fitters_calibration():
    camera = front_camera_model(320, 240)
    assert CameraModel.from_dict(json.loads(json.dumps(camera.to_dict()))) == camera
    # the extrinsics in config/front_camera.yaml are the simulated Kinect's: the same projection
    from visuotactile_grasp.param_files import node_params

    p = node_params("regrasp_planner")
    K = camera.K
    ros = camera_from_calibration([K.fx, 0, K.cx, 0, K.fy, K.cy, 0, 0, 1], 320, 240, p["camera_position"],
                                  p["camera_orientation"])
    points = np.array([[0.6, 0.0, 0.05], [0.5, 0.2, 0.1], [0.8, -0.3, 0.0]])
    np.testing.assert_allclose(ros.project(points), camera.project(points), atol=0.5)
    assert Intrinsics.kinect_like(320, 240) == camera.K


def test_the_sim_cameras_model_is_the_camera_mujoco_renders_with():
    """front_camera_model (what datasets record and the crop uses) against the rendered Kinect's pose and
    field of view in the MuJoCo model, so the crop and the images cannot drift apart unnoticed."""
    import math

    import mujoco

    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    cell = MujocoCell(CellConfig(camera_width=320, camera_height=240), object_id="train_000")
    try:
        m, d = cell.model, cell.data
        cam = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, "kinect")
        model = front_camera_model(320, 240)
        # MuJoCo's camera frame: x right, y up, z backwards; the optical frame: x right, y down, z forward
        np.testing.assert_allclose(d.cam_xmat[cam].reshape(3, 3) @ np.diag([1.0, -1.0, -1.0]), np.asarray(model.R),
                                   atol=1e-9)
        np.testing.assert_allclose(d.cam_xpos[cam], model.eye, atol=1e-9)
        assert 120.0 / math.tan(math.radians(m.cam_fovy[cam]) / 2) == pytest.approx(model.K.fy, rel=1e-5)
    finally:
        cell.close()
