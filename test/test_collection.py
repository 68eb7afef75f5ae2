"""Self-supervised collection: the trial plan, its records, bare-cell trials, the collect graph,
and a collection killed with SIGKILL that resumes without losing or repeating a trial."""
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.collection.trial import CollectConfig, Snapshot, TrialObservations, build_records, plan_trial
from visuotactile_grasp.geometry import to_gripper_frame
from visuotactile_grasp.data.store import DatasetReader, DatasetWriter
from visuotactile_grasp.tools.collect import pending_trials, resolve_objects

VTG = str(Path(sys.executable).parent / "vtg")


def test_plan_stays_within_the_papers_ranges():
    rng = np.random.default_rng(1)
    cfg = CollectConfig()
    for _ in range(500):
        plan = plan_trial((0.6, 0.0), 0.0, 0.12, rng, cfg)
        a = plan.action
        assert np.all(np.abs(a[:2]) <= cfg.max_translation + 1e-12)
        assert abs(a[3]) <= cfg.max_rotation + 1e-12
        assert 5.0 <= plan.force <= 40.0 and 5.0 <= plan.regrasp_force <= 40.0
        assert a[4] == pytest.approx(plan.regrasp_force - plan.force)
        # both grasps between the fingertip clearance and just under the top of the object
        for z in (plan.grasp[2], plan.regrasp[2]):
            assert 0.015 - 1e-12 <= z <= 0.11 + 1e-12
        assert np.linalg.norm(plan.motion_gripper_frame) == pytest.approx(np.linalg.norm(a[:3]))


def test_a_fixed_first_force_changes_only_the_first_grasps_force():
    """first_force 10: every first grasp at 10 N (where evaluation's learned policies start), the rest of
    the plan as the random trial of the same seed draws it; a force outside the collected range is refused."""
    from dataclasses import replace

    from visuotactile_grasp.collection.trial import checked_first_force

    random_cfg = CollectConfig()
    fixed_cfg = replace(random_cfg, first_force=10.0)
    for seed in range(20):
        random_plan = plan_trial((0.6, 0.0), 0.0, 0.12, np.random.default_rng(seed), random_cfg)
        fixed_plan = plan_trial((0.6, 0.0), 0.0, 0.12, np.random.default_rng(seed), fixed_cfg)
        assert fixed_plan.force == 10.0 and random_plan.force != 10.0
        np.testing.assert_array_equal(fixed_plan.grasp, random_plan.grasp)
        np.testing.assert_array_equal(fixed_plan.regrasp, random_plan.regrasp)
        assert fixed_plan.regrasp_force == random_plan.regrasp_force
        assert fixed_plan.action[4] == pytest.approx(fixed_plan.regrasp_force - 10.0)
    assert checked_first_force(0.0, (5.0, 40.0)) == 0.0
    with pytest.raises(ValueError, match="within force_range"):
        checked_first_force(45.0, (5.0, 40.0))


def test_gripper_frame_rotates_with_yaw():
    np.testing.assert_allclose(to_gripper_frame([1.0, 0.0, 0.5], math.pi / 2), [0.0, -1.0, 0.5], atol=1e-12)


def _snap(value):
    img = np.full((12, 16, 3), value, np.uint8)
    return Snapshot(rgb=img, depth=np.ones((12, 16), np.float32), gel_left=img, gel_right=img + 1)


def test_three_records_per_trial_with_the_papers_augmentation():
    plan = plan_trial((0.6, 0.0), 0.0, 0.12, np.random.default_rng(0))
    obs = TrialObservations(7, "train_003", plan, _snap(1), _snap(2), _snap(3), _snap(4), _snap(5),
                            success=True, ground_truth_success=True)
    grasp, release, zero = build_records(obs)
    assert [r.kind for r in (grasp, release, zero)] == ["grasp", "release", "zero_motion"]
    assert all(r.success and r.trial_id == 7 for r in (grasp, release, zero))
    np.testing.assert_allclose(grasp.action, plan.action)
    # from the opened gripper (no grip force) the same motion, closing at the same new force
    np.testing.assert_allclose(release.action, [*plan.action[:4], plan.regrasp_force])
    assert release.grip_force == 0.0 and grasp.grip_force == plan.force
    np.testing.assert_allclose(zero.action, np.zeros(5))
    np.testing.assert_allclose(zero.ee_pose, plan.regrasp)
    assert grasp.images["gel_left_during"][0, 0, 0] == 2  # first contact
    assert release.images["gel_left_during"][0, 0, 0] == 3  # the fingers opened from the first grasp
    assert zero.images["gel_left_during"][0, 0, 0] == 4  # after the regrasp
    assert all(r.images["gel_left_before"][0, 0, 0] == 1 and r.images["gel_left_after"][0, 0, 0] == 5
               for r in (grasp, release, zero))


