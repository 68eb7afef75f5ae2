"""Table I's cross-validation by object: folds never share an object, every row gets an out-of-fold
accuracy with an interval over objects and tactile+vision's paired difference to it."""
import json

import numpy as np

from test_model import SMALL, synthetic_inputs
from visuotactile_grasp.model.crossval import ROWS, object_folds, run_crossval
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import TrainConfig


def test_folds_partition_the_objects():
    objects = np.array([f"train_{i % 8:03d}" for i in range(96)])
    folds = object_folds(objects, 3, seed=0)
    assert set().union(*folds) == set(objects.tolist()) and sum(len(f) for f in folds) == 8


def test_crossval_reports_intervals_paired_differences_and_provenance(tmp_path):
    inputs = synthetic_inputs(n=96)
    summary = run_crossval(inputs, ModelConfig(variant="tactile_vision", **SMALL),
                           TrainConfig(iterations=6, batch_size=8, lr=1e-3, lr_drop_at=4, checkpoint_every=6),
                           tmp_path, k=2, progress=False, header="- command: `vtg crossval ...`\n")
    data = json.loads((tmp_path / "crossval.json").read_text())
    acc, versus = data["intervals"]["accuracy"], data["intervals"]["versus_tactile_vision"]
    assert set(acc) == set(ROWS) and set(versus) == set(ROWS) - {"tactile_vision"}
    for row in acc.values():
        lo, hi = row["ci95"]
        assert 0.0 <= lo <= row["rate"] <= hi <= 1.0
    for row in versus.values():
        assert row["n"] == len(inputs) and row["ci95"][0] <= row["difference"] <= row["ci95"][1]
    # the majority row predicts one class for every test example of a fold
    assert acc["majority"]["rate"] == sum(summary["majority"]["folds"][i]["accuracy"] * n for i, n in
                                          enumerate([len(inputs) // 2] * 2)) / len(inputs)
    table = (tmp_path / "table1.md").read_text()
    assert "vtg crossval" in table and "95% CI over objects" in table and "| majority |" in table


def test_sign_flip_test_is_exact_for_few_objects_and_estimated_for_many():
    from visuotactile_grasp.evaluation.stats import sign_flip_p

    rng = np.random.default_rng(1)
    assert 0 < sign_flip_p(rng.normal(0.05, 0.1, 14)) <= 1
    many = rng.normal(0.0, 0.1, 65)  # no effect: not significant
    assert sign_flip_p(many) > 0.05
    shifted = many + 0.08  # a clear effect over 65 objects: as small as the estimate can go
    assert sign_flip_p(shifted) < 1e-3
    # the estimate agrees with the exact value where both can be computed (16 objects)
    from visuotactile_grasp.evaluation import stats

    sixteen = rng.normal(0.03, 0.1, 16)
    exact16 = stats.sign_flip_p(sixteen)
    old, stats.EXACT_SIGN_FLIP_MAX = stats.EXACT_SIGN_FLIP_MAX, 8
    try:
        assert abs(stats.sign_flip_p(sixteen) - exact16) < 0.01
    finally:
        stats.EXACT_SIGN_FLIP_MAX = old


def test_intervals_for_a_table_of_many_objects():
    """Table I has 65 objects: the paired test must not refuse them (it did, after all the training)."""
    from visuotactile_grasp.model.crossval import object_intervals

    rng = np.random.default_rng(0)
    objects = np.array([f"train_{i:03d}" for i in range(65) for _ in range(10)])
    y = rng.random(len(objects)) > 0.4
    good = np.where(rng.random(len(objects)) < 0.8, y, ~y).astype(float)
    pooled = {"tactile_vision": {"cal": [good], "y": [y.astype(float)], "obj": [objects], "raw": [good]},
              "majority": {"cal": [np.ones(len(y))], "y": [y.astype(float)], "obj": [objects], "raw": []}}
    out = object_intervals(pooled)
    assert out["versus_tactile_vision"]["majority"]["p_objects"] < 0.01
    assert out["accuracy"]["tactile_vision"]["ci95"][0] > 0.7


def test_mcnemar_handles_thousands_of_discordant_pairs():
    from visuotactile_grasp.evaluation.stats import mcnemar_exact

    assert mcnemar_exact(3, 3) == 1.0 and 0 < mcnemar_exact(10, 2) < 0.05
    assert mcnemar_exact(1500, 1500) == 1.0
    assert mcnemar_exact(1400, 1600) < 1e-3 and mcnemar_exact(0, 3000) == 0.0
