"""Each simulated gel reads contact at its own threshold over its noise (sim/mujoco_gels.contact_threshold):
a multiple of the largest change between two of its frames with nothing touching, as a robot measures it
from its background frames. One threshold for all left the gels of the `gelsight` calibration, whose
optics answer about half as strongly, blind to light contacts (docs/results/object_calibration_v2_calibrated_gels/);
a threshold at a share of each gel's response to a reference press still missed faint imprints
(docs/results/object_calibration_v2_per_gel_thresholds/)."""
import numpy as np
import pytest

from visuotactile_grasp.perception.tactile import (CONTACT_DETECTOR, CONTACT_MIN_AREA, CONTACT_THRESHOLD,
                                                   detect_contact, noise_floor)
from visuotactile_grasp.sim.gel_inventory import HELD_OUT_GELS, TRAINING_GELS
from visuotactile_grasp.sim.mujoco_gels import CalibratedGel, contact_threshold, gel_look, reference_press

GELS = TRAINING_GELS + HELD_OUT_GELS


def _press_areas(threshold_of):
    areas = {}
    for g in GELS:
        pressed, background = reference_press(CalibratedGel(320, g, 240))
        areas[g] = detect_contact(pressed, background, threshold_of(g)).area
    return areas


def test_every_gel_sees_the_reference_press_alike_at_its_own_threshold():
    calibrated = _press_areas(contact_threshold)
    default = _press_areas(lambda g: CONTACT_THRESHOLD)
    assert max(calibrated.values()) < 1.5 * min(calibrated.values()), calibrated
    assert max(default.values()) > 10 * min(default.values()), default  # what the calibration repairs
    weak = [g for g in GELS if gel_look(g).calibration == "gelsight"]
    assert all(default[g] < 0.05 < calibrated[g] for g in weak), (default, calibrated)


@pytest.mark.parametrize("gel_id", GELS)
def test_noise_alone_is_never_contact_at_a_gels_threshold(gel_id):
    """Frames with nothing touching, with noise draws other than the two the threshold was measured from."""
    gel = CalibratedGel(320, gel_id, 240)
    frames = []
    for key in range(4):
        gel.reseed_noise([gel_id, 555, key])
        frames.append(gel.render(None))
    for frame in frames[1:]:
        contact = detect_contact(frame, frames[0], contact_threshold(gel_id))
        assert not contact.in_contact and contact.area < 0.01 * CONTACT_MIN_AREA, contact


def test_a_noisier_gel_gets_a_higher_threshold():
    noise = np.array([gel_look(g).noise_std for g in GELS])
    thresholds = np.array([contact_threshold(g) for g in GELS])
    assert np.corrcoef(noise, thresholds)[0, 1] > 0.9, (noise, thresholds)


def test_the_threshold_follows_the_image_size_the_gel_is_read_at():
    """Frames wider than 320 are averaged down before contact is read, which averages noise away too."""
    assert contact_threshold(3, 640, 480) < 0.75 * contact_threshold(3)


def test_identical_frames_cannot_measure_noise():
    blank = np.full((60, 80, 3), 90, np.uint8)
    with pytest.raises(ValueError, match="noise cannot be measured"):
        noise_floor([blank, blank, blank])
    with pytest.raises(ValueError, match="at least two frames"):
        noise_floor([blank])


def test_bare_cells_label_with_their_mounted_gels_thresholds():
    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    cell = MujocoCell(CellConfig(gel_model="calibrated"))
    try:
        assert cell.contact_thresholds() == (contact_threshold(0), contact_threshold(1))
        cell.mount_gels((6, 7))
        assert cell.contact_thresholds() == (contact_threshold(6), contact_threshold(7))
    finally:
        cell.close()
    cell = MujocoCell(CellConfig(gel_model="calibrated", gel_width=640, gel_height=480))
    try:
        assert cell.contact_thresholds() == (contact_threshold(0, 640, 480), contact_threshold(1, 640, 480))
    finally:
        cell.close()
    legacy = MujocoCell(CellConfig(gel_model="legacy"))
    try:
        assert legacy.contact_thresholds() == (CONTACT_THRESHOLD, CONTACT_THRESHOLD)
    finally:
        legacy.close()


