"""The trial dataset: round trip, crash safety under SIGKILL, resume, and clear errors."""
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.data.records import TrialRecord
from visuotactile_grasp.data.store import DatasetError, DatasetReader, DatasetWriter


def make_record(i: int, images: bool = True) -> TrialRecord:
    rng = np.random.default_rng(i)
    imgs = {}
    if images:
        imgs = {"rgb_before": rng.integers(0, 255, (24, 32, 3), dtype=np.uint8),
                "depth_before": rng.uniform(0.5, 2.0, (24, 32)).astype(np.float32),
                "gel_left_during": rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)}
    return TrialRecord(trial_id=i, object_id=f"train_{i % 3:03d}", kind="grasp", success=bool(i % 2),
                       label_source="tactile", ground_truth_success=bool(i % 2),
                       action=np.array([0.01, -0.01, 0.0, 0.1, 2.0]), ee_pose=np.array([0.6, 0.0, 0.1, 0.3]),
                       motion_gripper_frame=np.array([0.01, -0.01, 0.0]), grip_force=12.5, gel_ids=(0, 1),
                       stamps={"closed": 1.5, "lifted": 3.0}, images=imgs)


def test_round_trip(tmp_path):
    with DatasetWriter(tmp_path / "ds") as writer:
        for i in range(4):
            writer.append(make_record(i))
    reader = DatasetReader(tmp_path / "ds")
    assert len(reader) == 4 and reader.object_ids() == ["train_000", "train_001", "train_002"]
    rec = reader.load(2)
    original = make_record(2)
    assert rec.object_id == original.object_id and rec.success == original.success
    np.testing.assert_allclose(rec.action, original.action)
    np.testing.assert_array_equal(rec.images["rgb_before"], original.images["rgb_before"])
    np.testing.assert_allclose(rec.images["depth_before"], original.images["depth_before"], atol=0.0006)


def test_invalid_record_is_refused_and_nothing_written(tmp_path):
    with DatasetWriter(tmp_path / "ds") as writer:
        bad = make_record(0)
        bad.action = np.array([math.nan, 0, 0, 0, 0])
        with pytest.raises(ValueError, match="action"):
            writer.append(bad)
        assert writer.next_id == 0
    assert len(DatasetReader(tmp_path / "ds")) == 0


def test_existing_dataset_needs_resume(tmp_path):
    DatasetWriter(tmp_path / "ds").close()
    with pytest.raises(DatasetError, match="resume"):
        DatasetWriter(tmp_path / "ds")


WRITER = r"""
import sys
from test_dataset_store import make_record
from visuotactile_grasp.data.store import DatasetWriter
writer = DatasetWriter(sys.argv[1], resume=True)
while True:
    writer.append(make_record(writer.next_id))
    print(writer.next_id, flush=True)
"""


