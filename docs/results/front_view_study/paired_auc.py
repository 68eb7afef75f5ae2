import json, numpy as np
from visuotactile_grasp.model.inputs import load_inputs
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import split_by_object
from visuotactile_grasp.model.calibration import metrics
inp = load_inputs("data/label_study_v2cal", ModelConfig(variant="vision", backbone="efficientnet_lite0", front_view="full"), progress=False)
_, val = split_by_object(inp.object_ids, 0.15, 0)
objs = inp.object_ids[val]
runs = {v: np.load(f"out/fv_study/vision_lite_{v}/val_predictions.npz") for v in ("object", "full")}
assert all(np.array_equal(runs[v]["labels"], inp.labels[val]) for v in runs)
def auc(s, y):
    pos, neg = s[y > 0.5], s[y <= 0.5]
    if not len(pos) or not len(neg): return np.nan
    return (np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :])) / (len(pos) * len(neg))
y = inp.labels[val]
base = {v: auc(runs[v]["logits"], y) for v in runs}
print("AUC", base, "diff", base["object"] - base["full"], "objects", len(set(objs)), "examples", len(y), "success rate", y.mean())
rng = np.random.default_rng(0); uo = np.array(sorted(set(objs))); d = []
for _ in range(2000):
    pick = rng.choice(uo, len(uo)); idx = np.concatenate([np.flatnonzero(objs == o) for o in pick])
    a = auc(runs["object"]["logits"][idx], y[idx]); b = auc(runs["full"]["logits"][idx], y[idx])
    if np.isfinite(a) and np.isfinite(b): d.append(a - b)
print("paired by-object bootstrap of the AUC difference: 95%% [%.3f, %.3f], P(diff<=0)=%.3f" % (np.percentile(d, 2.5), np.percentile(d, 97.5), np.mean(np.array(d) <= 0)))
