"""vtg evaluate --sim: the paper's grasping experiments on unseen simulated objects."""
from __future__ import annotations

import json
import time
from pathlib import Path

from ..sim.objects import object_ids


def run_evaluate(args) -> int:
    from ..evaluation.experiments import figures, min_force_report, run_tasks, save_rows, table2

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = {"tactile_vision": args.tactile_vision}
    if args.vision:
        checkpoints["vision"] = args.vision
    policies = ["cylinder_baseline"] + list(checkpoints)
    sets = {s: object_ids(s)[: args.objects_per_set or None] for s in args.sets.split(",")}
    candidates = {"n_random": args.candidates - args.force_sweep, "n_force_sweep": args.force_sweep,
                  "search": args.search}
    t0 = time.monotonic()
    tasks = [(p, o, k, False, args.seed) for objs in sets.values() for o in objs for k in range(args.trials)
             for p in policies]
    rows = run_tasks(tasks, checkpoints, args.seed, args.workers, candidates, "Table II attempts")
    save_rows(rows, out, "attempts.jsonl")
    text = table2(rows, policies, sets, out)
    print("\n" + text)
    if args.min_force_trials:
        obj = args.min_force_object
        tasks = [(p, obj, 1000 + k, mf, args.seed) for k in range(args.min_force_trials)
                 for p, mf in (("tactile_vision", False), ("tactile_vision", True))]
        mrows = run_tasks(tasks, checkpoints, args.seed, args.workers, candidates, "minimum-force attempts")
        save_rows(mrows, out, "min_force_attempts.jsonl")
        print("\n" + min_force_report(mrows, out))
        rows += mrows
    figures(rows, out)
    errors = [r for r in rows if "error" in r]
    plan_times = [t for r in rows for t in r.get("plan_seconds", [])]
    summary = {"attempts": len(rows), "errors": len(errors), "wall_s": time.monotonic() - t0,
               "mean_plan_s": sum(plan_times) / max(len(plan_times), 1)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\n{summary}\nwrote {out}/table2.md, table2.png, min_force.md, min_force_hist.png, "
          f"fig4_success_vs_force.png, fig6_actions.png")
    return 0


def add_args(p) -> None:
    p.add_argument("--sim", action="store_true", help="on the simulated cell (the only choice here)")
    p.add_argument("--tactile-vision", required=True, help="run folder of a trained tactile_vision model")
    p.add_argument("--vision", help="run folder of a trained vision-only model")
    p.add_argument("--sets", default="easy,hard")
    p.add_argument("--objects-per-set", type=int, default=0, help="0: all 11")
    p.add_argument("--trials", type=int, default=10, help="attempts per object and policy")
    p.add_argument("--min-force-object", default="easy_00")
    p.add_argument("--min-force-trials", type=int, default=100, help="0 skips the minimum-force experiment")
    p.add_argument("--candidates", type=int, default=5000)
    p.add_argument("--force-sweep", type=int, default=100)
    p.add_argument("--search", default="random", choices=("random", "cem"), help="candidate search of the planner")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/evaluate")
