"""vtg evaluate --sim: the paper's grasping experiments on unseen simulated objects."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from ..planning.planner_defaults import LIFT_RULES, SEARCHES

from ..sim.objects import DEFAULT_LIBRARY, LIBRARIES, object_ids


def git_commit() -> str:
    """The commit the code runs from, marked when tracked files have uncommitted changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def label_rule(gel_model: str, recorded: bool = True, library: str = "v1") -> dict:
    """How a run's outcome is read: the gels' threshold rule (sim/cell.label_thresholds), the contact
    detector (perception/tactile.CONTACT_DETECTOR; for rows of a run that did not record it, recorded=False,
    UNRECORDED_DETECTOR) and, on crushable objects (library v2), the inspection's rule
    (procedure/outcome.INSPECTION_RULE; OLD_INSPECTION_RULE for rows that did not record it). A resumed run must
    read them as the rows already there were read."""
    from ..perception.tactile import CONTACT_DETECTOR, UNRECORDED_DETECTOR
    from ..procedure.outcome import INSPECTION_RULE, OLD_INSPECTION_RULE
    from ..sim.cell import label_thresholds

    rule = {"thresholds": label_thresholds(gel_model),
            "contact_detector": CONTACT_DETECTOR if recorded else UNRECORDED_DETECTOR}
    if library != "v1":
        rule["inspection"] = INSPECTION_RULE if recorded else OLD_INSPECTION_RULE
    return rule


def provenance(args, checkpoints: dict) -> tuple[str, dict]:
    """The command, the git commit, what each checkpoint is (from its model.json) and the object library (always
    named: the default changed, v1 until 963d18b, then v2)."""
    from ..model import checkpoint

    models = {}
    for name, run in checkpoints.items():
        meta = checkpoint.read_meta(run)
        models[name] = {"run": str(run), "config": meta.get("config"), "step": meta.get("step"),
                        "platt": meta.get("platt"), "weights_sha256": meta.get("weights_sha256"),
                        "train_objects": len(meta.get("train_objects", [])), "data": meta.get("data"),
                        "lift": meta.get("lift")}
    from ..evaluation.experiments import trained_gel_model

    info = {"command": "vtg " + " ".join(sys.argv[1:]), "commit": git_commit(), "models": models,
            "gel_model": trained_gel_model(checkpoints), "object_library": args.objects_library}
    lines = [f"- command: `{info['command']}`", f"- commit: `{info['commit']}`",
             f"- simulated gels: {info['gel_model']} (as the models' training data)"]
    for name, m in models.items():
        c = m["config"] or {}
        lines.append(f"- {name}: `{m['run']}`, backbone {c.get('backbone')}, {c.get('image_size')} px, action/fusion "
                     f"{c.get('action_hidden')}/{c.get('fusion_hidden')}, step {m['step']}, Platt {m['platt']}, "
                     f"weights sha256 {str(m['weights_sha256'])[:12]}, median keep p of validation grasps that "
                     f"held {_num((m['lift'] or {}).get('measured'))} (reachable lift threshold "
                     f"{_num((m['lift'] or {}).get('threshold'))})")
    lines.append(f"- object library: {args.objects_library}")
    return "\n".join(lines) + "\n\n", info


