"""vtg evaluate --sim: Table II (per-object success of three policies on unseen objects), the
minimum-force experiment (Fig. 8), predicted success against force (Fig. 4), chosen actions (Fig. 6).

Attempts run in worker processes, each with its own cell and models. Attempt k on an object starts
from a cell rebuilt from (seed, object, k) alone (placement, gel noise, initial grasp), so every
policy meets the same situation (paired trials) and the rows are the same for any number of workers.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .stats import paired_comparison, significant, wilson_interval

_cell, _policies, _config, _limits = None, {}, None, None

FORCE_ONLY = "_force_only"  # suffix: the learned model choosing only the force of the initial grasp


def policy_names(checkpoints: dict, constant_forces=(), force_only: bool = True) -> list[str]:
    """Every policy an evaluation runs: the paper's baseline, constant-force centroid grasps, the
    learned models, and the tactile+vision model restricted to choosing the force."""
    names = ["cylinder_baseline"] + [f"centroid_{f:g}N" for f in constant_forces] + list(checkpoints)
    if force_only and "tactile_vision" in checkpoints:
        names.append("tactile_vision" + FORCE_ONLY)
    return names


def _init(checkpoints: dict, seed: int, candidates: dict, constant_forces=()) -> None:
    global _cell, _policies, _config, _limits
    import torch

    from ..model import checkpoint
    from ..planning.regrasp import CandidateConfig, LearnedPolicy
    from ..sim.kinematic_cell import CellConfig
    from ..sim.mujoco_cell import MujocoCell
    from ..planning.step import planner_limits
    from .attempt import AttemptConfig, CentroidPolicy

    torch.set_num_threads(1)
    _config, _limits = AttemptConfig.from_params_file(), planner_limits()
    _cell = MujocoCell(CellConfig(seed=seed))
    _policies = {"cylinder_baseline": CentroidPolicy(10.0)}
    for f in constant_forces:
        _policies[f"centroid_{f:g}N"] = CentroidPolicy(float(f), f"centroid_{f:g}N")
    cfg = CandidateConfig(**candidates)
    for name, run in checkpoints.items():
        model, meta = checkpoint.load(run, expect_variant=name)
        _policies[name] = LearnedPolicy(model, meta, cfg)
        if name == "tactile_vision":
            force_only = LearnedPolicy(model, meta, replace(cfg, n_random=0))
            force_only.name = name + FORCE_ONLY
            _policies[force_only.name] = force_only


def attempt_key(seed: int, object_id: str, k: int) -> tuple[int, int, int]:
    """What attempt k on an object depends on, whoever runs it: placement, gel noise, initial grasp."""
    return seed, zlib.crc32(object_id.encode()), k


def _attempt(task):
    from ..collection.direct import FitFailed
    from .attempt import run_attempt

    policy, object_id, k, minimum_force, seed = task
    key = attempt_key(seed, object_id, k)
    _cell.start_episode(object_id, key)  # the same cell state for every policy and worker
    rng = np.random.default_rng([*key, 1])  # the same initial grasp for every policy
    name = policy + ("_min_force" if minimum_force else "")
    try:
        r = run_attempt(_cell, object_id, _policies[policy], rng, minimum_force=minimum_force, config=_config,
                        limits=_limits)
    except FitFailed as exc:
        return {"policy": name, "object_id": object_id, "trial": k, "error": str(exc)}
    return {**r, "policy": name, "trial": k}


def run_tasks(tasks, checkpoints: dict, seed: int, workers: int, candidates: dict, desc: str,
              constant_forces=()) -> list[dict]:
    """Rows in a fixed order (policy, object, attempt), whatever the number of workers."""
    ctx = mp.get_context("spawn")
    out = []
    with ctx.Pool(workers, initializer=_init, initargs=(checkpoints, seed, candidates, tuple(constant_forces))) \
            as pool, tqdm(total=len(tasks), desc=desc, unit="attempt") as bar:
        for row in pool.imap_unordered(_attempt, tasks, chunksize=1):
            out.append(row)
            ok = [r["success"] for r in out if "success" in r]
            bar.set_postfix(success=f"{np.mean(ok):.2f}" if ok else "-")
            bar.update()
    return sorted(out, key=lambda r: (r["policy"], r["object_id"], r["trial"]))


def _cell_text(rows, policy, objects) -> str:
    vals = [r["success"] for r in rows if r.get("policy") == policy and r["object_id"] in objects and "success" in r]
    if not vals:
        return "-"
    lo, hi = wilson_interval(int(sum(vals)), len(vals))
    return f"{100 * np.mean(vals):.1f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def success_summary(rows, policy, objects) -> dict:
    vals = [r["success"] for r in rows if r.get("policy") == policy and r["object_id"] in objects and "success" in r]
    k, n = int(sum(vals)), len(vals)
    lo, hi = wilson_interval(k, n)
    return {"policy": policy, "held": k, "n": n, "rate": k / n if n else float("nan"), "ci95": [lo, hi]}


def best_constant_force(rows, policies, objects) -> str | None:
    """The constant-force centroid policy (the paper's 10 N included) that held most often here."""
    constant = [p for p in policies if p == "cylinder_baseline" or p.startswith("centroid_")]
    scored = [(success_summary(rows, p, objects)["rate"], p) for p in constant]
    scored = [(r, p) for r, p in scored if np.isfinite(r)]
    return max(scored)[1] if scored else None


def table2(rows: list[dict], policies: list[str], sets: dict[str, list[str]], out: Path,
           reference: str = "tactile_vision", header: str = "") -> tuple[str, dict]:
    """Table II with Wilson 95% intervals per cell, and the reference policy's paired differences to
    every other policy per set (bootstrap over objects, exact McNemar). Writes table2.md/.json/.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = ["Success with its Wilson 95% interval; per set, n = objects x attempts.", "",
             "| set | object | " + " | ".join(policies) + " |", "|---" * (len(policies) + 2) + "|"]
    summary = {"sets": {}, "comparisons": {}}
    for set_name, objects in sets.items():
        for o in objects:
            lines.append(f"| {set_name} | {o} | " + " | ".join(_cell_text(rows, p, [o]) for p in policies) + " |")
        lines.append(f"| **{set_name}** | **all** | " + " | ".join(
            f"**{_cell_text(rows, p, objects)}**" for p in policies) + " |")
        summary["sets"][set_name] = {p: success_summary(rows, p, objects) for p in policies}
    lines += ["", f"Paired differences, {reference} minus each policy: same object, attempt, placement, gel "
              "noise and initial grasp; 95% interval by bootstrap over objects; exact McNemar test on the "
              "discordant attempts. \"best constant force\" is the constant-force centroid policy that held "
              "most often on that set (chosen on the test objects themselves, so it favours the baseline).", "",
              "| set | versus | n pairs | difference | 95% CI | only ref held | only other held | McNemar p | "
              "significant |", "|---" * 9 + "|"]
    for set_name, objects in sets.items():
        best = best_constant_force(rows, policies, objects)
        others = [p for p in policies if p != reference]
        summary["comparisons"][set_name] = {"best_constant_force": best, "pairs": []}
        for p in others:
            c = paired_comparison(rows, reference, p, objects)
            summary["comparisons"][set_name]["pairs"].append(c)
            if not c["n"]:
                continue
            label = p + (" (best constant force)" if p == best else "")
            lines.append(f"| {set_name} | {label} | {c['n']} | {100 * c['difference']:+.1f} pts | "
                         f"[{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}] | {c['only_a']} | {c['only_b']} | "
                         f"{c['p_mcnemar']:.3g} | {'yes' if significant(c) else 'no'} |")
    text = "\n".join(lines)
    (out / "table2.md").write_text("# Table II analogue: grasp success on unseen objects\n\n" + header + text + "\n")
    (out / "table2.json").write_text(json.dumps(summary, indent=1))
    fig, ax = plt.subplots(figsize=(1.5 + 1.2 * len(policies), 3.8))
    width = 0.8 / len(policies)
    for i, p in enumerate(policies):
        s = [summary["sets"][n][p] for n in sets]
        rates = np.array([100 * v["rate"] for v in s])
        err = np.array([[100 * (v["rate"] - v["ci95"][0]), 100 * (v["ci95"][1] - v["rate"])] for v in s]).T
        err = np.maximum(np.nan_to_num(err), 0.0)  # 20/20: the upper bound rounds to a hair below the rate
        ax.bar(np.arange(len(sets)) + i * width, rates, width, yerr=err, capsize=3, label=p)
    ax.set_xticks(np.arange(len(sets)) + width * (len(policies) - 1) / 2, list(sets))
    ax.set_ylabel("grasp success (%), 95% CI")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "table2.png", dpi=120)
    plt.close(fig)
    return text, summary


def min_force_report(rows: list[dict], out: Path) -> str:
    import matplotlib.pyplot as plt

    groups = {"maximum success": [r for r in rows if r.get("policy") == "tactile_vision" and "success" in r],
              "minimum force": [r for r in rows if r.get("policy") == "tactile_vision_min_force" and "success" in r]}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    lines = ["| mode | attempts | success [95% CI] | mean force (N) [95% CI] |", "|---|---|---|---|"]
    for name, rs in groups.items():
        if not rs:
            continue
        forces = np.array([r["force"] for r in rs])
        held = int(sum(r["success"] for r in rs))
        lo, hi = wilson_interval(held, len(rs))
        half = 1.96 * forces.std(ddof=1) / np.sqrt(len(forces)) if len(forces) > 1 else float("nan")
        lines.append(f"| {name} | {len(rs)} | {100 * held / len(rs):.1f}% [{100 * lo:.0f}, {100 * hi:.0f}] | "
                     f"{forces.mean():.1f} [{forces.mean() - half:.1f}, {forces.mean() + half:.1f}] |")
        ax.hist(forces, bins=np.linspace(5, 40, 15), alpha=0.6, label=f"{name} (mean {np.mean(forces):.1f} N)")
    ax.set_xlabel("grip force at lift (N)")
    ax.set_ylabel("attempts")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "min_force_hist.png", dpi=120)
    plt.close(fig)
    text = "\n".join(lines)
    (out / "min_force.md").write_text("# Minimum force vs maximum success (Fig. 8 analogue)\n\n" + text + "\n")
    return text


def figures(rows: list[dict], out: Path, policy: str = "tactile_vision") -> None:
    import matplotlib.pyplot as plt

    mine = [r for r in rows if r.get("policy") == policy and r.get("first_sweep")]
    held = next((r for r in mine if r["success"]), None)
    dropped = next((r for r in mine if not r["success"]), None)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for r, label in ((held, "stable grasp (held)"), (dropped, "unstable grasp (dropped)")):
        if r:
            forces, probs = r["first_sweep"]
            ax.plot(forces, probs, label=f"{label}: {r['object_id']}")
    ax.axhline(0.9, color="k", ls="--", lw=1)
    ax.set_xlabel("grip force (N), grasp kept")
    ax.set_ylabel("predicted success")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "fig4_success_vs_force.png", dpi=120)
    plt.close(fig)
    actions = np.array([a for r in mine for a in r["actions"]]) if mine else np.zeros((0, 5))
    fig, axes = plt.subplots(1, 5, figsize=(12, 2.5))
    for i, (ax, name, scale) in enumerate(zip(axes, ("dx (cm)", "dy (cm)", "dz (cm)", "dyaw (deg)", "dforce (N)"),
                                              (100, 100, 100, 180 / np.pi, 1), strict=True)):
        if len(actions):
            ax.hist(actions[:, i] * scale, bins=20)
        ax.set_xlabel(name)
    fig.suptitle(f"chosen actions ({policy})")
    fig.tight_layout()
    fig.savefig(out / "fig6_actions.png", dpi=120)
    plt.close(fig)


def load_rows(path: Path) -> list[dict]:
    """Rows of an earlier run (attempts.jsonl), for --resume; none when the file is not there."""
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def missing_tasks(tasks: list, rows: list[dict]) -> list:
    """The tasks (policy, object, attempt, minimum_force, seed) with no row yet."""
    done = {(r["policy"], r["object_id"], r["trial"]) for r in rows}
    return [t for t in tasks if (t[0] + ("_min_force" if t[3] else ""), t[1], t[2]) not in done]


def save_rows(rows: list[dict], out: Path, name: str) -> None:
    with open(out / name, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
