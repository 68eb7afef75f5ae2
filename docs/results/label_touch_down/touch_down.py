"""The touch-down test, read on the evaluation's bare-cell attempts (a study, not yet the label of any cell).

After the 4 s hold, before the inspection's put-down, the hand is lowered DEPTH and held SETTLE s; each
gel is rendered and perception/markers.table_support reads the dots' vertical motion from the gel's
background. The simulator's truth (held at the end of the hold: both pads touching and the object more
than 1 cm up) is read before the touch-down, only to score the test. Usage:

  python touch_down.py OBJECTS POLICIES ATTEMPTS > rows.jsonl    (OBJECTS: ids, or train / easy / hard)
"""
import json
import sys

import numpy as np

from visuotactile_grasp.collection import direct
from visuotactile_grasp.evaluation import bare_cell
from visuotactile_grasp.evaluation import experiments as ex
from visuotactile_grasp.perception.markers import vertical_motion
from visuotactile_grasp.procedure.outcome import LIFT_HEIGHT
from visuotactile_grasp.sim.objects import make_object, object_ids

DEPTH, SETTLE = 0.01, 0.3  # m lowered, s waited
seen = {}
label = bare_cell.BareGraspCell.label


def label_then_touch_down(self):
    out = label(self)  # the label and the truth at the end of the hold, as the evaluation reads them
    seen["z"], seen["truth_held"] = float(self.cell.obj_z), out[1]
    self.cell.command_ee(self._grasp + np.array([0.0, 0.0, LIFT_HEIGHT - DEPTH, 0.0]))
    direct.run_for(self.cell, SETTLE)
    after = direct.gel_snapshot(self.cell)
    seen["motion"] = [round(vertical_motion(getattr(self.background, f"gel_{s}"), getattr(after, f"gel_{s}")), 3)
                      for s in ("left", "right")]
    return out


bare_cell.BareGraspCell.label = label_then_touch_down
ex._init({}, 0, {}, constant_forces=(5, 20, 40), held_out_gels=False, objects="v2", gel_model="calibrated")
names = sys.argv[1].split(",")
objects = object_ids(names[0]) if names[0] in ("train", "easy", "hard") else names
for o in objects:
    spec = make_object(o, "v2")
    for policy in sys.argv[2].split(","):
        for k in range(int(sys.argv[3])):
            seen.clear()
            r = ex._attempt((policy, o, k, False, 0))
            if "error" in r or "motion" not in seen:
                continue
            print(json.dumps({"object": o, "material": spec.material, "shape": spec.shape,
                              "mass_g": round(spec.mass * 1000), "policy": policy, "attempt": k, "held": r["held"],
                              "truth_held": seen["truth_held"], "success": r["success"],
                              "truth": r["ground_truth"], "z": round(seen["z"], 4), "motion": seen["motion"]}),
                  flush=True)
