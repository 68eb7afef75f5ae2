"""Marker tracking on calibrated gel images, and the touch-down test built on it (perception/markers.py)."""
import numpy as np
import pytest

from visuotactile_grasp.perception.markers import (SUPPORT_SHIFT_PX, find_dots, marker_flow, on_table, summed_motion,
                                                   table_support, vertical_motion)
from visuotactile_grasp.sim.gel_mechanics import indentation
from visuotactile_grasp.sim.gel_optics import GelLook, GelOptics


def cylinder_side(w, h, mm, radius_mm=15.0):
    v, _ = np.mgrid[0:h, 0:w]
    x = (v - h / 2) * mm
    return np.sqrt(np.clip(radius_mm ** 2 - x ** 2, 0, None)) - radius_mm


def gel(w=320, h=240, seed=0, look=GelLook()):
    optics = GelOptics(w, h, 24.0 / w, look, seed=seed)
    return optics, indentation(cylinder_side(w, h, 24.0 / w), 10.0, 24.0 / w)


def test_every_printed_dot_is_found_where_it_is_printed():
    for look in (GelLook(), GelLook(marker_grid=(6, 8), calibration="digit", light_gain=(0.8, 1.0, 1.2))):
        optics, imprint = gel(look=look)
        rows, cols = look.marker_grid
        for image in (optics.render(None), optics.render(imprint)):
            dots = find_dots(image)
            nearest = np.linalg.norm(optics.markers[:, None] - dots[None], axis=2).min(axis=1)
            assert nearest.max() < 0.6  # every dot, to a fraction of a pixel
            # a dark spot of the real background may count too: it never moves, so it adds no motion
            assert rows * cols <= len(dots) <= rows * cols + 2


@pytest.mark.parametrize("size", [(320, 240), (640, 480)])
def test_a_known_shift_is_recovered_under_an_imprint(size):
    optics, imprint = gel(*size)
    shift = np.tile([2.5 * size[0] / 320, -1.0 * size[0] / 320], (len(optics.markers), 1))
    flow = marker_flow(optics.render(None), optics.render(imprint, shift))
    assert len(flow.shift) >= len(optics.markers)
    assert np.allclose(np.median(flow.shift, axis=0), shift[0], atol=0.3 * size[0] / 320)
    # reported at 320 wide, whatever the camera's size: 2.5 px up on every dot -> 95th + 5th percentile = 5
    assert vertical_motion(optics.render(None), optics.render(imprint, shift)) == pytest.approx(5.0, abs=0.5)


def test_touch_down_reads_support_only_when_both_pads_move_up():
    pads = [gel(seed=s) for s in (0, 1)]
    rest = [o.render(None) for o, _ in pads]

    def pressed(up_px):  # each pad's dots moved up (+) or down (-) the finger by up_px
        return [o.render(h, np.tile([u, 0.0], (len(o.markers), 1))) for (o, h), u in zip(pads, up_px, strict=True)]
    assert table_support(rest, pressed((3.0, 2.0)))[0]  # carried from below: the pads slid down it
    assert not table_support(rest, pressed((-3.0, -2.0)))[0]  # hanging from the pads: its weight pulls down
    assert not table_support(rest, pressed((4.0, -4.0)))[0]  # a twist: one pad up, one down
    assert not table_support(rest, pressed((0.0, 0.0)))[0]


def test_unusable_frames_are_refused():
    optics, _ = gel()
    with pytest.raises(ValueError, match="differ in shape"):
        marker_flow(optics.render(None), optics.render(None)[:200])
    bad = optics.render(None).astype(np.float32)
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        find_dots(bad)
    with pytest.raises(ValueError, match="must be an image"):
        find_dots(np.zeros(16, np.uint8))
    assert len(find_dots(np.full((6, 8, 3), 100, np.uint8))) == 0  # a tiny frame: no dots, no error


def test_a_gel_without_visible_markers_measures_nothing():
    blank = np.full((240, 320, 3), 120, np.uint8)
    assert np.isnan(vertical_motion(blank, blank))  # no dot matched: not a motion of zero
    assert not on_table([float("nan"), float("nan")]) and summed_motion([float("nan"), float("nan")]) is None
    one_pad = SUPPORT_SHIFT_PX + 1.0  # the other pad saw no marker: one pad's motion alone decides
    assert on_table([float("nan"), one_pad]) and summed_motion([float("nan"), one_pad]) == one_pad
    assert not on_table([float("nan"), SUPPORT_SHIFT_PX - 1.0])