def test_a_dataset_labelled_at_the_old_threshold_is_not_resumed_at_the_new_ones(ros_env, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from visuotactile_grasp.data.store import DatasetWriter

    out = tmp_path / "ds"
    DatasetWriter(out, info={"objects": "train_000", "trials": 2, "seed": 0, "source": "direct",
                             "gel_model": "calibrated", "gel_change_every": 0,
                             "contact_detector": CONTACT_DETECTOR}).close()
    vtg = str(Path(sys.executable).parent / "vtg")
    result = subprocess.run([vtg, "collect", "--sim", "--direct", "--workers", "1", "--trials", "2", "--objects",
                             "train_000", "--gel-model", "calibrated", "--resume", "--out", str(out)],
                            env=ros_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "labelled with default contact thresholds" in result.stderr, result.stderr
    # a dataset read by the earlier detector (no contact_detector recorded) is not resumed either
    older = tmp_path / "older"
    DatasetWriter(older, info={"objects": "train_000", "trials": 2, "seed": 0, "source": "direct",
                               "gel_model": "calibrated", "gel_change_every": 0, "label_thresholds": "noise"}).close()
    result = subprocess.run([vtg, "collect", "--sim", "--direct", "--workers", "1", "--trials", "2", "--objects",
                             "train_000", "--gel-model", "calibrated", "--resume", "--out", str(older)],
                            env=ros_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "labelled by the rectified contact detector" in result.stderr, result.stderr


@pytest.mark.parametrize("seed", [0, 3])
def test_a_graph_on_calibrated_gels_gives_each_gelsight_node_its_gels_threshold(seed):
    """The graph's label comes from the GelSight nodes: with calibrated gels (the default world) each reads the
    gel on its finger (the sim cell's own pair at its seed) at that gel's threshold, as the bare cells' label
    does; every simulated graph gets them from its sim cell (graph/modes.build_graph), for the collect graph too;
    legacy gels leave the nodes their own threshold; a caller's override still wins."""
    from visuotactile_grasp.graph import build_graph
    from visuotactile_grasp.sim.cell import CellConfig
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    def thresholds(mode, sim_cell, extra=None):
        graph = build_graph(mode, sim=True, overrides={"sim_cell": sim_cell, **(extra or {})})
        nodes = {n.name: n.parameters for n in graph.nodes}
        return tuple(nodes[f"gelsight_{side}"].get("contact_threshold") for side in ("left", "right"))

    cell = MujocoCell(CellConfig(gel_model="calibrated", seed=seed, camera_width=64, camera_height=48),
                      object_id="train_000")  # the sim cell node's gel image size: the thresholds' size
    try:
        expected = cell.contact_thresholds()
    finally:
        cell.close()
    assert thresholds("grasp", {"seed": seed}) == expected == thresholds("collect", {"seed": seed})
    assert thresholds("grasp", {"seed": seed, "gel_model": "legacy"}) == (None, None)
    assert thresholds("grasp", {"seed": seed, "backend": "kinematic", "objects": "v1"}) == (None, None)  # no gels
    assert thresholds("grasp", {"seed": seed}, {"gelsight_left": {"contact_threshold": 9.0}})[0] == 9.0


def test_a_graph_on_object_library_v2_inspects_for_damage():
    """v2 objects can be crushed: the graph's executive and collector inspect after the hold, as the bare cells
    do; on v1 they do not (its objects cannot be damaged)."""
    from visuotactile_grasp.graph import build_graph

    def inspects(mode, node, objects):
        graph = build_graph(mode, sim=True, overrides={"sim_cell": {"objects": objects}})
        return {n.name: n.parameters for n in graph.nodes}[node].get("inspect_damage", False)

    assert inspects("grasp", "grasp_executive", "v2") and inspects("collect", "data_collector", "v2")
    assert not inspects("grasp", "grasp_executive", "v1") and not inspects("collect", "data_collector", "v1")