def test_sigkill_loses_at_most_the_trial_in_progress(tmp_path):
    root = tmp_path / "ds"
    DatasetWriter(root).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True,
                            cwd=str(tmp_path), env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    written = 0
    deadline = time.monotonic() + 30
    while written < 15 and time.monotonic() < deadline:
        written = int(proc.stdout.readline() or 0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert written >= 15
    with DatasetWriter(root, resume=True) as writer:
        recovered = len(writer.entries)
        assert written <= recovered <= written + 1  # only the record being written may be lost
        writer.append(make_record(writer.next_id))
    reader = DatasetReader(root)
    assert len(reader) == recovered + 1
    for i in range(len(reader)):
        reader.load(i)  # every listed record is whole
    assert sorted(p.name for p in (root / "records").iterdir()) == [e["file"] for e in reader.entries]


def test_torn_index_line_and_orphan_file_are_repaired(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter(root) as writer:
        for i in range(3):
            writer.append(make_record(i, images=False))
    with open(root / "index.jsonl", "a") as f:
        f.write('{"record_id": 3, "trial_')  # crash mid-append
    (root / "records" / "00000003.npz").write_bytes(b"partial")
    (root / "records" / "00000004.npz.tmp").write_bytes(b"partial")
    assert len(DatasetReader(root)) == 3  # a reader of a live or killed run skips the torn tail
    with DatasetWriter(root, resume=True) as writer:
        assert len(writer.entries) == 3 and writer.next_id == 3
    assert len(DatasetReader(root)) == 3
    assert sorted(p.name for p in (root / "records").iterdir()) == ["00000000.npz", "00000001.npz", "00000002.npz"]


def test_torn_line_inside_the_index_is_an_error(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter(root) as writer:
        writer.append(make_record(0, images=False))
    index = root / "index.jsonl"
    index.write_text('{"record_id": 9, "tri\n' + index.read_text())
    with pytest.raises(DatasetError, match="resume"):
        DatasetReader(root)


def test_a_trial_cut_short_by_a_crash_is_dropped_whole(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter(root) as writer:
        writer.append_trial([make_record(1, images=False), make_record(1, images=False)])
        writer.append_trial([make_record(2, images=False), make_record(2, images=False)])
    index = root / "index.jsonl"
    lines = index.read_text().splitlines(keepends=True)
    index.write_text("".join(lines[:3]))  # killed after the first record of trial 2
    assert [e["trial_id"] for e in DatasetReader(root).entries] == [1, 1]
    with DatasetWriter(root, resume=True) as writer:
        assert writer.next_id == 2
        assert [e["trial_id"] for e in writer.entries] == [1, 1]
    assert sorted(p.name for p in (root / "records").iterdir()) == ["00000000.npz", "00000001.npz"]


def test_corrupt_record_and_foreign_dataset_give_clear_errors(tmp_path):
    root = tmp_path / "ds"
    with DatasetWriter(root) as writer:
        writer.append(make_record(0))
    path = root / "records" / "00000000.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="corrupt"):
        DatasetReader(root).load(0)
    path.unlink()
    with pytest.raises(DatasetError, match="missing"):
        DatasetReader(root).load(0)
    manifest = json.loads((root / "dataset.json").read_text())
    (root / "dataset.json").write_text(json.dumps({**manifest, "schema_version": 99}))
    with pytest.raises(DatasetError, match="schema version 99"):
        DatasetReader(root)
    (root / "dataset.json").write_text(json.dumps({"format": "something_else"}))
    with pytest.raises(DatasetError, match="not a visuotactile_grasp.trials dataset"):
        DatasetReader(root)
    with pytest.raises(DatasetError, match="not a dataset"):
        DatasetReader(tmp_path / "nothing_here")


def test_the_front_camera_of_a_dataset_is_recorded_or_known_or_refused(tmp_path):
    from visuotactile_grasp.model.inputs import dataset_camera
    from visuotactile_grasp.sim.cell import front_camera_model

    def dataset(name, info):
        with DatasetWriter(tmp_path / name, info=info) as writer:
            writer.append_trial([make_record(0)])
        return DatasetReader(tmp_path / name)

    recorded = front_camera_model(640, 480)
    assert dataset_camera(dataset("recorded", {"front_camera": recorded.to_dict()})) == recorded
    # vtg collect's datasets from before the camera was recorded: the simulated Kinect at the images' size
    h, w = make_record(0).images["rgb_before"].shape[:2]
    assert dataset_camera(dataset("vtg_collect", {"trials": 1, "source": "direct"})) == front_camera_model(w, h)
    with pytest.raises(DatasetError, match="no front camera model"):
        dataset_camera(dataset("robot", {"source": "graph"}))  # a collector node's own dataset: unknown camera


def test_a_dataset_of_another_schema_is_not_continued(tmp_path, monkeypatch):
    """Records of two schemas mean different things (schema 3's release sample): a resume refuses to mix them."""
    from visuotactile_grasp.data import store

    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    with DatasetWriter(tmp_path / "old") as writer:
        writer.append_trial([make_record(0)])
    monkeypatch.undo()
    with pytest.raises(DatasetError, match="schema-2 records"):
        DatasetWriter(tmp_path / "old", resume=True)
    assert len(DatasetReader(tmp_path / "old")) == 1  # still readable