def _num(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def run_evaluate(args) -> int:
    from ..evaluation.attempt import AttemptConfig
    from ..planning.regrasp import planner_candidates
    from ..evaluation.experiments import (figures, load_rows, min_force_report, missing_tasks, policy_names,
                                          run_tasks, save_rows, table2)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = {"tactile_vision": args.tactile_vision}
    if args.vision:
        checkpoints["vision"] = args.vision
    forces = [float(f) for f in args.constant_forces.split(",") if f]
    policies = policy_names(checkpoints, forces, force_only=not args.no_force_only)
    sets = {s: evaluation_objects(s, args.tactile_vision)[: args.objects_per_set or None] for s in args.sets.split(",")}
    candidates = planner_candidates()  # the regrasp_planner parameters; the options below override it
    if args.candidates is not None:
        candidates["n_random"] = args.candidates - candidates["n_force_sweep"]
    for key, value in (("search", args.search), ("lift_margin", args.lift_margin), ("lift_rule", args.lift_rule)):
        if value is not None:
            candidates[key] = value
    header, info = provenance(args, checkpoints)
    info["attempt_config"] = asdict(AttemptConfig.from_params_file())
    info["candidates"] = candidates
    info["gels"] = "held_out" if args.held_out_gels else "own pair"  # sim/gel_inventory.py
    info["label"] = label_rule(info["gel_model"], library=args.objects_library)  # how success is read
    header = header.rstrip("\n") + f"\n- gels: {info['gels']}\n\n"
    earlier = out / "provenance.json"
    if args.resume and earlier.exists():  # the rows already there were made by the earlier run
        first = json.loads(earlier.read_text())
        first.setdefault("gels", "own pair")  # rows made before gels could be held out
        first.setdefault("object_library", "v1")  # provenance named only v2 until the default became v2
        # rows from before the label rule was recorded were read by the earlier detector
        first.setdefault("label", label_rule(first.get("gel_model", "legacy"), recorded=False,
                                             library=first["object_library"]))
        if first["object_library"] != "v1":  # rows made before the inspection's rule was recorded
            from ..procedure.outcome import OLD_INSPECTION_RULE

            first["label"].setdefault("inspection", OLD_INSPECTION_RULE)
        changed = [k for k in ("candidates", "attempt_config", "gels", "object_library", "gel_model", "label")
                   if json.dumps(first.get(k), default=str, sort_keys=True)
                   != json.dumps(info.get(k), default=str, sort_keys=True)]
        changed += [f"model {name}" for name, m in info["models"].items()
                    if _decides(m) != _decides(first.get("models", {}).get(name, {}))]
        if changed:
            print(f"vtg evaluate --resume: the rows in {out} were made with other settings ({', '.join(changed)}); "
                  "use a new --out", file=sys.stderr)
            return 2
        info = {**first, "resumed": first.get("resumed", []) + [{k: info[k] for k in ("command", "commit")}]}
        header = header + f"- resumed from rows made by commit `{first['commit']}` (`{first['command']}`)\n\n"
    earlier.write_text(json.dumps(info, indent=1, default=str))
    t0 = time.monotonic()
    tasks = [(p, o, k, False, args.seed) for objs in sets.values() for o in objs for k in range(args.trials)
             for p in policies]
    rows = load_rows(out / "attempts.jsonl") if args.resume else []
    todo = missing_tasks(tasks, rows)
    if todo:
        rows = sorted(rows + run_tasks(todo, checkpoints, args.seed, args.workers, candidates, "Table II attempts",
                                       forces, journal=_journal(out / "attempts.jsonl", rows),
                                       ray_address=args.ray_address, held_out_gels=args.held_out_gels,
                                       objects=args.objects_library),
                      key=lambda r: (r["policy"], r["object_id"], r["trial"]))
    save_rows(rows, out, "attempts.jsonl")
    text, _ = table2(rows, policies, sets, out, header=header)
    print("\n" + text)
    if args.min_force_trials:
        obj = args.min_force_object
        tasks = [(p, obj, 1000 + k, mf, args.seed) for k in range(args.min_force_trials)
                 for p, mf in (("tactile_vision", False), ("tactile_vision", True))]
        mrows = load_rows(out / "min_force_attempts.jsonl") if args.resume else []
        todo = missing_tasks(tasks, mrows)
        if todo:
            mrows = sorted(mrows + run_tasks(todo, checkpoints, args.seed, args.workers, candidates,
                                             "minimum-force attempts",
                                             journal=_journal(out / "min_force_attempts.jsonl", mrows),
                                             ray_address=args.ray_address, held_out_gels=args.held_out_gels,
                                             objects=args.objects_library),
                           key=lambda r: (r["policy"], r["object_id"], r["trial"]))
        save_rows(mrows, out, "min_force_attempts.jsonl")
        print("\n" + min_force_report(mrows, out))
        rows += mrows
    figures(rows, out)
    errors = [r for r in rows if "error" in r]
    plan_times = [t for r in rows for t in r.get("plan_seconds", [])]
    summary = {"attempts": len(rows), "errors": len(errors), "wall_s": time.monotonic() - t0,
               "mean_plan_s": sum(plan_times) / max(len(plan_times), 1)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\n{summary}\nwrote {out}/attempts.jsonl, table2.md, table2.json, table2.png, provenance.json, "
          "min_force.md, min_force_hist.png, fig4_success_vs_force.png, fig6_actions.png")
    return 0


def _decides(model: dict) -> tuple:
    """What of a checkpoint's record changes its decisions: weights, calibration, lift threshold."""
    lift = model.get("lift") or {}
    return model.get("weights_sha256"), json.dumps(model.get("platt")), lift.get("measured"), lift.get("threshold")


def _journal(path: Path, kept: list[dict]) -> Path:
    """The rows file, holding exactly the kept rows, to which new rows are appended as they arrive."""
    with open(path, "w") as f:
        for r in kept:
            f.write(json.dumps(r) + "\n")
    return path


def evaluation_objects(name: str, tactile_vision_run: str) -> list[str]:
    """A set's objects: easy, hard, train (sim/objects.py), or val: the objects the tactile+vision checkpoint
    held out for validation (its model.json), unseen by it but drawn like its training objects, which tells
    an unseen-object failure from a failure of the attempt procedure itself."""
    if name != "val":
        try:
            return object_ids(name)
        except ValueError as exc:
            raise SystemExit(f"vtg evaluate --sets: {exc}, or val") from exc
    from ..model import checkpoint

    try:
        val = checkpoint.read_meta(tactile_vision_run).get("val_objects")
    except checkpoint.CheckpointError as exc:
        raise SystemExit(f"vtg evaluate --sets val: {exc}") from exc
    if not val:
        raise SystemExit(f"vtg evaluate --sets val: {tactile_vision_run}/model.json names no validation objects")
    return list(val)


def add_args(p) -> None:
    from .worker_args import add_worker_args

    p.add_argument("--sim", action="store_true", help="on the simulated cell (the only choice here)")
    p.add_argument("--tactile-vision", required=True, help="run folder of a trained tactile_vision model")
    p.add_argument("--vision", help="run folder of a trained vision-only model")
    p.add_argument("--sets", default="easy,hard",
                   help="comma-separated object sets: easy, hard, train, or val (the tactile+vision checkpoint's "
                   "validation objects)")
    p.add_argument("--objects-per-set", type=int, default=0, help="0: all 11")
    p.add_argument("--trials", type=int, default=20, help="attempts per object and policy")
    p.add_argument("--constant-forces", default="20,30,40",
                   help="constant-force centroid baselines besides the paper's 10 N (comma-separated N; '' for none)")
    p.add_argument("--no-force-only", action="store_true",
                   help="skip the tactile+vision model restricted to choosing the force")
    p.add_argument("--lift-margin", type=float, default=None,
                   help="lift when no regrasp beats keeping the grasp by more than this (negative: the paper's "
                   "threshold alone); "
                   "default: the regrasp_planner parameters")
    p.add_argument("--lift-rule", choices=LIFT_RULES, default=None,
                   help="paper: lift above lift_threshold; reachable: above the lower of it and the model's validated "
                   "threshold (model.json lift); default: the regrasp_planner parameters")
    p.add_argument("--held-out-gels", action="store_true",
                   help="each attempt on a pair of gels no gel-changing collection used (sim/gel_inventory.py), "
                   "drawn from the attempt's key: the same for every policy")
    p.add_argument("--objects-library", default=DEFAULT_LIBRARY, choices=LIBRARIES,
                   help="object library (sim/objects.py); v2: fragile objects, a damaged grasp counts as a failure")
    p.add_argument("--min-force-object", default="easy_00")
    p.add_argument("--min-force-trials", type=int, default=100, help="0 skips the minimum-force experiment")
    p.add_argument("--candidates", type=int, default=None, help="default: the regrasp_planner parameters")
    p.add_argument("--search", default=None, choices=SEARCHES,
                   help="candidate search of the planner; default: the regrasp_planner parameters")
    add_worker_args(p, "attempts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/evaluate")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows already in --out (attempts.jsonl) and run only the missing attempts")
