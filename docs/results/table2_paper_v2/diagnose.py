"""Why the paper-scale policies lose in closed loop: the attempts of this Table II broken down by cause.

Reads attempts.jsonl (written by `vtg evaluate`) and the object library (simulator truth, used here only
to explain outcomes, never as a model input); writes diagnosis.md next to it.

    python docs/results/table2_paper_v2/diagnose.py [folder]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from visuotactile_grasp.sim.objects import make_object

LEARNED = ("tactile_vision", "tactile_vision_force_only", "vision", "vision_force_only")
POLICIES = ("cylinder_baseline", "initial_10N") + LEARNED + ("centroid_20N",)
SWEEP_FORCES = (5, 10, 15, 20, 30, 40)


def cause_table(rows: list[dict]) -> list[str]:
    """Per set and policy: success as scored (the tactile label, not seen damaged), the simulator's crushes
    whatever the label said, the crushes the label scored as successes, and failures without a crush."""
    out = ["| set | policy | attempts | success (as scored) | crushed (simulator) | of which scored success "
           "| failed, not crushed | mean final force, N | regrasps per attempt |",
           "|---|---|---|---|---|---|---|---|---|"]
    for subset in sorted({r["object_id"].split("_")[0] for r in rows}):
        for policy in POLICIES:
            sel = [r for r in rows if r["policy"] == policy and r["object_id"].startswith(subset)]
            if not sel:
                continue
            n = len(sel)
            pairs = [(bool(r["success"]), bool(r.get("ground_truth_damaged"))) for r in sel]
            out.append(f"| {subset} | {policy} | {n} | {sum(s for s, _ in pairs) / n:.0%} | "
                       f"{sum(c for _, c in pairs) / n:.0%} | {sum(s and c for s, c in pairs) / n:.0%} | "
                       f"{sum(not s and not c for s, c in pairs) / n:.0%} | "
                       f"{np.mean([r['force'] for r in sel]):.1f} | {np.mean([r['regrasps'] for r in sel]):.2f} |")
    return out


def sweep_curve(sel: list[dict]) -> list[float]:
    """The mean probability the model gave the first grasp kept in place at each force (its first force
    sweep), at SWEEP_FORCES."""
    curves = []
    for r in sel:
        if r.get("first_sweep"):
            forces, probs = (np.asarray(v, float) for v in r["first_sweep"])
            curves.append([probs[np.argmin(np.abs(forces - f))] for f in SWEEP_FORCES])
    return list(np.mean(curves, axis=0)) if curves else [float("nan")] * len(SWEEP_FORCES)


def object_table(rows: list[dict]) -> list[str]:
    head = " | ".join(f"p@{f} N" for f in SWEEP_FORCES)
    out = [f"| object | material | crush force, N | baseline 10 N: success | tactile+vision: success / crushed / "
           f"force | vision: success / crushed / force | tactile+vision model, first grasp kept: {head} |",
           "|---|---|---|---|---|---|" + "---|" * len(SWEEP_FORCES)]
    for obj in sorted({r["object_id"] for r in rows}):
        spec = make_object(obj, "v2")
        cells = []
        for policy in ("tactile_vision", "vision"):
            sel = [r for r in rows if r["policy"] == policy and r["object_id"] == obj]
            if not sel:
                cells.append("-")
                continue
            cells.append(f"{np.mean([r['success'] for r in sel]):.0%} / "
                         f"{np.mean([bool(r.get('ground_truth_damaged')) for r in sel]):.0%} / "
                         f"{np.mean([r['force'] for r in sel]):.0f}")
        base = np.mean([r["success"] for r in rows if r["policy"] == "cylinder_baseline" and r["object_id"] == obj])
        curve = sweep_curve([r for r in rows if r["policy"] == "tactile_vision" and r["object_id"] == obj])
        crush = "-" if not spec.fragile else f"{spec.crush_force:.1f}"
        out.append(f"| {obj} | {spec.material} | {crush} | {base:.0%} | {cells[0]} | {cells[1]} | "
                   + " | ".join(f"{p:.2f}" for p in curve) + " |")
    return out


def fragile_summary(rows: list[dict]) -> list[str]:
    out = []
    for policy in ("tactile_vision", "vision"):
        for fragile in (True, False):
            sel = [r for r in rows if r["policy"] == policy and make_object(r["object_id"], "v2").fragile == fragile]
            if not sel:
                continue
            curve = sweep_curve(sel)
            best = SWEEP_FORCES[int(np.argmax(curve))]
            out.append(f"- {policy}, {'fragile' if fragile else 'unbreakable'} objects ({len(sel)} attempts): mean "
                       f"final force {np.mean([r['force'] for r in sel]):.1f} N; first-sweep probability at "
                       + ", ".join(f"{f} N {p:.2f}" for f, p in zip(SWEEP_FORCES, curve, strict=True))
                       + f" (highest at {best} N)")
    return out


def motion_summary(rows: list[dict]) -> list[str]:
    """Where the chosen motions lie in the action box, and what the model expected of each regrasp against
    what it saw next (the best probability it found at the state that regrasp led to)."""
    out = []
    for policy in ("tactile_vision", "vision"):
        sel = [r for r in rows if r["policy"] == policy]
        if not sel:
            continue
        moves = np.array([a for r in sel for a in r["actions"] if any(a[:4])])
        edge = [(np.abs(moves[:, i]) >= 0.019).mean() for i in range(3)]
        edge.append((np.abs(moves[:, 3]) >= np.radians(15)).mean())
        out.append(f"- {policy}: {len(moves)} regrasps with motion; within 1 mm of the +/-2 cm bound: x {edge[0]:.0%}, "
                   f"y {edge[1]:.0%}, z {edge[2]:.0%}; yaw within 2 degrees of +/-17: {edge[3]:.0%} (5%, 5%, 5% "
                   f"and 12% for motions drawn uniformly, as the collection does)")
        for k in range(4):
            pairs = [(r["probabilities"][k], r["probabilities"][k + 1]) for r in sel
                     if len(r["probabilities"]) > k + 1 and r["probabilities"][k] is not None]
            if pairs:
                chosen, after = np.mean(pairs, axis=0)
                out.append(f"  - regrasp {k + 1} ({len(pairs)} attempts): probability of the chosen regrasp "
                           f"{chosen:.2f}, best probability found at the state it led to {after:.2f}")
    return out


def main(folder: Path) -> None:
    rows = [json.loads(line) for line in (folder / "attempts.jsonl").open()]
    text = ["# Diagnosis: why the learned policies lose (generated by diagnose.py)", "",
            "Outcome of every attempt. 'success' as the evaluation scored it (the tactile label, and not seen "
            "damaged at the inspection); 'crushed' is the simulator's truth that the object collapsed, whatever "
            "the label said (the inspection can miss it: 'of which scored success').", ""]
    text += cause_table(rows) + ["", "## By object", "",
                                 "Material and crush force are simulator truth (no model sees them). The "
                                 "probabilities are the tactile+vision model's, for keeping its first grasp in "
                                 "place at each force, averaged over the object's attempts.", ""]
    text += object_table(rows) + ["", "## Force preference, fragile against unbreakable objects", ""]
    text += fragile_summary(rows) + ["", "## Motions and repeated regrasps", ""]
    text += motion_summary(rows) + [""]
    (folder / "diagnosis.md").write_text("\n".join(text))
    print("\n".join(text))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