def test_resume_schedule_skips_recorded_trials(tmp_path):
    objects = resolve_objects("train_000,train_001")
    assert pending_trials(tmp_path / "none", 3, objects) == [(1, "train_000"), (2, "train_001"), (3, "train_000")]
    plan = plan_trial((0.6, 0.0), 0.0, 0.12, np.random.default_rng(0))
    obs = TrialObservations(2, "train_001", plan, _snap(1), _snap(2), _snap(3), _snap(4), _snap(5), False, False)
    with DatasetWriter(tmp_path / "ds") as writer:
        for record in build_records(obs):
            writer.append(record)
    assert pending_trials(tmp_path / "ds", 3, objects) == [(1, "train_000"), (3, "train_000")]
    with pytest.raises(ValueError, match="unknown object"):
        resolve_objects("train_000,no_such_object")


def test_bare_cell_trial_labels_from_the_gels_and_agrees_with_ground_truth():
    from visuotactile_grasp.collection.direct import run_trial
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    cell = MujocoCell()
    try:
        outcomes = []
        for i, (object_id, seed) in enumerate((("train_000", 3), ("train_001", 4), ("train_002", 5))):
            obs = run_trial(cell, object_id, i + 1, np.random.default_rng(seed))
            records = build_records(obs)
            assert {k for r in records for k in r.images} >= {"rgb_before", "gel_left_during", "gel_right_after"}
            outcomes.append((obs.success, obs.ground_truth_success))
    finally:
        cell.close()
    assert sum(a == b for a, b in outcomes) == len(outcomes), outcomes


def _records_per_trial(root):
    reader = DatasetReader(root)
    for i in range(len(reader)):
        reader.load(i)  # every record whole and checksummed
    return Counter(e["trial_id"] for e in reader.entries)


