"""vtg graph-check: the same attempts through the grasp graph and on bare cells, compared.

Both run procedure/attempt.py; what differs is everything around it: separate node processes, DDS,
the arm node's set-point stream in lockstep with the simulated cell, the WSG-50 TCP driver, the
GelSight and Kinect streams, the cylinder fitter and the planner node. Attempt k on object o gets
the same object placement and initial grasp on both sides (streams.attempt_key: the sim cell node
places the object from the key, the executive draws the initial grasp from it). Not shared: the
gels' noise (the graph's gels stream at 30 Hz, so the noise is drawn at other times), the planner
node's candidate samples (its own stream) and the timing of physics against commands. The rates
should agree within their intervals; the paired table says how often single attempts agree.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..procedure.outcome import GRASP_FAILURES
from ..sim.cell import DEFAULT_GEL_MODEL
from ..sim.objects import DEFAULT_LIBRARY, LIBRARIES
from .graph_session import GraphSession

GRAPH = "@graph"


def graph_rows(policy: str, checkpoint: str, objects: list[str], attempts: list[int], seed: int,
               log_dir: Path, gel_model: str = DEFAULT_GEL_MODEL, library: str = DEFAULT_LIBRARY) -> list[dict]:
    """One row per attempt through the grasp graph, in evaluation's row format (policy + '@graph')."""
    from ..streams import attempt_key

    overrides = {"grasp_executive": {"seed": seed, "first_grasp": "centroid" if not checkpoint else "initial"},
                 "sim_cell": {"seed": seed, "gel_model": gel_model, "objects": library}}  # the graph adds the rest
    if checkpoint:
        overrides["regrasp_planner"] = {"policy": policy, "checkpoint": str(Path(checkpoint).resolve())}
    rows = []
    with GraphSession("grasp", sim=True, log_dir=str(log_dir), overrides=overrides) as session:
        if not session.wait_until_up(120.0):
            raise RuntimeError(f"the grasp graph did not come up:\n{session.monitor.report()}")
        with tqdm(total=len(objects) * len(attempts), desc=f"{policy} through the graph", unit="attempt") as bar:
            for object_id in objects:
                for k in attempts:
                    t0 = time.monotonic()
                    o = session.execute_grasp(object_id, policy, trial_id=k,
                                              episode_key=attempt_key(seed, object_id, k))
                    row = {"policy": policy + GRAPH, "object_id": object_id, "trial": k,
                           "force": float(o.grip_force), "regrasps": int(o.num_regrasps),
                           "first_grasp": [float(v) for v in o.first_grasp], "wall_s": time.monotonic() - t0}
                    if o.failure_reason and o.failure_reason not in GRASP_FAILURES:
                        row["error"] = o.failure_reason  # a step failed: not a grasp outcome (as on bare cells)
                    else:
                        row.update(success=bool(o.success), ground_truth=bool(o.ground_truth_success))
                    rows.append(row)
                    bar.set_postfix(success=f"{sum(r.get('success', False) for r in rows)}/{len(rows)}")
                    bar.update()
        if not session.clean_shutdown():
            print(f"graph-check: the {policy} graph did not shut down cleanly {session.exit_codes}", file=sys.stderr)
    return rows


