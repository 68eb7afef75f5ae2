"""How often the tactile label agrees with the simulator's truth, and why it does not (issue 15, item 6).

The robot labels a trial from its own senses (procedure/outcome.py): both gels still in contact after
the hold, the touch-down not reading the table under the object, and no crush seen by the refit of the
put-down object. The simulator knows whether the
object was held (both pads touching, the object off the table) and whether it was crushed. A dataset
keeps both for every trial, with the gels that imaged it and their images, so the label's errors can
be counted by cause, by gel (calibration, lighting), by material and by how much of the pad touched.

One row per trial (its three records share the label). Intervals: 95% Wilson over trials, which
treats trials as independent (they are not quite: trials of one object share its physics); the
by-object bootstrap is reported next to it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

import numpy as np

from ..data.store import DatasetError
from ..perception.tactile import CONTACT_MIN_AREA, CONTACT_THRESHOLD, detect_contact
from ..procedure.outcome import grasp_success
from .stats import cluster_interval, wilson_interval

AGREE = "agree"
# label says held, the truth does not
CRUSH_NOT_SEEN = "crushed, the refit did not see it"
TOUCHING_NOT_HELD = "gels in contact, object not held (slid through or rests on the table)"
# label says failed, the truth says held
TABLE_NOT_REAL = "held, the touch-down read the table carrying it"
CRUSH_NOT_REAL = "refit saw a crush that did not happen, or did not find the object"
HELD_NO_CONTACT = "held, a gel showed no contact"
UNKNOWN = "not recorded (a version-1 record of a crushable object, or no gel images)"
CAUSES = (AGREE, CRUSH_NOT_SEEN, TOUCHING_NOT_HELD, TABLE_NOT_REAL, CRUSH_NOT_REAL, HELD_NO_CONTACT, UNKNOWN)
# the weaker gel's contact area after the hold (fraction of the pad), for "partial contact"
AREA_BINS = (0.0, 0.01, 0.03, 0.1, 1.01)


@dataclass(frozen=True)
class LabelRow:
    trial_id: int
    object_id: str
    material: str
    gel_ids: tuple[int, int]
    label: bool
    truth: bool
    damaged: bool | None
    truth_damaged: bool | None
    contact_area: tuple[float, float]  # left, right: fraction of the pad over the contact threshold after the hold
    truth_held: bool | None = None
    crushable: bool = True  # the object can be damaged (object library v2)
    on_table: bool | None = None  # the touch-down read the table (None: no touch-down, or not recorded)

    @property
    def gels_in_contact(self) -> bool | None:
        """Both gels over the label's contact area after the hold (None without the images)."""
        if not all(np.isfinite(self.contact_area)):
            return None
        return all(a >= CONTACT_MIN_AREA for a in self.contact_area)

    @property
    def cause(self) -> str:
        return cause(self.label, self.truth, self.damaged, self.truth_damaged, self.gels_in_contact,
                     self.truth_held, self.crushable, self.on_table)


def cause(label: bool, truth: bool, damaged: bool | None, truth_damaged: bool | None,
          gels_in_contact: bool | None = None, truth_held: bool | None = None, crushable: bool = True,
          on_table: bool | None = None) -> str:
    """AGREE when the label and the truth agree, else why they differ. Unrecorded fields (version-1
    records) are inferred where the rest decides them, else the cause is UNKNOWN."""
    if label == truth:
        return AGREE
    if label:  # the gels showed contact and no crush was seen; the object was crushed, or not held
        if truth_damaged:
            return CRUSH_NOT_SEEN
        if truth_damaged is False or not crushable or truth_held is False:
            return TOUCHING_NOT_HELD
        return UNKNOWN
    # the label failed a grasp the simulator says held undamaged: the touch-down, a crush the refit saw, or
    # no contact
    if on_table:
        return TABLE_NOT_REAL
    seen_crush = damaged if damaged is not None else gels_in_contact  # contact and a failed label: the refit
    if seen_crush is None:
        return UNKNOWN
    return CRUSH_NOT_REAL if seen_crush else HELD_NO_CONTACT


def row_from_record(record, material: str = "", crushable: bool = True,
                    thresholds: tuple[float, float] = (CONTACT_THRESHOLD, CONTACT_THRESHOLD),
                    relabel: bool = False) -> LabelRow:
    """A trial's row from one of its records (its after-hold gel images against the open-gel ones, each
    at the contact threshold its label used). relabel: the label these thresholds give (both gels in
    contact, and no crush seen by the record's inspection) instead of the recorded one: how another
    threshold rule would have labelled the same trials."""
    areas, contact = [], []
    for side, threshold in zip(("left", "right"), thresholds, strict=True):
        after, before = record.images.get(f"gel_{side}_after"), record.images.get(f"gel_{side}_before")
        if after is None or before is None:
            if relabel:
                raise DatasetError(f"trial {record.trial_id} has no {side} gel images to relabel it from")
            areas.append(float("nan"))
            continue
        c = detect_contact(after, before, threshold)
        areas.append(c.area)
        contact.append(c.in_contact)
    on_table = getattr(record, "on_table", None)
    label = grasp_success(all(contact), record.damaged, on_table) if relabel else bool(record.success)
    return LabelRow(int(record.trial_id), record.object_id, material, tuple(int(g) for g in record.gel_ids),
                    label, bool(record.ground_truth_success), record.damaged,
                    record.ground_truth_damaged, (areas[0], areas[1]), record.ground_truth_held, crushable,
                    on_table)


