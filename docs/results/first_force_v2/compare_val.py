"""The first10 model against the on-policy model on the checkpoints' validation objects, paired attempt by attempt.

Both evaluations ran the same command (seed, objects, held-out gels) with one model each, so attempt k on an
object starts from the same pose, gels and first grasp; the model-free rows must come out identical, which
this checks first. By the tactile label (what a robot measures) and by the simulator's truth.

    python docs/results/first_force_v2/compare_val.py NEW/attempts.jsonl OLD/attempts.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from visuotactile_grasp.evaluation.stats import holm, paired_comparison

LEARNED = ("tactile_vision", "tactile_vision_force_only")
FIELDS = ("success", "ground_truth", "damaged", "force", "first_grasp", "gel_ids")


def load(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).open()]


def main(new_path: str, old_path: str) -> str:
    new, old = load(new_path), load(old_path)
    key = lambda r: (r["policy"], r["object_id"], r["trial"])  # noqa: E731
    a = {key(r): [r.get(f) for f in FIELDS] for r in new if r["policy"] not in LEARNED}
    b = {key(r): [r.get(f) for f in FIELDS] for r in old if r["policy"] not in LEARNED}
    common = a.keys() & b.keys()
    lines = [f"Model-free attempts in both runs: {len(common)} compared, {sum(a[k] != b[k] for k in common)} differ.",
             "", "| outcome | comparison | attempts | difference, points [95% bootstrap over objects] | only a / only b "
             "| p (sign-flip over objects) | p Holm |", "|---|---|---|---|---|---|---|"]
    objects = sorted({r["object_id"] for r in new})
    results = []
    for outcome in ("success", "ground_truth"):
        rows = [dict(r, policy=r["policy"] + "_first10", success=r[outcome]) for r in new if r["policy"] in LEARNED]
        rows += [dict(r, policy=r["policy"] + "_onpolicy", success=r[outcome]) for r in old if r["policy"] in LEARNED]
        rows += [dict(r, success=r[outcome]) for r in new if r["policy"] not in LEARNED]
        for x, y in (("tactile_vision_first10", "tactile_vision_onpolicy"),
                     ("tactile_vision_force_only_first10", "tactile_vision_force_only_onpolicy"),
                     ("tactile_vision_first10", "cylinder_baseline"), ("tactile_vision_onpolicy", "cylinder_baseline"),
                     ("tactile_vision_first10", "initial_10N"), ("tactile_vision_onpolicy", "initial_10N")):
            results.append((outcome, paired_comparison(rows, x, y, objects)))
    for (outcome, c), p_holm in zip(results, holm([c["p_objects"] for _, c in results]), strict=True):
        lo, hi = c["ci"]
        lines.append(f"| {'label' if outcome == 'success' else 'truth'} | {c['a']} - {c['b']} | {c['n']} | "
                     f"{100 * c['difference']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] | {c['only_a']} / {c['only_b']} "
                     f"| {c['p_objects']:.3f} | {p_holm:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = main(*(sys.argv[1:3] or ("val_first10/attempts.jsonl", "val_onpolicy/attempts.jsonl")))
    print(text)
