"""The main job on the simulated robot: the grasp graph, a few attempts, what happened.

Until the learned planner lands (issues 5/6) the attempts use the paper's
cylinder-fitting baseline (constant 10 N); the graph is the full grasp graph.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm

from .graph_session import GraphSession


def run_demo(attempts: int, objects: str, out: str) -> int:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
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
