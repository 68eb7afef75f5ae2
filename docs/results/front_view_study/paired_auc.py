import sys, numpy as np
from visuotactile_grasp.model.inputs import load_inputs
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import split_by_object
seed = int(sys.argv[1]); suffix = "" if seed == 0 else f"_seed{seed}"
inp = load_inputs("data/label_study_v2cal", ModelConfig(variant="vision", backbone="efficientnet_lite0", front_view="full"), progress=False)
_, val = split_by_object(inp.object_ids, 0.15, seed)
objs, y = inp.object_ids[val], inp.labels[val]
runs = {v: np.load(f"out/fv_study/vision_lite_{v}{suffix}/val_predictions.npz") for v in ("object", "full")}
assert all(np.array_equal(runs[v]["labels"], y) for v in runs)
def auc(s, y):
    pos, neg = s[y > 0.5], s[y <= 0.5]
    if not len(pos) or not len(neg): return np.nan
    return (np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :])) / (len(pos) * len(neg))
base = {v: auc(runs[v]["logits"], y) for v in runs}
rng = np.random.default_rng(0); uo = np.array(sorted(set(objs))); d = []
for _ in range(2000):
    pick = rng.choice(uo, len(uo)); idx = np.concatenate([np.flatnonzero(objs == o) for o in pick])
    a, b = auc(runs["object"]["logits"][idx], y[idx]), auc(runs["full"]["logits"][idx], y[idx])
    if np.isfinite(a) and np.isfinite(b): d.append(a - b)
print(f"seed {seed}: {len(uo)} val objects, {len(y)} examples; AUC object {base['object']:.3f}, full {base['full']:.3f}, "
      f"difference {base['object'] - base['full']:+.3f} [{np.percentile(d, 2.5):+.3f}, {np.percentile(d, 97.5):+.3f}], "
      f"share <= 0: {np.mean(np.array(d) <= 0):.3f}")