def report(rows: list[dict], policies: list[str], objects: list[str], header: str) -> str:
    from ..evaluation.experiments import success_summary
    from ..evaluation.stats import paired_comparison, pair_outcomes

    lines = [header, "| policy | bare cells | through the graph | graph - bare [95% CI] | attempts agreeing | "
             "p (objects) | McNemar p |", "|---|---|---|---|---|---|---|"]

    def cell(s):
        return f"{s['held']}/{s['n']} = {100 * s['rate']:.0f}% [{100 * s['ci95'][0]:.0f}, {100 * s['ci95'][1]:.0f}]"
    for p in policies:
        bare, graph = success_summary(rows, p, objects), success_summary(rows, p + GRAPH, objects)
        c = paired_comparison(rows, p + GRAPH, p, objects)
        agree = sum(a == b for _, a, b in pair_outcomes(rows, p + GRAPH, p, objects))
        lines.append(f"| {p} | {cell(bare)} | {cell(graph)} | {100 * c['difference']:+.1f} "
                     f"[{100 * c['ci'][0]:+.0f}, {100 * c['ci'][1]:+.0f}] | {agree}/{c['n']} | {c['p_objects']:.3g} | "
                     f"{c['p_mcnemar']:.2f} |")
    lines.append("\nThe interval is a percentile bootstrap over objects; when every disagreement goes one way it "
                 "cannot reach zero, so read it with the exact sign-flip test over objects (p (objects)).")
    offsets = first_grasp_offsets(rows, policies)
    if len(offsets):
        lines.append(f"\nFirst grasps, graph against bare cell, over {len(offsets)} paired attempts: position "
                     f"median {1000 * np.median(offsets[:, 0]):.1f} mm, largest {1000 * offsets[:, 0].max():.1f} mm; "
                     f"yaw largest {np.degrees(offsets[:, 1].max()):.2f} deg (the fit sees other depth noise).")
    return "\n".join(lines) + "\n\n" + (__doc__ or "").split("\n\n", 1)[1]


def first_grasp_offsets(rows: list[dict], policies: list[str]) -> np.ndarray:
    """(position distance m, |yaw difference| rad) between the graph's and the bare cell's first grasp
    of each paired attempt."""
    first = {(r["policy"], r["object_id"], r["trial"]): r.get("first_grasp") for r in rows}
    out = []
    for (policy, object_id, k), graph in first.items():
        bare = first.get((policy.removesuffix(GRAPH), object_id, k))
        if policy.endswith(GRAPH) and graph and bare and np.all(np.isfinite(graph)):
            g, b = np.asarray(graph), np.asarray(bare)
            out.append((np.linalg.norm(g[:3] - b[:3]), abs(math.remainder(g[3] - b[3], 2 * math.pi))))
    return np.array(out).reshape(-1, 2)


def run_graph_check(args) -> int:
    from ..evaluation.experiments import run_tasks, save_rows, trained_gel_model
    from ..planning.regrasp import planner_candidates
    from ..sim.objects import object_ids
    from .evaluate import provenance

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    objects = [o for s in args.objects.split(",") for o in object_ids(s)[: args.objects_per_set or None]]
    attempts = list(range(1, args.trials + 1))  # trial_id 0 means "the node numbers it" in ExecuteGrasp
    checkpoints = {"tactile_vision": args.tactile_vision}
    policies = ["cylinder_baseline", "tactile_vision"]
    header, info = provenance(args, checkpoints)
    t0 = time.monotonic()
    tasks = [(p, o, k, False, args.seed) for p in policies for o in objects for k in attempts]
    rows = run_tasks(tasks, checkpoints, args.seed, args.workers, planner_candidates(), "bare-cell attempts",
                     ray_address=args.ray_address, objects=args.objects_library)
    for p in policies:
        rows += graph_rows(p, checkpoints.get(p, ""), objects, attempts, args.seed, out / "logs" / p,
                           trained_gel_model(checkpoints), args.objects_library)
    save_rows(rows, out, "attempts.jsonl")
    text = report(rows, policies, objects, f"# The grasp graph against bare cells\n\n{header}")
    (out / "graph_check.md").write_text(text)
    (out / "provenance.json").write_text(json.dumps({**info, "wall_s": time.monotonic() - t0}, indent=1, default=str))
    print(text)
    return 0


def add_args(p) -> None:
    p.add_argument("--tactile-vision", required=True, help="run folder of a trained tactile_vision model")
    p.add_argument("--objects", default="easy,hard", help="object sets, comma-separated (easy, hard, train)")
    p.add_argument("--objects-per-set", type=int, default=0, help="0: every object of the set")
    p.add_argument("--objects-library", default=DEFAULT_LIBRARY, choices=LIBRARIES,
                   help="object library of both the graph's sim cell and the bare cells (sim/objects.py)")
    p.add_argument("--trials", type=int, default=2, help="attempts per object and policy")
    p.add_argument("--seed", type=int, default=0)
    from .worker_args import add_worker_args

    add_worker_args(p, "bare-cell attempts")
    p.add_argument("--out", default="out/graph_check")
