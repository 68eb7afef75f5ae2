"""Feasibility (not a label): at the end of the hold, does the pads' tangential load (what moves the
markers) tell an object that slid down onto the table from a held one? Simulator internals, read
only to decide whether a marker-based label is worth building. Training objects only."""
import json, sys
import numpy as np
from visuotactile_grasp.evaluation import experiments as ex
from visuotactile_grasp.evaluation import bare_cell
from visuotactile_grasp.sim.objects import make_object, object_ids

loads = {}
orig = bare_cell.BareGraspCell.label
def label(self):
    out = orig(self)
    loads["end"] = [self.cell.gel_contact(s)[1:3] for s in ("left", "right")]
    loads["z"] = float(self.cell.obj_z)
    return out
bare_cell.BareGraspCell.label = label

ex._init({}, 0, {}, constant_forces=(5, 20, 40), held_out_gels=False, objects="v2", gel_model="calibrated")
objs = sys.argv[1].split(",") if len(sys.argv) > 1 else object_ids("train")[:20]
rows = []
for o in objs:
    spec = make_object(o, "v2")
    for policy in ("centroid_5N", "cylinder_baseline", "centroid_20N", "centroid_40N"):
        for k in range(3):
            r = ex._attempt((policy, o, k, False, 0))
            if "error" in r:
                continue
            (nl, tl), (nr, tr) = loads["end"]
            rows.append({"object": o, "material": spec.material, "mass_g": round(spec.mass * 1000), "policy": policy,
                         "truth": r["ground_truth"], "label_held": r["held"], "z": loads["z"],
                         "tangential": [float(np.hypot(*tl)), float(np.hypot(*tr))], "normal": [float(nl), float(nr)]})
            print(json.dumps(rows[-1]), flush=True)
