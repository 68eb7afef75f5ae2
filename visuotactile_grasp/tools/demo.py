"""The main job on the simulated robot: the grasp graph with the learned planner on unseen objects.

The simulated world is the default one (calibrated gels, object library v2: sim/cell.py), and the planner
loads the paper-scale tactile+vision checkpoint shipped in models/ that was trained in it (DEMO_MODELS;
models/README.md); attempts run through every node. A short paired comparison on bare cells (same initial
grasps for each policy) then prints the success table of tactile+vision, vision-only and the cylinder-fitting
baseline.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..param_files import node_params
from ..streams import attempt_key
from .graph_session import GraphSession

# The shipped checkpoints the demo runs (models/README.md): the paper's sequence at its last step (random and
# on-policy data, frozen ImageNet EfficientNet-Lite0 stacks), trained in the default simulated world
DEMO_MODELS = {"tactile_vision": "tactile_vision_lite0_onpolicy", "vision": "vision_lite0_onpolicy"}


def write_contact_sheets(out_dir: Path) -> list[Path]:
    """What the front camera and both gels saw at each step of two scripted trials (no ROS),
    and our gel images beside the real and published references in ../shared/peer_data."""
    import cv2

    from ..sim.mujoco_cell import MujocoCell
    from ..sim.scripted_trial import contact_sheet, run_trial

    from ..sim.cell import CellConfig

    # v1's train_000: the sheets show the gels under a firm and a weak grasp, not v2's cup crushing at 15 N
    cell = MujocoCell(CellConfig(objects="v1"), object_id="train_000")
    written = []
    try:
        for object_id, force in (("train_000", 25.0), ("train_000", 2.0)):
            result = run_trial(cell, object_id, force=force, hold_s=4.0, render=True)
            path = out_dir / f"contact_sheet_{object_id}_{force:.0f}N.png"
            cv2.imwrite(str(path), contact_sheet(result)[..., ::-1])
            written.append(path)
        reference = Path(__file__).resolve().parents[2].parent / "shared" / "peer_data" / "gelsight"
        if reference.is_dir():
            ours = [cell.gels["left"].render(None), result_frames_gel(cell)]
            refs = [cv2.imread(str(reference / n))[..., ::-1] for n in
                    ("real_background_gelsight.jpg", "taxim_sim_cylinder_press.jpg") if (reference / n).exists()]
            tiles = [cv2.resize(t, (320, 240)) for t in refs + ours]
            sheet = np.concatenate([np.concatenate(tiles[:2], axis=1), np.concatenate(tiles[2:4], axis=1)], axis=0)
            bar = np.zeros((28, sheet.shape[1], 3), np.uint8)
            cv2.putText(bar, "top: real background | Taxim press   bottom: ours, background | press",
                        (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
            path = out_dir / "gelsight_vs_reference.png"
            cv2.imwrite(str(path), np.concatenate([bar, sheet], axis=0)[..., ::-1])
            written.append(path)
    finally:
        cell.close()
    return written


def result_frames_gel(cell) -> np.ndarray:
    """A cylinder pressed into the left gel, for the side-by-side."""
    from ..sim.scripted_trial import run_trial

    run_trial(cell, "train_000", force=30.0, hold_s=0.2)
    return cell.render_gel("left")


def run_demo(attempts: int, objects: str, out: str, policy: str = "tactile_vision", checkpoint: str = "",
             compare_trials: int = 5) -> int:
    from ..paths import models_dir

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in write_contact_sheets(out_dir):
        print(f"wrote {path}")
    object_ids = [o.strip() for o in objects.split(",") if o.strip()]
    overrides = {}
    if policy != "cylinder_baseline":
        if not checkpoint and policy not in DEMO_MODELS:
            print(f"demo: no shipped model for policy {policy!r}; pass --checkpoint", file=sys.stderr)
            return 2
        checkpoint = checkpoint or str(models_dir() / DEMO_MODELS[policy])
        overrides = {"regrasp_planner": {"policy": policy, "checkpoint": str(Path(checkpoint).resolve())}}
    rows = []
    t0 = time.monotonic()
    with GraphSession("grasp", sim=True, log_dir=str(out_dir / "logs"), overrides=overrides) as session:
        print(f"grasp graph: {len(session.graph.nodes)} nodes, each its own process "
              f"(ROS_DOMAIN_ID={session.env['ROS_DOMAIN_ID']}, logs in {session.log_dir})")
        if not session.wait_until_up(90.0):
            print(session.monitor.report())
            print("demo: not every node came up", file=sys.stderr)
            return 1
        seed = int(node_params("grasp_executive")["seed"])  # the executive's: the same attempt k on both sides
        with tqdm(total=len(object_ids) * attempts, desc="grasp attempts", unit="attempt") as bar:
            for object_id in object_ids:
                for k in range(1, attempts + 1):  # attempt k meets the placement and grasp evaluation's k does
                    outcome = session.execute_grasp(object_id, policy, trial_id=k,
                                                    episode_key=attempt_key(seed, object_id, k))
                    rows.append(outcome)
                    bar.set_postfix(success=f"{sum(r.success for r in rows)}/{len(rows)}")
                    bar.update()
        session.spin_for(1.0)
        report = session.monitor.report()
        silent = session.monitor.silent_edges()
    lines = ["| object | attempt | success (tactile label) | ground truth | force N | regrasps | p at lift | reason |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.object_id} | {r.trial_id} | {'yes' if r.success else 'no'} | "
                     f"{'held' if r.ground_truth_success else 'dropped'} | {r.grip_force:.1f} | {r.num_regrasps} | "
                     f"{r.final_probability:.2f} | "
                     f"{r.failure_reason or '-'} |")
    table = "\n".join(lines)
    agree = sum(r.success == r.ground_truth_success for r in rows)
    summary = (f"\n{len(rows)} attempts, {sum(r.success for r in rows)} successful, tactile label agrees with "
               f"ground truth {agree}/{len(rows)}; {time.monotonic() - t0:.0f} s wall")
    print(f"\npolicy through the graph: {policy} {overrides.get('regrasp_planner', {}).get('checkpoint', '')}")
    print(table + summary)
    print("\n" + report)
    clean = session.clean_shutdown()
    print(f"\nshutdown: {'clean' if clean else 'NOT clean'} {session.exit_codes}")
    comparison = ""
    if compare_trials and policy != "cylinder_baseline":
        comparison = compare_policies(object_ids, compare_trials, out_dir / "compare")
    (out_dir / "report.md").write_text(f"# vtg demo\n\n{table}\n{summary}\n\n```\n{report}\n```\n\n"
                                       f"## Paired comparison on bare cells\n\n{comparison}\n")
    if silent:
        print(f"demo: edges without messages: {silent}", file=sys.stderr)
        return 1
    return 0 if clean else 1


def compare_policies(object_ids: list[str], trials: int, out: Path) -> str:
    """Table II in miniature: the same placements and initial grasps for each policy, on bare simulated
    cells, with 95% intervals and paired tests (a few attempts rarely separate the policies: it says so)."""
    from ..evaluation.experiments import policy_names, run_tasks, table2
    from ..planning.regrasp import planner_candidates
    from ..evaluation.stats import significant

    out.mkdir(parents=True, exist_ok=True)
    from ..paths import models_dir

    checkpoints = {v: str(models_dir() / name) for v, name in DEMO_MODELS.items()
                   if (models_dir() / name / "model.json").exists()}
    policies = policy_names(checkpoints, force_only=False)
    tasks = [(p, o, k, False, 0) for o in object_ids for k in range(1, trials + 1) for p in policies]
    rows = run_tasks(tasks, checkpoints, 0, 2, planner_candidates(), "paired comparison")
    sets = {s: [o for o in object_ids if o.startswith(s)] for s in ("easy", "hard", "train") if
            any(o.startswith(s) for o in object_ids)}
    text, summary = table2(rows, policies, sets, out)
    undecided = [f"{c['a']} vs {c['b']} on {name}" for name, comp in summary["comparisons"].items()
                 for c in comp["pairs"] if c["n"] and not significant(c)]
    note = (f"\nNot significant at 5% with {trials} attempts per object: {', '.join(undecided)}. "
            "`vtg evaluate --sim` runs 20 per object on all 22 unseen objects.") if undecided else ""
    print(f"\npaired comparison on bare cells ({trials} attempts per object and policy):\n{text}{note}")
    return text + note
