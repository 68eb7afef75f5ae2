"""Fair experiments: interval and test arithmetic on known cases, the paper's centroid baseline, the
settings shared with the robot graph, the lift rule every model can satisfy, candidates kept where
the data was collected, and attempt rows identical for any number of workers."""
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from visuotactile_grasp.evaluation.attempt import AttemptConfig, ConstantForcePolicy, run_attempt
from visuotactile_grasp.evaluation.stats import (mcnemar_exact, paired_comparison, significant,
                                                 wilson_interval)
from visuotactile_grasp.planning.regrasp import (CandidateConfig, GraspRegion, choose, planner_candidates,
                                                 sample_candidates)

ROOT = Path(__file__).resolve().parents[1]


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-3)
    lo, hi = wilson_interval(20, 20)
    assert hi == 1.0 and lo == pytest.approx(0.8389, abs=1e-3)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_exact_mcnemar_known_values():
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)  # all six discordant pairs one way
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)


def _rows(a_held, b_held, objects):
    rows = []
    for o in objects:
        for k, (a, b) in enumerate(zip(a_held[o], b_held[o], strict=True)):
            rows += [{"policy": "a", "object_id": o, "trial": k, "success": a},
                     {"policy": "b", "object_id": o, "trial": k, "success": b}]
    return rows


def test_paired_comparison_over_objects():
    objects = [f"o{i}" for i in range(8)]
    a = {o: [True] * 10 for o in objects}
    b = {o: [True] * 5 + [False] * 5 for o in objects}
    c = paired_comparison(_rows(a, b, objects), "a", "b", objects)
    assert c["n"] == 80 and c["difference"] == pytest.approx(0.5) and c["ci"] == (0.5, 0.5)
    assert c["only_a"] == 40 and c["only_b"] == 0 and significant(c)
    # one object carries the whole difference: the interval over objects is wide and includes zero
    b = {o: [True] * 10 for o in objects}
    b["o0"] = [False] * 10
    c = paired_comparison(_rows(a, b, objects), "a", "b", objects)
    assert c["difference"] == pytest.approx(10 / 80) and c["ci"][0] == 0.0 and not significant(c)


def test_settings_come_from_the_robots_parameter_files(tmp_path, monkeypatch):
    """The bare cells run with the nodes' values: a deployment's change in config/ reaches them (here the
    executive's and planner's own files and the shared lift-test, approach and action-space files)."""
    from visuotactile_grasp import param_files

    config = tmp_path / "config"
    shutil.copytree(param_files.config_dir(), config)
    edits = {"grasp_executive.yaml": ("grasp_executive", {"max_regrasps": 3, "initial_force": 12.0, "yaw_range": 1.0}),
             "regrasp_planner.yaml": ("regrasp_planner", {"candidates": 3000, "lift_margin": 0.05,
                                                          "lift_threshold": 0.8}),
             "lift_test.yaml": ("/**", {"lift_height": 0.12, "hold_time": 3.0}),
             "grasp_approach.yaml": ("/**", {"max_offset": 0.008, "approach_clearance": 0.06}),
             "action_space.yaml": ("/**", {"force_range": [6.0, 35.0]})}
    for name, (section, values) in edits.items():
        data = yaml.safe_load((config / name).read_text()) or {}
        data.setdefault(section, {}).setdefault("ros__parameters", {})
        data[section]["ros__parameters"] = {**(data[section]["ros__parameters"] or {}), **values}
        (config / name).write_text(yaml.safe_dump(data))
    monkeypatch.setattr(param_files, "config_dir", lambda: config)
    cfg = AttemptConfig.from_params_file()
    assert (cfg.max_regrasps, cfg.lift_height, cfg.hold_time, cfg.initial_force) == (3, 0.12, 3.0, 12.0)
    assert (cfg.approach.max_offset, cfg.approach.yaw_range, cfg.approach_clearance) == (0.008, 1.0, 0.06)
    cands = CandidateConfig(**planner_candidates())
    assert (cands.n_random + cands.n_force_sweep, cands.lift_margin, cands.lift_threshold) == (3000, 0.05, 0.8)
    assert cands.force_range == (6.0, 35.0)


