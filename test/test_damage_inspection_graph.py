"""The damage inspection through the node graph (ros/robot_steps.put_down_and_refit): the collector and the
executive put the object down after the hold, look again and fit the cylinder, as bare cells do, and the
sim cell publishes its crush truth beside its held truth. hard_00 in object library v2 is foam crushing
at 7.4 N: the paper's 10 N baseline crushes it (20 of 20 on bare cells, all seen by the refit)."""
import subprocess
import sys
from pathlib import Path

from visuotactile_grasp.data.store import DatasetReader
from visuotactile_grasp.procedure.outcome import DAMAGE_SEEN
from visuotactile_grasp.sim.objects import make_object

VTG = str(Path(sys.executable).parent / "vtg")


def test_graph_collection_on_v2_inspects_every_trial(ros_env, tmp_path):
    assert make_object("hard_00", "v2").crush_force < 8.0
    out = tmp_path / "ds"
    result = subprocess.run([VTG, "collect", "--sim", "--trials", "2", "--objects", "hard_00", "--objects-library",
                             "v2", "--gel-model", "calibrated", "--out", str(out)],
                            env=ros_env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    reader = DatasetReader(out)
    assert reader.manifest["info"]["object_library"] == "v2"
    grasps = [reader.load(i) for i, e in enumerate(reader.entries) if e["kind"] == "grasp"]
    assert len(grasps) == 2
    for record in grasps:
        assert record.ground_truth_damaged is not None, "the sim's crush truth never reached the collector"
        if record.damaged:
            assert not record.success  # a crush seen by the refit fails the label, held or not
    assert any(r.damaged is not None for r in grasps), "no trial was refitted after the put-down"
    assert any(r.ground_truth_damaged for r in grasps)  # forces of 5 N and up: foam crushing at 7.4 N


def test_the_executive_sees_the_baseline_crush_foam(ros_env, tmp_path):
    from visuotactile_grasp.tools.graph_session import GraphSession

    overrides = {"grasp_executive": {"inspect_damage": True, "max_regrasps": 0, "hold_time": 1.0},
                 "sim_cell": {"objects": "v2"}}
    with GraphSession("grasp", sim=True, log_dir=str(tmp_path / "logs"), overrides=overrides) as session:
        assert session.wait_until_up(120), session.monitor.report()
        outcome = session.execute_grasp("hard_00", "cylinder_baseline", trial_id=1)
    assert outcome.grip_force == 10.0 and outcome.ground_truth_success is False
    assert not outcome.success and outcome.failure_reason == DAMAGE_SEEN, outcome


def test_the_executive_reads_the_weight_of_a_held_glass_from_the_gelsight_nodes(ros_env, tmp_path):
    """The touch-down through the graph: the executive lowers the hand, reads each GelSight node's
    TactileContact.marker_motion_up once the arm's state is 6 mm down, and decides. train_009 in v2, a 1.2 kg
    glass bottle, held at 40 N hangs from the pads: its weight pulls the markers down the fingers (bare
    cells: -6.7 and -5.4 px), so the nodes' sign convention (up_in_image) and the read's timing show in
    a clearly negative sum, and the grasp stays a success.
    Why not a slide onto the table here: through the graph a slip is not the bare cells' to the digit (the
    cylinder fit and the arm's set-points vary a little from run to run, more under load), and the slides
    tried read inconsistently: train_009 at 10 N still hung at the read in 2 of 8 loaded runs, at 5 N read
    2.6 px (under the 3.2 px threshold) in one of two idle runs, and train_042 at 5 N read -9.6 px under a
    slide once (docs/results/label_touch_down/, Limits). The rule on a slide is tested on bare cells
    (test_object_library.test_the_touch_down_reads_a_glass_that_slid_onto_the_table)."""
    import re

    from visuotactile_grasp.streams import attempt_key
    from visuotactile_grasp.tools.graph_session import GraphSession

    overrides = {"grasp_executive": {"inspect_damage": True, "max_regrasps": 0, "first_grasp": "centroid",
                                     "initial_force": 40.0},
                 "regrasp_planner": {"baseline_force": 40.0},
                 "sim_cell": {"objects": "v2", "gel_model": "calibrated"}}
    with GraphSession("grasp", sim=True, log_dir=str(tmp_path / "logs"), overrides=overrides) as session:
        assert session.wait_until_up(120), session.monitor.report()
        outcome = session.execute_grasp("train_009", "cylinder_baseline", trial_id=1,
                                        episode_key=attempt_key(0, "train_009", 0))
    logs = "\n".join(p.read_text() for p in (tmp_path / "logs").glob("*executive*"))
    assert outcome.grip_force == 40.0 and outcome.ground_truth_success, (outcome, logs[-3000:])
    assert outcome.success, (outcome, logs[-3000:])
    [read] = re.findall(r"touch-down: markers moved up (-?[\d.]+), (-?[\d.]+) px", logs)
    assert sum(float(m) for m in read) < -4.0, read  # the weight, read from both nodes' markers
