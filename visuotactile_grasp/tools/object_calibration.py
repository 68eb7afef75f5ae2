"""vtg object-calibration: the object sets' calibration table against the paper (issue 15, item 5),
from constant-force and oracle attempts on the bare simulated cell (evaluation/experiments.run_tasks)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..sim.cell import DEFAULT_GEL_MODEL, GEL_MODELS
from ..sim.objects import DEFAULT_LIBRARY, LIBRARIES, object_ids

# what an attempt's row depends on besides its (policy, object, attempt): a resume must match them
RESUME_KEYS = ("object_library", "gel_model", "label", "seed")

NOTE = """Baseline: the paper's cylinder-fit baseline (fitted centroid, 10 N). Best constant force: the
centroid policy of the sweep that held most often on the set, chosen on the set itself. Oracle
(evaluation/bare_cell.OraclePolicy, an evaluation-only reference): closes at the fitted centroid with
the highest force in 5-40 N that stays 30% below the object's true crush force. Success: held (tactile
label), not read on the table by the touch-down, and not seen damaged (procedure/outcome.py). Set rates:
bootstrap 95% interval over objects."""


def run_object_calibration(args) -> int:
    from ..evaluation.experiments import ORACLE, load_rows, missing_tasks, run_tasks, save_rows
    from ..evaluation.object_calibration import calibration, markdown, per_object_markdown
    from .evaluate import git_commit, label_rule

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    forces = [float(f) for f in args.forces.split(",") if f and float(f) != 10.0]
    policies = ["cylinder_baseline"] + [f"centroid_{f:g}N" for f in forces] + [ORACLE]
    sets = {s: object_ids(s)[: args.objects_per_set or None] for s in args.sets.split(",")}
    info = {"command": "vtg " + " ".join(sys.argv[1:]), "commit": git_commit(), "object_library": args.objects_library,
            "attempts_per_object": args.trials, "forces": [10.0] + forces, "seed": args.seed, "workers": args.workers,
            "gel_model": args.gel_model,
            # how the label reads the gels, recorded as evaluate does (sim/mujoco_gels.contact_threshold)
            "label": label_rule(args.gel_model, library=args.objects_library)}
    tasks = [(p, o, k, False, args.seed) for objs in sets.values() for o in objs for k in range(args.trials)
             for p in policies]
    earlier = out / "provenance.json"  # a resumed run's rows must have been made as this run makes them
    if args.resume and (out / "attempts.jsonl").exists():
        first = json.loads(earlier.read_text()) if earlier.exists() else {}
        if "label_thresholds" in first:  # written before the label was recorded as evaluate records it
            first["label"] = {"thresholds": first["label_thresholds"],
                              "contact_detector": first.get("contact_detector")}
        changed = [k for k in RESUME_KEYS if first.get(k) != info[k]]
        if changed:
            print(f"vtg object-calibration --resume: the rows in {out} were made with other settings "
                  f"({', '.join(changed)}; runs before 2026-12 did not record them): use a new --out",
                  file=sys.stderr)
            return 2
    earlier.write_text(json.dumps(info, indent=1))
    rows = load_rows(out / "attempts.jsonl") if args.resume else []
    todo = missing_tasks(tasks, rows)
    t0 = time.monotonic()
    if todo:
        journal = out / "attempts.jsonl"
        if not args.resume:
            journal.write_text("")
        rows = rows + run_tasks(todo, {}, args.seed, args.workers, {}, "calibration attempts", forces,
                                journal=journal, ray_address=args.ray_address, objects=args.objects_library,
                                gel_model=args.gel_model)
    wanted = {(t[0], t[1], t[2]) for t in tasks}  # a resumed run's rows beyond this budget stay out of the table
    rows = sorted((r for r in rows if (r["policy"], r["object_id"], r["trial"]) in wanted),
                  key=lambda r: (r["policy"], r["object_id"], r["trial"]))
    save_rows(rows, out, "attempts.jsonl")
    info["wall_s"], info["errors"] = round(time.monotonic() - t0, 1), sum("error" in r for r in rows)
    cal = calibration(rows, policies, sets)
    table, objects = markdown(cal), per_object_markdown(rows, cal, sets, args.objects_library)
    provenance = "\n".join(f"- {k}: `{v}`" for k, v in info.items())
    (out / "calibration.md").write_text(f"# Object-set calibration, library {args.objects_library}\n\n"
                                        f"{provenance}\n\n{NOTE}\n\n{table}\n\nPer object:\n\n{objects}\n")
    (out / "calibration.json").write_text(json.dumps({"provenance": info, "sets": cal}, indent=1))
    print(f"\n{table}\n\n{objects}\n\nwrote {out}/calibration.md, calibration.json, attempts.jsonl")
    return 0


def add_args(p) -> None:
    from .worker_args import add_worker_args

    p.add_argument("--objects-library", default=DEFAULT_LIBRARY, choices=LIBRARIES)
    p.add_argument("--sets", default="easy,hard")
    p.add_argument("--objects-per-set", type=int, default=0, help="0: all 11")
    p.add_argument("--trials", type=int, default=20, help="attempts per object and policy (the issue asks for 20)")
    p.add_argument("--forces", default="5,10,15,20,30,40",
                   help="the centroid sweep over the grip-force range (N; 10 is the baseline)")
    add_worker_args(p, "attempts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gel-model", default=DEFAULT_GEL_MODEL, choices=GEL_MODELS,
                   help="simulated GelSight images the tactile label is read from (sim/mujoco_gels.py)")
    p.add_argument("--out", default="out/object_calibration")
    p.add_argument("--resume", action="store_true", help="keep the rows already in --out and run the missing ones")