def test_a_model_that_never_reaches_the_threshold_still_lifts():
    """Vision alone never reached 0.9 after calibration: the paper's rule made it regrasp to the cap
    on every attempt. It lifts when no regrasp beats keeping the grasp by more than lift_margin."""
    cands = np.array([[0, 0, 0, 0, 0.0], [0, 0, 0, 0, 20.0], [0.01, 0, 0, 0, 5.0], [0, 0.01, 0, 0, -5.0]])
    d = choose(cands, np.array([0.70, 0.78, 0.79, 0.2]), 10.0, CandidateConfig(), minimum_force=False)
    assert d.lift and d.force == pytest.approx(30.0) and d.probability == pytest.approx(0.78)
    d = choose(cands, np.array([0.70, 0.78, 0.85, 0.2]), 10.0, CandidateConfig(), minimum_force=False)
    assert not d.lift and d.action[0] == pytest.approx(0.01)  # a real improvement is still taken
    d = choose(cands, np.array([0.70, 0.78, 0.79, 0.2]), 10.0, CandidateConfig(lift_margin=0.0), minimum_force=False)
    assert not d.lift  # the margin is the only change to the paper's rule
    paper = CandidateConfig(lift_margin=-1.0)  # the threshold alone: regrasp whatever the margin
    assert not choose(cands, np.array([0.70, 0.78, 0.78, 0.2]), 10.0, paper, minimum_force=False).lift
    assert choose(cands, np.array([0.70, 0.95, 0.99, 0.2]), 10.0, paper, minimum_force=False).lift


def test_candidates_stay_in_the_collected_region():
    region = GraspRegion(center_xy=(0.6, 0.0), half_width=0.03, z_low=0.02, z_high=0.05)
    pose = np.array([0.62, 0.0, 0.045, 0.0])  # near the region's edge: many random actions leave it
    cands = sample_candidates(pose, 10.0, np.random.default_rng(0), CandidateConfig(), region)
    target = pose[:3] + cands[:, :3]
    moving = ~np.all(cands[:, :4] == 0, axis=1)
    assert moving.sum() < 4900 and moving.sum() > 100
    assert region.contains(target[moving]).all()
    assert (~moving).sum() == 100  # keeping the grasp (force sweep) is always a candidate


@pytest.fixture(scope="module")
def cell():
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell

    c = MujocoCell()
    yield c
    c.close()


def test_the_baseline_grasps_the_fitted_centroid(cell):
    from visuotactile_grasp.sim.objects import make_object

    cell.start_episode("easy_01", (0, 1, 2))
    result = run_attempt(cell, "easy_01", ConstantForcePolicy(10.0), np.random.default_rng(0))
    spec = make_object("easy_01")
    x, y, z, _ = result["first_grasp"]
    assert np.hypot(x - cell.obj_xy[0], y - cell.obj_xy[1]) < 0.005  # the fitted centre
    assert z == pytest.approx(spec.height / 2, abs=0.006)  # half the fitted height above the table
    assert result["force"] == 10.0 and result["regrasps"] == 0 and result["policy"] == "cylinder_baseline"


def test_an_episode_depends_on_its_key_alone(cell):
    """Whatever ran before, the same key gives the same placement, noise and outcome."""
    cell.start_episode("hard_02", (5, 6, 7))
    first = run_attempt(cell, "hard_02", ConstantForcePolicy(20.0, "c20"), np.random.default_rng(1))
    cell.start_episode("easy_03", (9, 9, 9))
    run_attempt(cell, "easy_03", ConstantForcePolicy(5.0, "c5"), np.random.default_rng(2))
    cell.start_episode("hard_02", (5, 6, 7))
    again = run_attempt(cell, "hard_02", ConstantForcePolicy(20.0, "c20"), np.random.default_rng(1))
    assert first == again


def test_attempt_rows_are_identical_for_one_and_two_workers():
    from visuotactile_grasp.evaluation.experiments import policy_names, run_tasks

    checkpoints = {"tactile_vision": str(ROOT / "models/tactile_vision_small")}
    policies = policy_names(checkpoints, force_only=False)
    tasks = [(p, o, k, False, 3) for o in ("easy_00", "hard_01") for k in range(2) for p in policies]
    candidates = planner_candidates()
    rows = {}
    for workers in (1, 2):
        rows[workers] = run_tasks(tasks, checkpoints, 3, workers, candidates, f"{workers} workers")
        for r in rows[workers]:
            assert "error" not in r, r
            r.pop("plan_seconds")  # wall-clock planning time: the one field that may differ
    assert len(rows[1]) == len(tasks) and rows[1] == rows[2]
    baseline = {(r["object_id"], r["trial"]): r for r in rows[1] if r["policy"] == "cylinder_baseline"}
    learned = {(r["object_id"], r["trial"]): r for r in rows[1] if r["policy"] == "tactile_vision"}
    for key, r in learned.items():  # paired: the same yaw; the learned policy starts off the centroid
        assert r["first_grasp"][3] == baseline[key]["first_grasp"][3]


