"""Score the touch-down test. Training objects: what it measured, held against standing on the table by
the simulator's truth (the threshold, perception/markers.SUPPORT_SHIFT_PX, was chosen on these rows). Test
objects: the 10 N centroid baseline of the object-set calibration before the touch-down
(../object_calibration_v2_not_found/) and with it (../object_calibration_v2_touch_down/), the same
attempts. Prints markdown."""
import json
from pathlib import Path

from visuotactile_grasp.perception.markers import SUPPORT_SHIFT_PX

HERE = Path(__file__).parent


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


held = [r for r in rows(HERE / "train_rows.jsonl") if r["held"]]
print(f"threshold: {SUPPORT_SHIFT_PX} px (summed over both pads, at 320 px wide)\n")
print("| training objects (65), labelled held by contact | attempts | summed upward motion (px) | read as on the table |")
print("|---|---|---|---|")
for name, sel in (("held (truth)", [r for r in held if r["truth_held"]]),
                  ("on the table (truth)", [r for r in held if not r["truth_held"]])):
    m = sorted(sum(r["motion"]) for r in sel)
    print(f"| {name} | {len(sel)} | {m[0]:.2f} to {m[-1]:.2f} | {sum(v > SUPPORT_SHIFT_PX for v in m)} |")
before, after = (rows(HERE.parent / d / "attempts.jsonl")
                 for d in ("object_calibration_v2_not_found", "object_calibration_v2_touch_down"))
print("\n| test set, 10 N centroid baseline (20 attempts x 11 objects) | label before | label with the touch-down "
      "| truth | label wrong before | with the touch-down |")
print("|---|---|---|---|---|---|")
for s, target in (("easy", 76.0), ("hard", 67.0)):
    b, a = ([r for r in rs if r["policy"] == "cylinder_baseline" and r["object_id"].startswith(s)]
            for rs in (before, after))
    pct = lambda rs, k: f"{100 * sum(r[k] for r in rs) / len(rs):.1f}% ({100 * sum(r[k] for r in rs) / len(rs) - target:+.1f})"  # noqa: E501,E731
    wrong = lambda rs: sum(r["success"] != r["ground_truth"] for r in rs)  # noqa: E731
    print(f"| {s} (paper {target:.0f}%) | {pct(b, 'success')} | {pct(a, 'success')} | {pct(a, 'ground_truth')} "
          f"| {wrong(b)} | {wrong(a)} |")
print(f"\nAll 3,080 attempts of each run: label wrong {sum(r['success'] != r['ground_truth'] for r in before)} "
      f"before, {sum(r['success'] != r['ground_truth'] for r in after)} with the touch-down; read on the table "
      f"{sum(bool(r.get('on_table')) for r in after)}, of which held by the truth "
      f"{sum(bool(r.get('on_table')) and r['ground_truth'] for r in after)}.")
