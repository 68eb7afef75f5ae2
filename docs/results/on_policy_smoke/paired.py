import numpy as np
from visuotactile_grasp.evaluation.stats import mcnemar_exact
from visuotactile_grasp.data.store import DatasetReader
def trials(d):
    r = DatasetReader(d); out = {}
    for i, e in enumerate(r.entries):
        if e["kind"] == "grasp":
            rec = r.load(i, images=False)
            out[e["trial_id"]] = (e["object_id"], bool(e["success"]), bool(e["ground_truth_success"]), rec.chosen_by, rec.ee_pose.round(4).tolist(), rec.grip_force)
    return out
a, b = trials("out/onpolicy_smoke"), trials("out/random_pair")
assert a.keys() == b.keys()
same = all(a[k][0] == b[k][0] and a[k][4] == b[k][4] and a[k][5] == b[k][5] for k in a)
print("same objects and first grasps:", same)
for label, idx in (("label", 1), ("truth", 2)):
    pol = np.array([a[k][idx] for k in sorted(a)]); ran = np.array([b[k][idx] for k in sorted(a)])
    chosen = np.array([a[k][3] == "policy" for k in sorted(a)])
    for name, m in (("all 60", np.ones_like(chosen)), ("policy-chosen", chosen)):
        p, r_ = pol[m], ran[m]
        b10, b01 = int(np.sum(p & ~r_)), int(np.sum(~p & r_))
        pv = mcnemar_exact(b10, b01)
        print(f"{label} {name}: on-policy {p.mean():.3f} ({p.sum()}/{len(p)}), random {r_.mean():.3f} ({r_.sum()}/{len(r_)}); discordant {b10}/{b01}, exact McNemar p={pv:.3f}")
