"""vtg label-report DATA: the tactile label against the simulator's truth over a collected dataset, by
cause, gel, material and contact area (evaluation/label_agreement.py; issue 15, item 6)."""
from __future__ import annotations

import json
import shlex
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from ..data.store import DatasetReader
from ..evaluation.label_agreement import markdown, row_from_record, summarize
from ..perception.tactile import CONTACT_DETECTOR, CONTACT_THRESHOLD, UNRECORDED_DETECTOR
from ..procedure.outcome import INSPECTION_RULE, OLD_INSPECTION_RULE
from ..sim.mujoco_gels import contact_threshold, gel_look
from ..sim.objects import make_object
from .evaluate import git_commit

RULES = ("noise", "default")  # the threshold rules this code computes (sim/cell.label_thresholds)


def _gel_properties(gel_id: int) -> dict:
    look = gel_look(gel_id)
    return {"calibration": look.calibration, "light": "/".join(f"{g:.2f}" for g in look.light_gain)}


def run_label_report(args) -> int:
    reader = DatasetReader(args.data)
    info = reader.manifest.get("info", {})
    library = info.get("object_library", "v1")
    grasp = [i for i, e in enumerate(reader.entries) if e["kind"] == "grasp"]
    if not grasp:
        print(f"{args.data} holds no trials", file=sys.stderr)
        return 2
    specs = {o: make_object(o, library) for o in reader.object_ids()}
    recorded = info.get("label_thresholds", "default")  # the thresholds its labels were read with
    rule = args.relabel or recorded
    if rule not in RULES:
        print(f"{args.data} was labelled with {recorded} contact thresholds, which this code no longer "
              f"computes: report it with --relabel {' or '.join(RULES)}", file=sys.stderr)
        return 2
    relabel = rule != recorded

    def thresholds(record) -> tuple[float, float]:
        if rule != "noise":
            return (CONTACT_THRESHOLD,) * 2
        height, width = record.images["gel_left_after"].shape[:2]  # thresholds at the size the gels were read at
        return tuple(contact_threshold(g, width, height) for g in record.gel_ids)

    rows = [row_from_record(r := reader.load(i), specs[r.object_id].material, specs[r.object_id].fragile,
                            thresholds(r), relabel)
            for i in tqdm(grasp, desc="trials", unit="trial", disable=not sys.stderr.isatty())]
    calibrated = info.get("sim_cell", {}).get("gel_model", info.get("gel_model")) == "calibrated"
    summary = summarize(rows, _gel_properties if calibrated else None)
    unrecorded = sum(r.crushable and r.truth_damaged is None for r in rows)
    if unrecorded:
        summary["note"] = (f"{unrecorded} trials of crushable objects carry no inspection (version-1 records): "
                           "their causes are inferred where the contact decides them, else 'not recorded'")
    header = [f"- command: `vtg {shlex.join(sys.argv[1:])}`", f"- commit: `{git_commit()}`",
              f"- dataset: `{args.data}` ({len(rows)} trials); collection: `{json.dumps(info)}`",
              "- label: both gels in contact after the hold (perception/tactile.detect_contact at "
              + ("each gel's threshold over its noise, sim/mujoco_gels.contact_threshold" if rule == "noise" else
                 "the gelsight nodes' default threshold") + ", 1% of the pad) and no crush seen by the refit "
              "(procedure/outcome.py); truth: both pads touching with the object off the table, not crushed"]
    if library != "v1":  # crushable objects: how the recorded inspection read an object the refit did not find
        header.append(f"- inspection rule: `{info.get('inspection', OLD_INSPECTION_RULE)}` (recorded with the "
                      f"dataset, or the rule before it was recorded; this code's: `{INSPECTION_RULE}`)")
    detector = info.get("contact_detector", UNRECORDED_DETECTOR)
    if detector != CONTACT_DETECTOR:
        header.append(f"- note: the dataset was labelled by the {detector} contact detector; the contact areas "
                      f"(and, relabelled, the labels) are read here with the {CONTACT_DETECTOR} one")
    if relabel:
        header.append(f"- relabelled: the dataset's labels were read with {recorded} thresholds; this report "
                      f"reads the same images with {rule} ones (the refit's verdicts as recorded)")
    if "note" in summary:
        header.append(f"- note: {summary['note']}")
    if info.get("source") != "direct":
        header.append("- note: a graph collection: its label came from the gel nodes' live contact estimates; "
                      "the contact areas here are recomputed from the recorded images")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "label_agreement.md").write_text(markdown(summary, header))
    (out / "label_agreement.json").write_text(json.dumps({"header": header, **summary}, indent=1, default=str))
    (out / "rows.jsonl").write_text("".join(json.dumps(asdict(r)) + "\n" for r in rows))
    o = summary["overall"]
    print(f"label agrees with the truth on {o['agree']}/{o['n']} trials; wrote {out}/label_agreement.md")
    return 0


def add_args(p) -> None:
    p.add_argument("data", help="dataset folder (vtg collect)")
    p.add_argument("--out", required=True, help="folder for label_agreement.md/.json and rows.jsonl")
    p.add_argument("--relabel", choices=RULES, default=None,
                   help="read the images with these contact thresholds instead of the ones the dataset was "
                        "labelled with (noise: each calibrated gel over its own noise floor; default: 18 for all)")
