"""The touch-down test, read on the evaluation's bare-cell attempts (object library v2, calibrated gels).

Runs the evaluation's attempt, whose inspection starts with the touch-down (procedure/outcome.py,
collection/direct.touch_down), and records what the touch-down measured: both pads' upward marker
motion (perception/markers.vertical_motion, pixels at 320 wide), before any threshold. The simulator's
truth (held at the end of the hold: both pads touching and the object more than 1 cm up) is read by the
label step, before the touch-down, only to score the test. Usage:

  python touch_down.py OBJECTS POLICIES ATTEMPTS > rows.jsonl    (OBJECTS: ids, or train / easy / hard)
"""
import json
import sys

from visuotactile_grasp.collection import direct
from visuotactile_grasp.evaluation import bare_cell
from visuotactile_grasp.evaluation import experiments as ex
from visuotactile_grasp.sim.objects import make_object, object_ids

seen = {}
label, on_table = bare_cell.BareGraspCell.label, direct.on_table


def label_and_truth(self):
    out = label(self)
    seen["z"], seen["truth_held"] = float(self.cell.obj_z), out[1]
    return out


def read(motions):
    seen["motion"] = [round(float(m), 3) for m in motions]
    return on_table(motions)


bare_cell.BareGraspCell.label, direct.on_table = label_and_truth, read
ex._init({}, 0, {}, constant_forces=(5, 20, 40), held_out_gels=False, objects="v2", gel_model="calibrated")
names = sys.argv[1].split(",")
objects = object_ids(names[0]) if names[0] in ("train", "easy", "hard") else names
for o in objects:
    spec = make_object(o, "v2")
    for policy in sys.argv[2].split(","):
        for k in range(int(sys.argv[3])):
            seen.clear()
            r = ex._attempt((policy, o, k, False, 0))
            if "error" in r:
                continue
            print(json.dumps({"object": o, "material": spec.material, "shape": spec.shape,
                              "mass_g": round(spec.mass * 1000), "policy": policy, "attempt": k, "held": r["held"],
                              "truth_held": seen["truth_held"], "success": r["success"], "truth": r["ground_truth"],
                              "on_table": r["on_table"], "z": round(seen["z"], 4), "motion": seen["motion"]}),
                  flush=True)
