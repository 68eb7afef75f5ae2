"""The dataset card: counts, success rate, label agreement, a per-object table and sample images."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..data.store import DatasetReader


def summarize(reader: DatasetReader) -> dict:
    trials: dict[int, dict] = {}
    kinds: dict[str, int] = defaultdict(int)
    for e in reader.entries:
        kinds[e["kind"]] += 1
        t = trials.setdefault(e["trial_id"], {"object_id": e["object_id"], "success": e["success"], "bytes": 0})
        if e["kind"] == "grasp":  # the trial's outcome, from its grasp record
            t["success"] = e["success"]
        t["bytes"] += e["bytes"]
    per_object: dict[str, list[bool]] = defaultdict(list)
    for t in trials.values():
        per_object[t["object_id"]].append(t["success"])
    n = len(trials)
    return {"trials": n, "records": len(reader.entries), "kinds": dict(kinds),
            "success_rate": float(np.mean([t["success"] for t in trials.values()])) if n else float("nan"),
            "bytes_per_trial": float(np.mean([t["bytes"] for t in trials.values()])) if n else float("nan"),
            "objects": {o: (len(v), float(np.mean(v))) for o, v in sorted(per_object.items())}}


def label_agreement(reader: DatasetReader) -> tuple[int, int]:
    """(agreeing, total) of the tactile label against the simulator's ground truth, over grasp records.
    Both labels are in the index; a record is opened only for an index written before that."""
    agree = total = 0
    for i, e in enumerate(reader.entries):
        if e["kind"] == "grasp":
            truth = e["ground_truth_success"] if "ground_truth_success" in e else \
                reader.load(i, images=False).ground_truth_success
            total += 1
            agree += e["success"] == truth
    return agree, total


def gel_pairs(reader: DatasetReader) -> dict[tuple[int, int], int]:
    """Trials per (left, right) gel pair, from the records' metadata (the index does not hold it)."""
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    for i, e in enumerate(reader.entries):
        if e["kind"] == "grasp":
            pairs[tuple(reader.load(i, images=False).gel_ids)] += 1
    return dict(sorted(pairs.items()))


def chosen_by(reader: DatasetReader) -> str:
    """Trials and their success rate per chooser of the regrasp (on-policy collection), from the records."""
    outcomes: dict[str, list[bool]] = defaultdict(list)
    for i, e in enumerate(reader.entries):
        if e["kind"] == "grasp":
            outcomes[reader.load(i, images=False).chosen_by or "random"].append(bool(e["success"]))
    return ", ".join(f"{k} {len(v)} ({np.mean(v):.2f})" for k, v in sorted(outcomes.items()))


def sample_sheet(reader: DatasetReader, count: int = 4) -> np.ndarray | None:
    """Rows of front RGB | gel left before/during/after, for the first successful and failed trials."""
    import cv2

    picks = [i for i, e in enumerate(reader.entries) if e["kind"] == "grasp"]
    ok = [i for i in picks if reader.entries[i]["success"]][: count // 2]
    bad = [i for i in picks if not reader.entries[i]["success"]][: count - len(ok)]
    rows = []
    for i in ok + bad:
        r = reader.load(i)
        keys = ("rgb_before", "gel_left_before", "gel_left_during", "gel_left_after")
        tiles = [cv2.resize(r.images[k], (213, 160)) for k in keys if k in r.images]
        row = np.concatenate(tiles, axis=1)
        cv2.putText(row, f"{r.object_id} {r.grip_force:.0f} N {'held' if r.success else 'dropped'}", (6, 18),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        rows.append(row)
    return np.concatenate(rows, axis=0) if rows else None


def write_card(root: str | Path, extra: dict | None = None) -> Path:
    import cv2

    root = Path(root)
    reader = DatasetReader(root)
    s = summarize(reader)
    agree, total = label_agreement(reader)
    kinds = ", ".join(f"{k} {v}" for k, v in s["kinds"].items())
    lines = [f"# Dataset card: {root.name}", "",
             f"- trials: {s['trials']}, records: {s['records']} ({kinds})",
             f"- success rate (tactile label): {s['success_rate']:.3f}",
             f"- tactile label agrees with the simulator's ground truth: {agree}/{total}",
             f"- bytes per trial on disk: {s['bytes_per_trial'] / 1e6:.2f} MB",
             f"- collection: {json.dumps(reader.manifest.get('info', {}))}"]
    if reader.manifest.get("info", {}).get("gel_change_every"):  # opening every record costs: only then
        pairs = ", ".join(f"{left}/{right}: {n}" for (left, right), n in gel_pairs(reader).items())
        lines.append(f"- trials per gel pair (left/right id): {pairs}")
    if reader.manifest.get("info", {}).get("on_policy"):  # who chose the regrasps, and how those trials went
        lines.append(f"- regrasps chosen by (trials, success rate): {chosen_by(reader)}")
    lines += [f"- {k}: {v}" for k, v in (extra or {}).items()]
    lines += ["", "| object | trials | success rate |", "|---|---|---|"]
    lines += [f"| {o} | {n} | {rate:.2f} |" for o, (n, rate) in s["objects"].items()]
    sheet = sample_sheet(reader)
    if sheet is not None:
        cv2.imwrite(str(root / "card_samples.png"), sheet[..., ::-1])
        lines += ["", "Samples (front camera | left gel before, in contact, after the hold):", "",
                  "![samples](card_samples.png)"]
    path = root / "card.md"
    path.write_text("\n".join(lines) + "\n")
    return path
