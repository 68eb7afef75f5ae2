"""vtg evaluate --sim: Table II (per-object success of three policies on unseen objects), the
minimum-force experiment (Fig. 8), predicted success against force (Fig. 4), chosen actions (Fig. 6).

Attempts run in worker processes, each with its own cell and models. Attempt k on an object uses
the same random initial grasp for every policy, so the policies are compared on paired trials.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

_cell, _policies = None, {}


def _init(checkpoints: dict, seed: int, candidates: dict) -> None:
    global _cell, _policies
    import torch

    from ..model import checkpoint
    from ..planning.regrasp import CandidateConfig, LearnedPolicy
    from ..sim.kinematic_cell import CellConfig
    from ..sim.mujoco_cell import MujocoCell

    torch.set_num_threads(1)
    _cell = MujocoCell(CellConfig(seed=seed))
    for name, run in checkpoints.items():
        model, meta = checkpoint.load(run, expect_variant=name)
        _policies[name] = LearnedPolicy(model, meta, CandidateConfig(**candidates))


def _attempt(task):
    from ..collection.direct import FitFailed
    from .attempt import run_attempt

    policy, object_id, k, minimum_force, seed = task
    rng = np.random.default_rng([seed, zlib.crc32(object_id.encode()), k])  # paired across policies
    try:
        r = run_attempt(_cell, object_id, _policies.get(policy), rng, minimum_force=minimum_force)
    except FitFailed as exc:
        return {"policy": policy, "object_id": object_id, "error": str(exc)}
    return {**asdict(r), "policy": policy + ("_min_force" if minimum_force else ""), "trial": k}


def run_tasks(tasks, checkpoints: dict, seed: int, workers: int, candidates: dict, desc: str) -> list[dict]:
    ctx = mp.get_context("spawn")
    out = []
    with ctx.Pool(workers, initializer=_init, initargs=(checkpoints, seed, candidates)) as pool, \
            tqdm(total=len(tasks), desc=desc, unit="attempt") as bar:
        for row in pool.imap_unordered(_attempt, tasks, chunksize=1):
            out.append(row)
            ok = [r["success"] for r in out if "success" in r]
            bar.set_postfix(success=f"{np.mean(ok):.2f}" if ok else "-")
            bar.update()
    return out


def table2(rows: list[dict], policies: list[str], sets: dict[str, list[str]], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def rate(policy, objects):
        vals = [r["success"] for r in rows if r.get("policy") == policy and r["object_id"] in objects
                and "success" in r]
        return (float(np.mean(vals)) if vals else float("nan")), len(vals)

    lines = ["| set | object | " + " | ".join(policies) + " |", "|---" * (len(policies) + 2) + "|"]
    for set_name, objects in sets.items():
        for o in objects:
            lines.append(f"| {set_name} | {o} | " + " | ".join(f"{100 * rate(p, [o])[0]:.0f}%" for p in policies)
                         + " |")
        lines.append(f"| **{set_name}** | **mean** | " + " | ".join(
            f"**{100 * rate(p, objects)[0]:.1f}%** (n={rate(p, objects)[1]})" for p in policies) + " |")
    text = "\n".join(lines)
    (out / "table2.md").write_text("# Table II analogue: grasp success on unseen objects\n\n" + text + "\n")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.8 / len(policies)
    for i, p in enumerate(policies):
        ax.bar(np.arange(len(sets)) + i * width, [100 * rate(p, objs)[0] for objs in sets.values()], width, label=p)
    ax.set_xticks(np.arange(len(sets)) + width * (len(policies) - 1) / 2, list(sets))
    ax.set_ylabel("grasp success (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "table2.png", dpi=120)
    plt.close(fig)
    return text


def min_force_report(rows: list[dict], out: Path) -> str:
    import matplotlib.pyplot as plt

    groups = {"maximum success": [r for r in rows if r.get("policy") == "tactile_vision" and "success" in r],
              "minimum force": [r for r in rows if r.get("policy") == "tactile_vision_min_force" and "success" in r]}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    lines = ["| mode | attempts | success | mean force (N) |", "|---|---|---|---|"]
    for name, rs in groups.items():
        if not rs:
            continue
        forces = [r["force"] for r in rs]
        lines.append(f"| {name} | {len(rs)} | {100 * np.mean([r['success'] for r in rs]):.1f}% | "
                     f"{np.mean(forces):.1f} |")
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


def save_rows(rows: list[dict], out: Path, name: str) -> None:
    with open(out / name, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