def test_killed_collection_resumes_without_losing_or_repeating_trials(ros_env, tmp_path):
    out = tmp_path / "ds"
    cmd = [VTG, "collect", "--sim", "--direct", "--workers", "1", "--trials", "5", "--objects", "train_000,train_004",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, env=ros_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    index = out / "index.jsonl"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and (not index.exists() or index.read_text().count("\n") < 4):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole run, workers included, mid-collection
    proc.wait()
    before = _records_per_trial(out)
    assert before and all(n == 3 for n in before.values()), before
    assert len(before) < 5
    result = subprocess.run(cmd + ["--resume"], env=ros_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    after = _records_per_trial(out)
    assert sorted(after) == [1, 2, 3, 4, 5] and all(n == 3 for n in after.values()), after
    card = (out / "card.md").read_text()
    assert "trials: 5, records: 15" in card and (out / "card_samples.png").exists()
    # a resume that would change the first grasps' force is refused before any trial runs
    refused = subprocess.run(cmd + ["--resume", "--first-force", "10"], env=ros_env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "first_force" in refused.stderr, refused.stderr[-2000:]
    assert _records_per_trial(out) == after
    # the front camera that took the images is recorded: the object view crops with it
    from visuotactile_grasp.data.store import DatasetReader
    from visuotactile_grasp.model.inputs import dataset_camera
    from visuotactile_grasp.sim.cell import CellConfig, front_camera_model

    assert dataset_camera(DatasetReader(out)) == front_camera_model(CellConfig.camera_width, CellConfig.camera_height)
    again = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "--resume" in again.stderr


def test_collect_graph_records_a_trial_through_the_nodes(ros_env, tmp_path):
    out = tmp_path / "ds"
    result = subprocess.run([VTG, "collect", "--sim", "--trials", "1", "--objects", "train_001", "--first-force", "10",
                             "--out", str(out)], env=ros_env, capture_output=True, text=True, timeout=400)
    print(result.stdout[-2000:], result.stderr[-2000:])
    assert result.returncode == 0
    reader = DatasetReader(out)
    assert [e["kind"] for e in reader.entries] == ["grasp", "release", "zero_motion"]
    record = reader.load(0)
    # --first-force reaches the graph's collector as its parameter, and the dataset says so
    assert record.grip_force == 10.0 and reader.info["first_force"] == 10.0
    assert record.images["rgb_before"].shape[2] == 3 and record.images["depth_before"].dtype == np.float32
    assert record.success == record.ground_truth_success
    assert reader.manifest["info"]["source"] == "graph"


def test_collected_records_are_identical_for_one_and_two_workers(ros_env, tmp_path):
    """Trial i's records depend on (seed, i) alone and are written in trial order: the same index and
    the same record files, byte for byte, whether one process or two Ray workers ran the trials."""
    indexes = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = subprocess.run([VTG, "collect", "--sim", "--direct", "--workers", str(workers), "--trials", "6",
                                 "--objects", "train_000,train_004,train_007", "--out", str(out)],
                                env=ros_env, capture_output=True, text=True, timeout=400)
        assert result.returncode == 0, result.stderr[-2000:]
        indexes[workers] = (out / "index.jsonl").read_bytes()
    assert indexes[1].count(b"\n") == 18 and indexes[1] == indexes[2]  # each line holds its record file's sha256


def test_results_are_written_in_trial_order_whatever_order_they_finish_in():
    from visuotactile_grasp.tools.collect import in_trial_order

    finished = [(3, "c"), (1, "a"), (4, "d"), (2, "b")]
    assert [t for t, _ in in_trial_order(iter(finished), [1, 2, 3, 4])] == [1, 2, 3, 4]


def test_gels_change_every_n_trials_and_records_name_the_gels_that_imaged_them(ros_env, tmp_path):
    """gel_change_every 2 over 6 trials: three gel pairs from the schedule, each recorded with the trials
    it imaged; the gels' own backgrounds differ between pairs far more than the noise within one."""
    from visuotactile_grasp.sim.gel_inventory import scheduled_gels

    out = tmp_path / "ds"
    result = subprocess.run([VTG, "collect", "--sim", "--direct", "--workers", "1", "--trials", "6", "--objects",
                             "train_000,train_004", "--gel-change-every", "2", "--out", str(out)],
                            env=ros_env, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    reader = DatasetReader(out)
    assert reader.manifest["info"]["gel_change_every"] == 2
    records = {e["trial_id"]: reader.load(i) for i, e in enumerate(reader.entries) if e["kind"] == "grasp"}
    pairs = [records[t].gel_ids for t in range(1, 7)]
    assert pairs == [scheduled_gels(0, t, 2) for t in range(1, 7)]
    assert pairs[0] == pairs[1] and pairs[2] == pairs[3] and pairs[4] == pairs[5]
    assert len({pairs[0][0], pairs[2][0], pairs[4][0]}) == 3 and len({pairs[0][1], pairs[2][1], pairs[4][1]}) == 3
    assert "trials per gel pair" in (out / "card.md").read_text()
    background = {t: r.images["gel_left_before"].astype(float) for t, r in records.items()}  # nothing touches

    def differ(a, b):
        return np.abs(background[a] - background[b]).mean()
    assert min(differ(1, 3), differ(3, 5), differ(1, 5)) > 2 * max(differ(1, 2), differ(3, 4), differ(5, 6))


def test_a_collector_node_records_the_kinects_model_in_the_dataset_it_starts(ros_env, tmp_path):
    """On the robot the node starts the dataset itself (dataset_dir): it records the front camera's model
    from the Kinect's CameraInfo and the extrinsics (config/front_camera.yaml), so the object view can crop."""
    import rclpy
    from sensor_msgs.msg import CameraInfo
    from std_msgs.msg import Header

    from node_harness import NodeProcess, spin_until
    from visuotactile_grasp import topics
    from visuotactile_grasp.param_files import node_params
    from visuotactile_grasp.perception.camera import camera_from_calibration
    from visuotactile_grasp.ros import qos

    out = tmp_path / "robot_ds"
    proc = NodeProcess("data_collector_node", "data_collector", {"dataset_dir": str(out)}, ros_env,
                       tmp_path / "collector.log")
    rclpy.init()
    node = rclpy.create_node("test_camera_info")
    info = node.create_publisher(CameraInfo, topics.KINECT_DEPTH_INFO, qos.IMAGE)
    k = [500.0, 0.0, 319.5, 0.0, 500.0, 239.5, 0.0, 0.0, 1.0]
    try:
        assert spin_until(node, lambda: info.get_subscription_count(), 60), proc.output()[-2000:]
        info.publish(CameraInfo(header=Header(frame_id="kinect"), width=640, height=480, k=k))
        assert spin_until(node, lambda: (out / "dataset.json").exists(), 30), proc.output()[-2000:]
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()[-2000:]
    p = node_params("data_collector")
    recorded = DatasetReader(out).info["front_camera"]
    assert recorded == camera_from_calibration(k, 640, 480, p["camera_position"], p["camera_orientation"]).to_dict()


def test_a_v2_dataset_labelled_with_the_old_inspection_rule_is_not_resumed(ros_env, tmp_path):
    """An object not found after the put-down is a failure now (procedure/outcome.INSPECTION_RULE); a v2 dataset
    that counted it intact (no inspection recorded) is not continued with the new rule."""
    from visuotactile_grasp.perception.tactile import CONTACT_DETECTOR
    from visuotactile_grasp.procedure.outcome import INSPECTION_RULE

    out = tmp_path / "old"
    DatasetWriter(out, info={"objects": "train_000", "trials": 2, "seed": 0, "source": "direct",
                             "gel_model": "calibrated", "gel_change_every": 0, "label_thresholds": "noise",
                             "contact_detector": CONTACT_DETECTOR, "object_library": "v2"}).close()
    result = subprocess.run([VTG, "collect", "--sim", "--direct", "--workers", "1", "--trials", "2", "--objects",
                             "train_000", "--resume", "--out", str(out)], env=ros_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "inspection rule not_found_is_intact" in result.stderr, result.stderr
    assert INSPECTION_RULE in result.stderr
