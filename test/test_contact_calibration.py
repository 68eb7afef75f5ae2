"""Each simulated gel reads contact at its own calibrated threshold (sim/mujoco_gels.contact_threshold):
a threshold from its image of a reference press, as a real GelSight is calibrated by closing on a known
object. One threshold for all left the gels of the `gelsight` calibration, whose optics answer about half
as strongly, blind to light contacts (docs/results/object_calibration_v2_calibrated_gels/)."""
import numpy as np
import pytest

from visuotactile_grasp.perception.tactile import CONTACT_THRESHOLD, calibrated_threshold, detect_contact
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


def test_the_median_training_gel_keeps_the_default_threshold():
    median = float(np.median([contact_threshold(g) for g in TRAINING_GELS]))
    assert median == pytest.approx(CONTACT_THRESHOLD, rel=0.02)


def test_a_press_that_leaves_no_image_cannot_calibrate():
    blank = np.full((60, 80, 3), 90, np.uint8)
    with pytest.raises(ValueError, match="no image"):
        calibrated_threshold(blank, blank)


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
    legacy = MujocoCell(CellConfig())
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
                             "gel_model": "calibrated", "gel_change_every": 0}).close()
    vtg = str(Path(sys.executable).parent / "vtg")
    result = subprocess.run([vtg, "collect", "--sim", "--direct", "--workers", "1", "--trials", "2", "--objects",
                             "train_000", "--gel-model", "calibrated", "--resume", "--out", str(out)],
                            env=ros_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "labelled with default contact thresholds" in result.stderr, result.stderr


@pytest.mark.parametrize("seed", [0, 3])
def test_a_graph_on_calibrated_gels_gives_each_gelsight_node_its_gels_threshold(seed):
    """The graph's label comes from the GelSight nodes: with calibrated gels each reads the gel on its finger
    (the sim cell's own pair at its seed) at that gel's threshold, as the bare cells' label does."""
    from visuotactile_grasp.sim.cell import CellConfig, graph_sim_overrides
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    overrides = graph_sim_overrides("calibrated", seed)
    cell = MujocoCell(CellConfig(gel_model="calibrated", seed=seed, camera_width=64, camera_height=48,
                                 gel_width=64, gel_height=48), object_id="train_000")
    try:
        assert (overrides["gelsight_left"]["contact_threshold"],
                overrides["gelsight_right"]["contact_threshold"]) == cell.contact_thresholds()
    finally:
        cell.close()
    assert overrides["sim_cell"] == {"seed": seed, "gel_model": "calibrated"}
    assert set(graph_sim_overrides("legacy", seed)) == {"sim_cell"}  # legacy gels: the nodes' own threshold
