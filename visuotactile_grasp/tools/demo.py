"""The main job on the simulated robot: the grasp graph, a few attempts, what happened.

Until the learned planner lands (issues 5/6) the attempts use the paper's
cylinder-fitting baseline (constant 10 N); the graph is the full grasp graph.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .graph_session import GraphSession


def write_contact_sheets(out_dir: Path) -> list[Path]:
    """What the front camera and both gels saw at each step of two scripted trials (no ROS),
    and our gel images beside the real and published references in ../shared/peer_data."""
    import cv2

    from ..sim.mujoco_cell import MujocoCell
    from ..sim.scripted_trial import contact_sheet, run_trial

    cell = MujocoCell(object_id="train_000")
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


def run_demo(attempts: int, objects: str, out: str) -> int:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in write_contact_sheets(out_dir):
        print(f"wrote {path}")
    object_ids = [o.strip() for o in objects.split(",") if o.strip()]
    rows = []
    t0 = time.monotonic()
    with GraphSession("grasp", sim=True, log_dir=str(out_dir / "logs")) as session:
        print(f"grasp graph: {len(session.graph.nodes)} nodes, each its own process "
              f"(ROS_DOMAIN_ID={session.env['ROS_DOMAIN_ID']}, logs in {session.log_dir})")
        if not session.wait_until_up(90.0):
            print(session.monitor.report())
            print("demo: not every node came up", file=sys.stderr)
            return 1
        with tqdm(total=len(object_ids) * attempts, desc="grasp attempts", unit="attempt") as bar:
            for object_id in object_ids:
                for _ in range(attempts):
                    outcome = session.execute_grasp(object_id, "cylinder_baseline")
                    rows.append(outcome)
                    bar.set_postfix(success=f"{sum(r.success for r in rows)}/{len(rows)}")
                    bar.update()
        session.spin_for(1.0)
        report = session.monitor.report()
        silent = session.monitor.silent_edges()
    lines = ["| object | attempt | success (tactile label) | ground truth | force N | regrasps | reason |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.object_id} | {r.trial_id} | {'yes' if r.success else 'no'} | "
                     f"{'held' if r.ground_truth_success else 'dropped'} | {r.grip_force:.1f} | {r.num_regrasps} | "
                     f"{r.failure_reason or '-'} |")
    table = "\n".join(lines)
    agree = sum(r.success == r.ground_truth_success for r in rows)
    summary = (f"\n{len(rows)} attempts, {sum(r.success for r in rows)} successful, tactile label agrees with "
               f"ground truth {agree}/{len(rows)}; {time.monotonic() - t0:.0f} s wall")
    print("\npolicy: cylinder_baseline (constant 10 N; the learned planner arrives with issues 5/6)")
    print(table + summary)
    print("\n" + report)
    clean = session.clean_shutdown()
    print(f"\nshutdown: {'clean' if clean else 'NOT clean'} {session.exit_codes}")
    (out_dir / "report.md").write_text(f"# vtg demo\n\n{table}\n{summary}\n\n```\n{report}\n```\n")
    if silent:
        print(f"demo: edges without messages: {silent}", file=sys.stderr)
        return 1
    return 0 if clean else 1
