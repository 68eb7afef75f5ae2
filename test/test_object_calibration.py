"""The oracle's force choice (a pure function of the object spec) and the calibration table's pass/fail
logic on hand-made rows (issue 15, item 5). No simulation."""
import math
from dataclasses import replace

from visuotactile_grasp.evaluation.bare_cell import ConstantForcePolicy, OraclePolicy, oracle_force
from visuotactile_grasp.evaluation.object_calibration import calibration, markdown
from visuotactile_grasp.sim.objects import make_object


def test_oracle_force_stays_below_crush_and_in_range():
    cup = make_object("train_000", "v2")  # thin-walled cup, crush 15 N
    assert cup.fragile and oracle_force(cup) == 0.7 * cup.crush_force < cup.crush_force
    assert oracle_force(replace(cup, crush_force=math.inf)) == 40.0  # nothing to crush: the most force
    assert oracle_force(replace(cup, crush_force=6.0)) == 5.0  # never below the gripper's range
    assert oracle_force(make_object("easy_00", "v1")) == 40.0  # v1: no object crushes
    chosen = OraclePolicy("v2").for_object("train_000")
    assert chosen == ConstantForcePolicy(oracle_force(cup), "oracle", "centroid")


def _rows(policy, objects, rates, force, n=10):
    return [{"policy": policy, "object_id": o, "trial": k, "success": k < round(r * n), "force": force}
            for o, r in zip(objects, rates, strict=True) for k in range(n)]


def test_calibration_pass_fail():
    objects = [f"easy_{i:02d}" for i in range(4)]
    rows = (_rows("cylinder_baseline", objects, (1.0, 1.0, 0.9, 0.2), 10.0)  # 77.5%
            + _rows("centroid_30N", objects, (1.0, 1.0, 1.0, 0.5), 30.0)  # 87.5%
            + _rows("oracle", objects, (1.0,) * 4, 20.0))
    c = calibration(rows, ["cylinder_baseline", "centroid_30N", "oracle"], {"easy": objects})["easy"]
    assert c["objects_near_100"] == 3 and c["objects_below_30"] == 1 and c["best_constant"] == "centroid_30N"
    assert c["checks"] == {"baseline_within_6_points": True, "spread_some_near_100_some_below_30": True,
                           "best_constant_below_85": False, "oracle_at_least_95": True}
    assert "**FAIL**" in markdown({"easy": c})
    # hard: 67% +- 6 points; 50% is out
    hard = [f"hard_{i:02d}" for i in range(2)]
    rows = _rows("cylinder_baseline", hard, (0.5, 0.5), 10.0) + _rows("oracle", hard, (0.9, 0.9), 5.0)
    h = calibration(rows, ["cylinder_baseline", "oracle"], {"hard": hard})["hard"]["checks"]
    assert h["baseline_within_6_points"] is False and h["oracle_at_least_95"] is False
    assert h["spread_some_near_100_some_below_30"] is False


def test_a_resume_with_rows_read_by_another_label_is_refused(ros_env, tmp_path):
    """Rows made with other gels, another label rule or detector, or before runs recorded them, would mix
    two yardsticks in one table: object-calibration and evaluate refuse to resume them."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    vtg = str(Path(sys.executable).parent / "vtg")
    out = tmp_path / "cal"
    out.mkdir()
    (out / "attempts.jsonl").write_text('{"policy": "cylinder_baseline", "object_id": "easy_00", "trial": 0}\n')
    cmd = [vtg, "object-calibration", "--objects-library", "v2", "--gel-model", "calibrated", "--trials", "1",
           "--workers", "1", "--resume", "--out", str(out)]
    result = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "did not record them" in result.stderr, result.stderr
    (out / "provenance.json").write_text(json.dumps({"object_library": "v2", "gel_model": "legacy",
                                                     "label_thresholds": "default", "contact_detector": "signed_blur",
                                                     "seed": 0}))
    result = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "(gel_model, label;" in result.stderr, result.stderr  # an old flat record

    from visuotactile_grasp.paths import models_dir

    ev = tmp_path / "ev"
    cmd = [vtg, "evaluate", "--sim", "--tactile-vision", str(models_dir() / "tactile_vision_small"), "--sets", "easy",
           "--objects-per-set", "1", "--trials", "1", "--constant-forces", "", "--no-force-only",
           "--min-force-trials", "0", "--candidates", "100", "--objects-library", "v1", "--out", str(ev)]  # its world
    assert subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=300).returncode == 0
    provenance = json.loads((ev / "provenance.json").read_text())
    assert provenance["label"] == {"thresholds": "default", "contact_detector": "signed_blur"}
    del provenance["label"]  # a run from before the label was recorded: the rectified detector
    (ev / "provenance.json").write_text(json.dumps(provenance))
    result = subprocess.run(cmd + ["--resume"], env=ros_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "other settings (label)" in result.stderr, result.stderr