def _rate(rows: list[LabelRow]) -> dict:
    agree = sum(r.cause == AGREE for r in rows)
    lo, hi = wilson_interval(agree, len(rows))
    by_object = defaultdict(list)
    for r in rows:
        by_object[r.object_id].append(r.cause == AGREE)
    blo, bhi = cluster_interval(list(by_object.values())) if len(by_object) > 1 else (float("nan"),) * 2
    return {"n": len(rows), "agree": agree, "rate": agree / len(rows) if rows else float("nan"),
            "wilson95": [lo, hi], "object_bootstrap95": [blo, bhi],
            "causes": {c: n for c, n in Counter(r.cause for r in rows).items() if c != AGREE}}


def _area_bin(row: LabelRow) -> str:
    weaker = min(row.contact_area)
    if not np.isfinite(weaker):
        return "no images"
    for lo, hi in zip(AREA_BINS[:-1], AREA_BINS[1:], strict=True):
        if lo <= weaker < hi:
            return f"{lo:.2f}-{min(hi, 1.0):.2f}"
    raise ValueError(f"contact area {weaker} outside [0, 1]")


def summarize(rows: list[LabelRow], gel_properties=None) -> dict:
    """Agreement overall and by cause, object set (train, easy, hard: a label rule chosen on the training
    objects is checked on the others), gel, material and contact area; the confusion of label and truth.
    gel_properties(gel_id) -> dict adds each gel's look (calibration, light gain) to its row."""
    if not rows:
        raise ValueError("no trials to compare")
    confusion = Counter((r.label, r.truth) for r in rows)
    groups = {"object_set": defaultdict(list), "gel": defaultdict(list), "material": defaultdict(list),
              "weaker_contact_area": defaultdict(list)}
    for r in rows:
        groups["object_set"][r.object_id.split("_")[0]].append(r)
        for g in r.gel_ids:
            groups["gel"][g].append(r)
        groups["material"][r.material or "-"].append(r)
        groups["weaker_contact_area"][_area_bin(r)].append(r)
    out = {"overall": _rate(rows),
           "confusion": {"label held, truth held": confusion[(True, True)],
                         "label held, truth failed": confusion[(True, False)],
                         "label failed, truth held": confusion[(False, True)],
                         "label failed, truth failed": confusion[(False, False)]},
           "disagreements": [asdict(r) | {"cause": r.cause} for r in rows if r.cause != AGREE]}
    for name, members in groups.items():
        out[f"by_{name}"] = {str(k): _rate(v) for k, v in sorted(members.items())}
    if gel_properties is not None:
        for gel, stats in out["by_gel"].items():
            stats["gel"] = gel_properties(int(gel))
    return out


def _pct(rate: dict) -> str:
    lo, hi = rate["wilson95"]
    return f"{100 * rate['rate']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}] ({rate['agree']}/{rate['n']})"


def _causes(rate: dict) -> str:
    return "; ".join(f"{c}: {n}" for c, n in sorted(rate["causes"].items())) or "-"


def markdown(summary: dict, header: list[str]) -> str:
    o = summary["overall"]
    blo, bhi = o["object_bootstrap95"]
    lines = ["# Tactile label against the simulator's truth", "", *header, "",
             f"Agreement: **{_pct(o)}** (Wilson 95%); by-object bootstrap [{100 * blo:.1f}, {100 * bhi:.1f}].", "",
             "| | truth held | truth failed |", "|---|---|---|",
             f"| label held | {summary['confusion']['label held, truth held']} | "
             f"{summary['confusion']['label held, truth failed']} |",
             f"| label failed | {summary['confusion']['label failed, truth held']} | "
             f"{summary['confusion']['label failed, truth failed']} |", "",
             "Disagreements by cause:", "", "| cause | trials |", "|---|---|"]
    lines += [f"| {c} | {o['causes'].get(c, 0)} |" for c in CAUSES[1:]]
    for name, title in (("by_object_set", "object set"), ("by_gel", "gel"), ("by_material", "material"),
                        ("by_weaker_contact_area", "weaker gel's contact area after the hold")):
        lines += ["", f"By {title}:", "", f"| {title} | agreement | disagreements |", "|---|---|---|"]
        for key, rate in summary[name].items():
            look = rate.get("gel")
            label = key if look is None else f"{key} ({', '.join(f'{k} {v}' for k, v in look.items())})"
            lines.append(f"| {label} | {_pct(rate)} | {_causes(rate)} |")
    return "\n".join(lines) + "\n"
