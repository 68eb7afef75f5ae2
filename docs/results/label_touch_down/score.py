"""Score the touch-down test: the training objects' rows choose nothing here (the threshold is
perception/markers.SUPPORT_SHIFT_PX); the test objects' baseline rows are scored against the truth of the
object-set calibration's same attempts (read at the end of the hold, before any touch-down could move the
object). Prints markdown."""
import json
import sys
from pathlib import Path

from visuotactile_grasp.perception.markers import SUPPORT_SHIFT_PX

HERE = Path(__file__).parent
REF = HERE.parent / "object_calibration_v2_not_found" / "attempts.jsonl"


def rows(name):
    return [json.loads(line) for line in (HERE / name).read_text().splitlines()]


train = rows("train_rows.jsonl")
held = [r for r in train if r["held"]]
moved = lambda r: sum(r["motion"])  # noqa: E731
print(f"threshold: {SUPPORT_SHIFT_PX} px (summed over both pads, at 320 px wide)\n")
print("| training objects, labelled held | attempts | summed upward motion | read as on the table |")
print("|---|---|---|---|")
for name, sel in (("held (truth)", [r for r in held if r["truth_held"]]),
                  ("on the table (truth)", [r for r in held if not r["truth_held"]])):
    m = sorted(moved(r) for r in sel)
    print(f"| {name} | {len(sel)} | {m[0]:.2f} to {m[-1]:.2f} | {sum(v > SUPPORT_SHIFT_PX for v in m)} |")
ref = {(r["object_id"], r["trial"]): r for r in map(json.loads, REF.read_text().splitlines())
       if r["policy"] == "cylinder_baseline"}
print("\n| test set, 10 N centroid baseline | attempts | label today | label with the touch-down | truth "
      "| label wrong today | with the touch-down |")
print("|---|---|---|---|---|---|---|")
for s, target in (("easy", 76.0), ("hard", 67.0)):
    rs = rows(f"{s}_baseline_rows.jsonl")
    truth = [ref[(r["object"], r["attempt"])]["ground_truth"] for r in rs]
    today = [ref[(r["object"], r["attempt"])]["success"] for r in rs]
    touch = [r["success"] and moved(r) <= SUPPORT_SHIFT_PX for r in rs]
    pct = lambda v: f"{100 * sum(v) / len(v):.1f}% ({100 * sum(v) / len(v) - target:+.1f})"  # noqa: E731
    print(f"| {s} | {len(rs)} | {pct(today)} | {pct(touch)} | {pct(truth)} | "
          f"{sum(a != b for a, b in zip(today, truth))} | {sum(a != b for a, b in zip(touch, truth))} |")
    if "-v" in sys.argv:
        for r, t, tr in zip(rs, touch, truth):
            if t != tr:
                print(f"    {r['object']} #{r['attempt']}: touch-down label {t}, truth {tr}, z {r['z']}, motion {r['motion']}")
