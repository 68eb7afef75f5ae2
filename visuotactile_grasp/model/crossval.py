"""K-fold cross-validation split by object (the paper's Table I), with calibration on held-out objects."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .calibration import metrics, reliability_figure, sigmoid
from .tensorboard_log import crossval_summary
from .inputs import Inputs
from .network import ModelConfig
from . import checkpoint
from .train import TrainConfig, predict_logits, train

ROWS = ("tactile_vision", "tactile", "vision", "tactile_vision_no_action", "majority")


def object_folds(object_ids: np.ndarray, k: int, seed: int) -> list[set[str]]:
    objects = np.array(sorted(set(object_ids.tolist())))
    np.random.default_rng(seed).shuffle(objects)
    return [set(part.tolist()) for part in np.array_split(objects, k)]


def run_crossval(inputs: Inputs, model_template: ModelConfig, train_cfg: TrainConfig, out: str | Path,
                 k: int = 3, variants=ROWS, progress: bool = True, header: str = "", data: dict | None = None) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    folds = object_folds(inputs.object_ids, k, train_cfg.seed)
    results: dict[str, list[dict]] = {v: [] for v in variants}
    pooled: dict[str, dict[str, list]] = {v: {"raw": [], "cal": [], "y": [], "obj": []} for v in variants}
    for fold, test_objects in enumerate(folds):
        test_mask = np.array([o in test_objects for o in inputs.object_ids])
        tr, te = inputs.subset(~test_mask), inputs.subset(test_mask)
        for variant in variants:
            if variant == "majority":
                p = np.full(len(te), float(tr.labels.mean() >= 0.5))
                results[variant].append(metrics(p, te.labels))
                pooled[variant]["cal"].append(p)
                pooled[variant]["y"].append(te.labels)
                pooled[variant]["obj"].append(te.object_ids)
                continue
            cfg = ModelConfig(**{**model_template.to_dict(), "variant": variant})
            # resume: a finished fold is reused (only its Platt scaling is refitted), a cut one continues
            train(tr, cfg, train_cfg, out / f"fold{fold}" / variant, resume=True, progress=progress, data=data)
            model, meta = checkpoint.load(out / f"fold{fold}" / variant, expect_variant=variant)
            logits = predict_logits(model, te, frozen=bool(meta["train"].get("frozen_stacks")))
            a, b = meta["platt"]
            raw, probs = sigmoid(logits), sigmoid(a * logits + b)
            results[variant].append({**metrics(probs, te.labels), "examples_per_s": meta["examples_per_s"]})
            pooled[variant]["raw"].append(raw)
            pooled[variant]["cal"].append(probs)
            pooled[variant]["y"].append(te.labels)
            pooled[variant]["obj"].append(te.object_ids)
    summary = summarize(results)
    summary["_intervals"] = object_intervals(pooled)
    learned = [v for v in variants if v != "majority"]
    if learned:  # what the stacks really started from (asking for ImageNet weights is not having them)
        notes = checkpoint.read_meta(out / "fold0" / learned[0]).get("initialisation", [])
        header += f"- initialisation (fold 0, {learned[0]}): {'; '.join(notes) or 'not recorded'}\n"
    write_outputs(out, summary, pooled, folds, len(inputs), header)
    return summary


def object_intervals(pooled: dict) -> dict:
    """Out-of-fold accuracy of each model with its 95% interval (bootstrap over objects: examples of
    one object are correlated), and tactile+vision's paired difference to every other row (the same
    examples, so paired: bootstrap over objects and exact sign-flip test over objects)."""
    from ..evaluation.stats import cluster_interval, paired_comparison

    rows, out = [], {"accuracy": {}, "versus_tactile_vision": {}}
    for variant, d in pooled.items():
        if not d["y"]:
            continue
        correct = (np.concatenate(d["cal"]) > 0.5) == (np.concatenate(d["y"]) > 0.5)
        objects = np.concatenate(d["obj"])
        per_object = [correct[objects == o].tolist() for o in sorted(set(objects.tolist()))]
        out["accuracy"][variant] = {"rate": float(correct.mean()), "ci95": list(cluster_interval(per_object))}
        rows += [{"policy": variant, "object_id": o, "trial": i, "success": bool(c)}
                 for i, (o, c) in enumerate(zip(objects.tolist(), correct.tolist(), strict=True))]
    if "tactile_vision" in out["accuracy"]:
        objects = sorted({r["object_id"] for r in rows})
        for variant in out["accuracy"]:
            if variant != "tactile_vision":
                c = paired_comparison(rows, "tactile_vision", variant, objects)
                out["versus_tactile_vision"][variant] = {"difference": c["difference"], "ci95": list(c["ci"]),
                                                         "p_objects": c["p_objects"], "n": c["n"]}
    return out


def summarize(results: dict[str, list[dict]]) -> dict:
    """Per row: the mean over folds of each metric and its standard error."""
    summary = {}
    for variant, per_fold in results.items():
        row = {}
        for key in ("accuracy", "auc", "brier", "ece"):
            vals = np.array([r[key] for r in per_fold], float)
            row[key] = float(np.nanmean(vals))
            row[key + "_se"] = float(np.nanstd(vals, ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else float("nan")
        row["folds"] = per_fold
        summary[variant] = row
    return summary


def write_outputs(out: Path, summary: dict, pooled: dict, folds, n_examples: int, header: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    intervals = summary.pop("_intervals", {"accuracy": {}, "versus_tactile_vision": {}})
    lines = [f"# Table I analogue: {len(folds)}-fold cross-validation by object ({n_examples} examples)", "",
             header, "| model | accuracy (mean ± s.e. over folds) | out-of-fold accuracy [95% CI over objects] | "
             "tactile+vision minus this row [95% CI], p (objects) | AUC | Brier | ECE |",
             "|---|---|---|---|---|---|---|"]
    with open(out / "table1.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "accuracy", "accuracy_se", "auc", "auc_se", "brier", "brier_se", "ece", "ece_se"])
        for v, r in summary.items():
            acc = intervals["accuracy"].get(v)
            pooled_acc = (f"{100 * acc['rate']:.1f}% [{100 * acc['ci95'][0]:.1f}, {100 * acc['ci95'][1]:.1f}]"
                          if acc else "-")
            diff = intervals["versus_tactile_vision"].get(v)
            versus = (f"{100 * diff['difference']:+.1f} [{100 * diff['ci95'][0]:+.1f}, {100 * diff['ci95'][1]:+.1f}], "
                      f"p {diff['p_objects']:.3g}" if diff else "-")
            lines.append(f"| {v} | {100 * r['accuracy']:.1f} ± {100 * r['accuracy_se']:.1f} % | {pooled_acc} | "
                         f"{versus} | {r['auc']:.3f} | {r['brier']:.3f} | {r['ece']:.3f} |")
            w.writerow([v] + [f"{r[k]:.4f}" for k in ("accuracy", "accuracy_se", "auc", "auc_se", "brier", "brier_se",
                                                         "ece", "ece_se")])
    (out / "table1.md").write_text("\n".join(lines) + "\n\n(mean ± standard error over folds; calibrated "
                                   "probabilities, Platt-scaled on validation objects of each training split. "
                                   "Intervals: percentile bootstrap over objects of the out-of-fold predictions; p: "
                                   "sign-flip test over objects, estimated from 200,000 random sign patterns above "
                                   "16 objects, so 5e-06 is the smallest it reports)\n")
    (out / "crossval.json").write_text(json.dumps({"summary": summary, "intervals": intervals,
                                                   "folds": [sorted(f) for f in folds]}, indent=1))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(summary)
    ax.bar(names, [100 * summary[n]["accuracy"] for n in names],
           yerr=[100 * np.nan_to_num(summary[n]["accuracy_se"]) for n in names], capsize=4, color="tab:blue")
    ax.set_ylabel("accuracy on unseen objects (%)")
    ax.set_ylim(40, 100)
    ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    fig.savefig(out / "table1.png", dpi=120)
    plt.close(fig)
    for variant, d in pooled.items():
        if d["raw"]:  # the learned rows (majority has no scores to calibrate)
            reliability_plot(np.concatenate(d["raw"]), np.concatenate(d["cal"]), np.concatenate(d["y"]),
                             out / f"reliability_{variant}.png", variant)
    crossval_summary(out, pooled)


def reliability_plot(raw, cal, y, path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    fig = reliability_figure(raw, cal, y, title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
