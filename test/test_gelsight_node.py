"""The GelSight node on a recorded stream (an image folder rendered by the simulator's gel model):
background capture, difference image, contact detection, and the capture service."""
import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import Image
from visuotactile_grasp_msgs.msg import TactileContact
from visuotactile_grasp_msgs.srv import CaptureBackground

import cv2
from node_harness import NodeProcess, spin_until
from visuotactile_grasp.ros.image_conversion import image_to_numpy
from visuotactile_grasp.sim.gelsight_render import GelSightRenderer, band_height_map


@pytest.fixture
def recorded_stream(tmp_path):
    """12 frames: 4 without contact (the background), then 8 pressed by a cylinder."""
    renderer = GelSightRenderer(160, 120, seed=3)
    folder = tmp_path / "gel"
    folder.mkdir()
    press = band_height_map(160, 120, 70, 14, (20, 100), 10)
    for i in range(12):
        frame = renderer.render(press if i >= 4 else None)
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def test_gelsight_node_on_recorded_stream(recorded_stream, ros_env, tmp_path):
    proc = NodeProcess("gelsight_node", "gelsight_left",
                       {"side": "left", "source": f"folder:{recorded_stream}", "frame_rate": 20.0,
                        "skip_initial_frames": 0, "background_frames": 3}, ros_env, tmp_path / "gel.log")
    rclpy.init()
    try:
        node = rclpy.create_node("test_gel_listener")
        contacts, diffs, raws, diagnostics = [], [], [], []
        node.create_subscription(DiagnosticArray, "/diagnostics", diagnostics.append, 50)
        node.create_subscription(TactileContact, "/gelsight/left/contact", contacts.append, 50)
        node.create_subscription(Image, "/gelsight/left/image_diff", diffs.append, 5)
        node.create_subscription(Image, "/gelsight/left/image_raw", raws.append, 5)
        # every stream matched and heard from: each topic's subscription is matched on its own, so
        # contacts can arrive before the first image (the folder loops, so the images come)
        assert spin_until(node, lambda: any(c.in_contact for c in contacts)
                          and any(not c.in_contact for c in contacts) and diffs and raws, 30), proc.output()
        touched = [c for c in contacts if c.in_contact]
        assert touched[0].sensor == "left"
        assert 60 < touched[0].centroid_u < 80  # the band is centred at column 70
        assert 0.05 < touched[0].contact_area < 0.5
        diff = image_to_numpy(diffs[-1])
        assert diff.shape == (120, 160, 3) and raws
        # latency is measured on every source, not only the topic one (it used to read 0 here)
        def latency():
            values = [dict((kv.key, kv.value) for kv in s.values) for a in diagnostics for s in a.status
                      if s.name == "gelsight_left"]
            return [float(v["mean_latency_s"]) for v in values if v.get("mean_latency_s", "nan") != "nan"]
        assert spin_until(node, lambda: latency(), 10)
        assert 0 < latency()[-1] < 1.0, latency()
        client = node.create_client(CaptureBackground, "/gelsight/left/capture_background")
        assert client.wait_for_service(timeout_sec=10)
        future = client.call_async(CaptureBackground.Request())
        assert spin_until(node, future.done, 10)
        assert future.result().success
        node.destroy_node()
    finally:
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()


def test_gelsight_node_rejects_bad_source(ros_env, tmp_path):
    proc = NodeProcess("gelsight_node", "gelsight_left", {"source": "ftp:nothing"}, ros_env, tmp_path / "bad.log")
    code = proc.proc.wait(timeout=30)
    proc.stop()
    assert code != 0
    assert "unknown GelSight source" in proc.output()


def test_contact_detection_core_on_rendered_frames():
    from visuotactile_grasp.perception.tactile import detect_contact, difference_image

    renderer = GelSightRenderer(160, 120, seed=1)
    background = renderer.render(None)
    assert not detect_contact(renderer.render(None), background).in_contact
    pressed = renderer.render(band_height_map(160, 120, 40, 10, (10, 110), 8))
    result = detect_contact(pressed, background)
    assert result.in_contact and 30 < result.centroid_u < 50
    diff = difference_image(pressed, background)
    assert diff.dtype == np.uint8 and abs(float(diff.mean()) - 128) < 20
    with pytest.raises(ValueError):
        detect_contact(pressed[:10], background)


def test_full_resolution_contact_matches_the_tuned_resolution():
    import cv2
    import numpy as np

    from visuotactile_grasp.perception.tactile import detect_contact

    rng = np.random.default_rng(0)
    background = np.clip(rng.normal(120, 3, (240, 320, 3)), 0, 255).astype(np.uint8)
    pressed = background.copy()
    cv2.circle(pressed, (200, 90), 30, (220, 80, 40), -1)
    small = detect_contact(pressed, background)
    big = detect_contact(*(cv2.resize(x, (1280, 960), interpolation=cv2.INTER_NEAREST) for x in (pressed, background)))
    assert small.in_contact and big.in_contact
    assert big.area == pytest.approx(small.area, rel=0.05)
    assert big.centroid_u == pytest.approx(4 * small.centroid_u, rel=0.02)
    assert big.centroid_v == pytest.approx(4 * small.centroid_v, rel=0.02)
