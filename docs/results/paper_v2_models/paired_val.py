"""Paired comparison of the shipped paper-scale pair on their common validation objects: AUC and
calibrated accuracy of tactile+vision minus vision, bootstrap over the validation objects (examples of
one object are correlated). Needs data/paper_v2 decoded by `vtg train` (its cache holds the object ids).

    python docs/results/paper_v2_models/paired_val.py
"""
import json
from pathlib import Path

import numpy as np

from visuotactile_grasp.model.calibration import metrics, sigmoid
from visuotactile_grasp.model.train import split_by_object

MODELS = Path("models")
(cache,) = [p for p in Path("data/paper_v2/cache").iterdir() if p.is_dir() and p.name.startswith("inputs_")]
object_ids = np.load(cache / "object_ids.npy")
_, val = split_by_object(object_ids, 0.15, 0)
objects = object_ids[val]
runs = {}
for name in ("tactile_vision_lite0", "vision_lite0"):
    meta = json.loads((MODELS / name / "model.json").read_text())
    assert sorted(set(objects.tolist())) == meta["val_objects"], "not the split the model was validated on"
    z = np.load(MODELS / name / "val_predictions.npz")
    a, b = meta["platt"]
    runs[name] = (sigmoid(a * z["logits"] + b), z["labels"])
(p_tv, y), (p_v, y_v) = runs["tactile_vision_lite0"], runs["vision_lite0"]
assert np.array_equal(y, y_v)
names = sorted(set(objects.tolist()))
rng = np.random.default_rng(0)
diffs = {"auc": [], "accuracy": []}
for _ in range(2000):
    pick = rng.choice(names, len(names))
    idx = np.concatenate([np.flatnonzero(objects == o) for o in pick])
    if 0 < y[idx].mean() < 1:
        m_tv, m_v = metrics(p_tv[idx], y[idx]), metrics(p_v[idx], y[idx])
        for k in diffs:
            diffs[k].append(m_tv[k] - m_v[k])
whole_tv, whole_v = metrics(p_tv, y), metrics(p_v, y)
for k, d in diffs.items():
    lo, hi = np.percentile(d, [2.5, 97.5])
    print(f"{k}: tactile+vision {whole_tv[k]:.3f}, vision {whole_v[k]:.3f}, difference {whole_tv[k] - whole_v[k]:+.3f} "
          f"[{lo:+.3f}, {hi:+.3f}] (bootstrap over {len(names)} objects; {np.mean(np.array(d) <= 0):.1%} of resamples <= 0)")
