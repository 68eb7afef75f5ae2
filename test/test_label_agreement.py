"""The tactile label against the simulator's truth (issue 15, item 6): each disagreement gets its cause,
the inspection after the hold is kept in the records, and `vtg label-report` recomputes, from the
recorded gel images, the contact the label was decided on."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.collection.card import label_agreement
from visuotactile_grasp.data.store import DatasetError, DatasetReader, DatasetWriter
from visuotactile_grasp.evaluation.label_agreement import (AGREE, CRUSH_NOT_REAL, CRUSH_NOT_SEEN, HELD_NO_CONTACT,
                                                           TABLE_NOT_REAL, TOUCHING_NOT_HELD, UNKNOWN, LabelRow, cause,
                                                           summarize)
from visuotactile_grasp.perception.tactile import detect_contact
from visuotactile_grasp.procedure.outcome import INSPECTION_RULE

from test_dataset_store import make_record

VTG = str(Path(sys.executable).parent / "vtg")


@pytest.mark.parametrize("label, truth, damaged, truth_damaged, extra, expected", [
    (True, True, False, False, {}, AGREE),
    (False, False, True, True, {}, AGREE),  # a crush the refit saw
    (True, False, False, True, {}, CRUSH_NOT_SEEN),
    (True, False, None, True, {}, CRUSH_NOT_SEEN),  # crushed and knocked out of view: no refit
    (True, False, False, False, {}, TOUCHING_NOT_HELD),
    (True, False, None, None, {"crushable": False}, TOUCHING_NOT_HELD),  # nothing to crush (v1)
    (True, False, None, None, {"truth_held": False}, TOUCHING_NOT_HELD),
    (True, False, None, None, {}, UNKNOWN),  # a version-1 record of a crushable object
    (False, True, True, False, {}, CRUSH_NOT_REAL),
    (False, True, False, False, {"on_table": True}, TABLE_NOT_REAL),  # the touch-down read the table
    (True, True, False, False, {"on_table": False}, AGREE),
    (False, True, False, False, {}, HELD_NO_CONTACT),
    (False, True, None, None, {"gels_in_contact": True}, CRUSH_NOT_REAL),  # contact, yet failed: the refit
    (False, True, None, None, {"gels_in_contact": False}, HELD_NO_CONTACT),
    (False, True, None, None, {}, UNKNOWN),  # no images to tell
])
def test_each_disagreement_gets_its_cause(label, truth, damaged, truth_damaged, extra, expected):
    assert cause(label, truth, damaged, truth_damaged, **extra) == expected


def _row(trial, obj, label, truth, area, gels=(0, 1), material="glass", damaged=False, truth_damaged=False):
    return LabelRow(trial, obj, material, gels, label, truth, damaged, truth_damaged, (area, 0.2))


def test_summary_counts_by_cause_gel_material_and_contact_area():
    rows = [_row(1, "a", True, True, 0.2), _row(2, "a", True, False, 0.005), _row(3, "b", False, True, 0.02,
            gels=(2, 3), material="foam"), _row(4, "b", False, False, float("nan"), gels=(2, 3), material="foam")]
    s = summarize(rows, lambda g: {"calibration": f"c{g % 3}"})
    assert s["overall"]["n"] == 4 and s["overall"]["agree"] == 2
    assert s["overall"]["causes"] == {TOUCHING_NOT_HELD: 1, HELD_NO_CONTACT: 1}
    assert s["confusion"] == {"label held, truth held": 1, "label held, truth failed": 1,
                              "label failed, truth held": 1, "label failed, truth failed": 1}
    assert {k: v["n"] for k, v in s["by_gel"].items()} == {"0": 2, "1": 2, "2": 2, "3": 2}
    assert s["by_gel"]["2"]["gel"] == {"calibration": "c2"}
    assert {k: (v["agree"], v["n"]) for k, v in s["by_material"].items()} == {"foam": (1, 2), "glass": (1, 2)}
    assert {k: v["n"] for k, v in s["by_object_set"].items()} == {"a": 2, "b": 2}  # the id up to its "_"
    assert {k: v["n"] for k, v in s["by_weaker_contact_area"].items()} == \
        {"0.00-0.01": 1, "0.01-0.03": 1, "0.10-1.00": 1, "no images": 1}
    assert [d["trial_id"] for d in s["disagreements"]] == [2, 3]
    lo, hi = s["overall"]["wilson95"]
    assert lo < 0.5 < hi
    with pytest.raises(ValueError, match="no trials"):
        summarize([])


def test_records_keep_the_inspection_and_old_records_read_as_not_inspected(tmp_path):
    with DatasetWriter(tmp_path / "ds") as writer:
        old, new = make_record(1), make_record(2)
        new.damaged, new.ground_truth_damaged = True, False
        writer.append(old)
        writer.append(new)
    reader = DatasetReader(tmp_path / "ds")
    assert (reader.load(0).damaged, reader.load(0).ground_truth_damaged) == (None, None)
    assert (reader.load(1).damaged, reader.load(1).ground_truth_damaged) == (True, False)


def test_version_1_datasets_still_read(tmp_path, monkeypatch):
    """A dataset written before schema 2 (records without the inspection fields) reads, not inspected."""
    from visuotactile_grasp.data import store
    from visuotactile_grasp.data.records import TrialRecord

    new_fields = ("damaged", "ground_truth_damaged", "ground_truth_held")
    version_2 = TrialRecord.metadata
    monkeypatch.setattr(store, "SCHEMA_VERSION", 1)
    monkeypatch.setattr(TrialRecord, "metadata",
                        lambda r: {k: v for k, v in version_2(r).items() if k not in new_fields})
    with DatasetWriter(tmp_path / "ds") as writer:
        writer.append(make_record(1))
    monkeypatch.undo()
    assert json.loads((tmp_path / "ds" / "dataset.json").read_text())["schema_version"] == 1
    record = DatasetReader(tmp_path / "ds").load(0)
    assert (record.damaged, record.ground_truth_damaged, record.ground_truth_held) == (None, None, None)


def test_label_report_recomputes_the_labels_contact_from_the_recorded_gels(ros_env, tmp_path):
    """A real v2 collection on calibrated gels (a crushable cup, a heavy glass bottle): the report's counts
    are the dataset's own; the trials were inspected; a trial labelled held shows contact on both
    recorded gels, and one labelled failed without a seen crush lacks it on at least one."""
    data, out = tmp_path / "ds", tmp_path / "report"
    collect = subprocess.run([VTG, "collect", "--sim", "--direct", "--workers", "1", "--trials", "4", "--objects",
                              "easy_03,hard_09", "--objects-library", "v2", "--gel-model", "calibrated",
                              "--gel-change-every", "2", "--out", str(data)],
                             env=ros_env, capture_output=True, text=True, timeout=400)
    assert collect.returncode == 0, collect.stderr[-2000:]
    report = subprocess.run([VTG, "label-report", str(data), "--out", str(out)], env=ros_env, capture_output=True,
                            text=True, timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    summary = json.loads((out / "label_agreement.json").read_text())
    assert (summary["overall"]["agree"], summary["overall"]["n"]) == label_agreement(DatasetReader(data))
    assert set(summary["by_material"]) == {"thin_wall", "glass"}
    assert set(summary["by_object_set"]) == {"easy", "hard"}
    assert all("calibration" in g["gel"] for g in summary["by_gel"].values())
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    for r in rows:
        assert r["truth_damaged"] is not None and r["truth_held"] is not None, r  # inspected (v2), truth kept
        areas = np.array(r["contact_area"])
        if r["label"]:
            assert (areas >= 0.01).all(), r
        elif not r["damaged"] and not r["on_table"]:  # failed with nothing seen by the inspection
            assert (areas < 0.01).any(), r
    report_md = (out / "label_agreement.md").read_text()
    assert "Disagreements by cause" in report_md
    assert f"- inspection rule: `{INSPECTION_RULE}`" in report_md  # the rule the dataset records

    # the same images read with another rule: the label recomputed, and the report says so
    relabelled = subprocess.run([VTG, "label-report", str(data), "--relabel", "default", "--out", str(out / "at18")],
                                env=ros_env, capture_output=True, text=True, timeout=300)
    assert relabelled.returncode == 0, relabelled.stderr[-2000:]
    report_text = (out / "at18" / "label_agreement.md").read_text()
    assert "- relabelled: the dataset's labels were read with noise thresholds" in report_text
    for r in (json.loads(line) for line in (out / "at18" / "rows.jsonl").read_text().splitlines()):
        assert r["label"] == (min(r["contact_area"]) >= 0.01 and not r["damaged"]), r
    # a dataset labelled by a rule this code no longer computes is not read as if it were a current one
    manifest = json.loads((data / "dataset.json").read_text())
    manifest["info"]["label_thresholds"] = "per_gel"
    (data / "dataset.json").write_text(json.dumps(manifest))
    refused = subprocess.run([VTG, "label-report", str(data), "--out", str(out / "old")], env=ros_env,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "--relabel noise or default" in refused.stderr, refused.stderr


def test_contact_area_is_the_labels_own_measure():
    """row_from_record measures with the label's detector: a blank pair has no area, a pressed patch does."""
    from visuotactile_grasp.evaluation.label_agreement import row_from_record

    record = make_record(3, images=False)
    background = np.full((60, 80, 3), 100, np.uint8)
    pressed = background.copy()
    pressed[20:40, 30:50] = 160
    record.images = {"gel_left_before": background, "gel_left_after": pressed,
                     "gel_right_before": background, "gel_right_after": background.copy()}
    row = row_from_record(record, "foam")
    assert row.contact_area[1] == 0.0
    assert row.contact_area[0] == pytest.approx(detect_contact(pressed, background).area) and row.contact_area[0] > 0.01