def test_held_out_gels_are_mounted_per_attempt_alike_for_every_policy():
    """vtg evaluate --held-out-gels: each attempt on gels no gel-changing collection used, drawn from the
    attempt's key, so the policies compared on an attempt meet the same gels."""
    from visuotactile_grasp.evaluation.experiments import run_tasks
    from visuotactile_grasp.sim.gel_inventory import HELD_OUT_GELS, attempt_gels
    from visuotactile_grasp.streams import attempt_key

    tasks = [(p, "easy_00", k, False, 0) for k in range(2) for p in ("cylinder_baseline", "centroid_20N")]
    rows = run_tasks(tasks, {}, 0, 1, planner_candidates(), "held-out gels", (20.0,), held_out_gels=True)
    assert len(rows) == 4 and all("error" not in r for r in rows)
    for r in rows:
        assert tuple(r["gel_ids"]) == attempt_gels(attempt_key(0, "easy_00", r["trial"]))
        assert set(r["gel_ids"]) <= set(HELD_OUT_GELS)


def test_table2_with_intervals_and_paired_tests_from_rows(tmp_path):
    """Every cell with its interval (a perfect 10/10 cell included), the reference's paired
    differences, and a resume that runs only the attempts without a row."""
    from visuotactile_grasp.evaluation.experiments import load_rows, missing_tasks, save_rows, table2

    objects = ["easy_00", "easy_01"]
    held = {"tactile_vision": [True] * 10, "cylinder_baseline": [True] * 6 + [False] * 4,
            "centroid_30N": [True] * 8 + [False] * 2}
    force = {"tactile_vision": 25.0, "cylinder_baseline": 10.0, "centroid_30N": 30.0}  # as the rows record it
    rows = [{"policy": p, "object_id": o, "trial": k, "success": h, "force": force[p]}
            for p, hs in held.items() for o in objects for k, h in enumerate(hs)]
    text, summary = table2(rows, list(held), {"easy": objects}, tmp_path)
    assert "100.0% [" in text and "60.0% [" in text
    assert "100.0% [72, 100]" in text  # one object, 10/10: Wilson
    # the set: a bootstrap over objects (two identical objects leave nothing to resample)
    assert summary["sets"]["easy"]["tactile_vision"]["ci95"] == [1.0, 1.0]
    assert summary["comparisons"]["easy"]["best_constant_force"] == "centroid_30N"
    pairs = {c["b"]: c for c in summary["comparisons"]["easy"]["pairs"]}
    c = pairs["cylinder_baseline"]
    assert c["only_a"] == 8 and c["only_b"] == 0 and c["p_mcnemar"] == pytest.approx(2 / 256)
    # two objects cannot show that a difference generalises: 2 of the 4 sign patterns are as extreme
    assert c["p_objects"] == 0.5 and not c["p_holm"] < 0.05 and "| no |" in text
    assert (tmp_path / "table2.png").stat().st_size > 0 and (tmp_path / "table2.json").exists()
    save_rows(rows[:5], tmp_path, "attempts.jsonl")
    tasks = [(p, o, k, False, 0) for p in held for o in objects for k in range(10)]
    todo = missing_tasks(tasks, load_rows(tmp_path / "attempts.jsonl"))
    assert len(todo) == len(tasks) - 5 and tasks[5] == todo[0]


def test_resume_after_a_run_killed_mid_row(tmp_path):
    """Rows are appended as attempts finish; a run killed while writing its last row loses only that
    attempt (it runs again), and a broken row elsewhere is an error, not silently dropped."""
    from visuotactile_grasp.evaluation.experiments import load_rows

    path = tmp_path / "attempts.jsonl"
    path.write_text('{"policy": "a", "object_id": "easy_00", "trial": 0}\n{"policy": "a", "obj')
    assert load_rows(path) == [{"policy": "a", "object_id": "easy_00", "trial": 0}]
    path.write_text('{"policy": "a", "obj\n{"policy": "a", "object_id": "easy_00", "trial": 0}\n')
    with pytest.raises(ValueError, match="line 1"):
        load_rows(path)


def test_the_val_set_is_the_checkpoints_own_validation_objects(tmp_path):
    from visuotactile_grasp.tools.evaluate import evaluation_objects

    from visuotactile_grasp.model.checkpoint import FORMAT

    (tmp_path / "model.json").write_text(json.dumps({"format": FORMAT, "val_objects": ["train_004", "train_011"]}))
    assert evaluation_objects("val", str(tmp_path)) == ["train_004", "train_011"]
    assert evaluation_objects("hard", str(tmp_path))[0] == "hard_00"
    (tmp_path / "model.json").write_text(json.dumps({"format": FORMAT}))
    with pytest.raises(SystemExit, match="names no validation objects"):
        evaluation_objects("val", str(tmp_path))
    with pytest.raises(SystemExit, match="no checkpoint"):
        evaluation_objects("val", str(tmp_path / "missing"))
    with pytest.raises(SystemExit, match="unknown object split 'vall'"):
        evaluation_objects("vall", str(tmp_path))
