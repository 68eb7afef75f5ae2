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


def test_the_executive_reads_the_table_under_an_object_that_slid(ros_env, tmp_path):
    """train_042 in v2, a 757 g hard-plastic cylinder, gripped at its centroid at 5 N (the baseline's force
    set to 5 N), slides down through the fingers and stands on the table, the gels still touching it (bare
    cells: 0.5 mm off the table, the markers up 16.5 px in all, docs/results/label_touch_down/). The
    executive's touch-down reads the GelSight nodes' marker motion and fails the grasp, as bare cells do.
    The graph's physics is not the bare cells' to the digit: its cylinder fit and set-points vary a little
    from run to run (more under load), and a slip amplifies that: in 10 runs (6 beside six busy processes)
    it slid 9 times, read 9.5 to 19.4 px 8 times and 0.0 px once (loaded), and hung once (read -14 px).
    Hence the assertion: the label agrees with the simulator's truth, and the table is read when it slid.
    Not the glass bottle train_009 (the earlier subject): at 10 N it stops tilted 6-9 mm off the table, on
    the edge of the truth's 1 cm, and still hung at the read in 2 of 8 loaded runs; at 5 N one pad often
    loses contact and an idle run read 2.6 px, under the 3.2 px threshold."""
    from visuotactile_grasp.procedure.outcome import ON_TABLE_SEEN
    from visuotactile_grasp.streams import attempt_key
    from visuotactile_grasp.tools.graph_session import GraphSession

    overrides = {"grasp_executive": {"inspect_damage": True, "max_regrasps": 0, "first_grasp": "centroid",
                                     "initial_force": 5.0},
                 "regrasp_planner": {"baseline_force": 5.0},
                 "sim_cell": {"objects": "v2", "gel_model": "calibrated"}}
    with GraphSession("grasp", sim=True, log_dir=str(tmp_path / "logs"), overrides=overrides) as session:
        assert session.wait_until_up(120), session.monitor.report()
        outcome = session.execute_grasp("train_042", "cylinder_baseline", trial_id=1,
                                        episode_key=attempt_key(0, "train_042", 0))
    logs = "\n".join(p.read_text()[-3000:] for p in (tmp_path / "logs").glob("*executive*"))
    assert outcome.grip_force == 5.0 and outcome.ground_truth_success is not None
    assert outcome.success == outcome.ground_truth_success, (outcome, logs)
    if not outcome.ground_truth_success:
        assert outcome.failure_reason == ON_TABLE_SEEN, (outcome, logs)