def test_relabel_reads_the_images_at_the_given_thresholds_and_keeps_the_seen_crush():
    from visuotactile_grasp.evaluation.label_agreement import row_from_record

    record = make_record(3, images=False)
    background = np.full((60, 80, 3), 100, np.uint8)
    faint = background.copy()
    faint[10:50, 20:60] = 110  # a change of 10 grey levels over a third of the pad
    record.images = {f"gel_{s}_{when}": image for s in ("left", "right")
                     for when, image in (("before", background), ("after", faint))}
    record.success, record.damaged = False, False
    assert row_from_record(record, thresholds=(5.0, 5.0)).label is False  # not relabelled: the recorded label
    assert row_from_record(record, thresholds=(5.0, 5.0), relabel=True).label is True
    assert row_from_record(record, thresholds=(18.0, 18.0), relabel=True).label is False
    record.damaged = True
    assert row_from_record(record, thresholds=(5.0, 5.0), relabel=True).label is False
    del record.images["gel_right_after"]
    with pytest.raises(DatasetError, match="no right gel images"):  # vtg says it in one line
        row_from_record(record, thresholds=(5.0, 5.0), relabel=True)


def test_a_folder_that_is_no_dataset_is_refused_in_one_line(ros_env, tmp_path):
    for verb in (["label-report", str(tmp_path), "--out", str(tmp_path / "report")],
                 ["train", "--data", str(tmp_path), "--out", str(tmp_path / "run")]):
        result = subprocess.run([VTG, *verb], env=ros_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "is not a dataset" in result.stderr and "Traceback" not in result.stderr, result.stderr
