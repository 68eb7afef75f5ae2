"""Append-only dataset on disk that survives a SIGKILL with at most the trial in progress lost.

Layout:
    DIR/dataset.json           schema version and creation info (written once)
    DIR/records/NNNNNNNN.npz   one self-contained record per file (written to a temp name, fsynced,
                               then renamed: a record file is either whole or absent)
    DIR/index.jsonl            one line per record (id, object, kind, labels, file, sha256), appended
                               and fsynced after its record file exists

On open for resume, the index is the truth: a torn last line is dropped, record files the index
does not list (a crash between rename and index append) are removed, and numbering continues.
The reader checks the schema version and each record's checksum and says clearly what is wrong.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..perception.depth import depth_to_meters, depth_to_millimetres
from .records import IMAGE_KEYS, READABLE_SCHEMAS, SCHEMA_VERSION, TrialRecord

MANIFEST = "dataset.json"
INDEX = "index.jsonl"
FORMAT = "visuotactile_grasp.trials"


class DatasetError(RuntimeError):
    """A dataset or record that cannot be used, with the reason."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode_image(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.float32:  # depth in metres -> 16-bit millimetres, lossless at 1 mm
        array = depth_to_millimetres(array)
    elif array.ndim == 3:
        array = array[..., ::-1]  # RGB -> BGR for OpenCV
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array))
    if not ok:
        raise DatasetError("PNG encoding failed")
    return buf


def _decode_image(key: str, buf: np.ndarray) -> np.ndarray:
    image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DatasetError(f"image {key} does not decode")
    if key.startswith("depth"):
        return depth_to_meters(image, "16UC1")
    return image[..., ::-1].copy() if image.ndim == 3 else image


@dataclass
class EncodedRecord:
    """A record ready to be written: validated, its images PNG-encoded where the trial ran (a Ray
    worker), its metadata without the record id (the position the one writer appends it at).
    Encoding is most of a write's cost; done on the workers, the writer only stores bytes."""
    meta: dict
    arrays: dict[str, np.ndarray]

    @property
    def success(self) -> bool:
        return bool(self.meta["success"])


def encode_record(record: TrialRecord) -> EncodedRecord:
    record.validate()
    return EncodedRecord(dict(record.metadata(), schema_version=SCHEMA_VERSION),
                         {f"image_{k}": _encode_image(v) for k, v in record.images.items()})


def complete_trials(entries: list[dict]) -> list[dict]:
    """The index entries without a last trial that append_trial did not finish (a crash mid-trial)."""
    if not entries:
        return entries
    last = entries[-1]
    first = len(entries)
    while first > 0 and entries[first - 1]["trial_id"] == last["trial_id"]:
        first -= 1
    return entries if len(entries) - first >= last.get("trial_records", 1) else entries[:first]


class DatasetWriter:
    def __init__(self, root: str | Path, resume: bool = False, info: dict | None = None) -> None:
        self.root = Path(root)
        self.records_dir = self.root / "records"
        manifest = self.root / MANIFEST
        if manifest.exists():
            if not resume:
                raise DatasetError(f"{self.root} already holds a dataset; pass resume to continue it")
            existing = DatasetReader.check_manifest(manifest)
            if existing.get("schema_version") != SCHEMA_VERSION:  # records of two meanings must not mix
                raise DatasetError(f"{self.root} holds schema-{existing.get('schema_version')} records; this code "
                                   f"writes schema {SCHEMA_VERSION} (data/records.py says what changed): "
                                   "start a new dataset")
        else:
            self.records_dir.mkdir(parents=True, exist_ok=True)
            tmp = manifest.with_suffix(".tmp")
            tmp.write_text(json.dumps({"format": FORMAT, "schema_version": SCHEMA_VERSION,
                                       "created": time.time(), "info": info or {}}, indent=2))
            os.replace(tmp, manifest)
            _fsync_dir(self.root)
        self.records_dir.mkdir(exist_ok=True)
        self.entries = self._recover()
        self.next_id = max((e["record_id"] for e in self.entries), default=-1) + 1
        self._index = open(self.root / INDEX, "a", encoding="utf-8")

    def _recover(self) -> list[dict]:
        """Entries of the index that are whole; drop a torn tail and unlisted record files."""
        index = self.root / INDEX
        entries, ends, good_bytes = [], [], 0
        if index.exists():
            raw = index.read_bytes()
            for line in raw.splitlines(keepends=True):
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    break  # a torn last line from a crash mid-append
                if not line.endswith(b"\n"):
                    break
                entries.append(entry)
                good_bytes += len(line)
                ends.append(good_bytes)
            entries = complete_trials(entries)
            good_bytes = ends[len(entries) - 1] if entries else 0
            if good_bytes != len(raw):
                with open(index, "r+b") as f:
                    f.truncate(good_bytes)
        listed = {e["file"] for e in entries}
        for path in self.records_dir.iterdir():
            if path.name not in listed:
                path.unlink()  # temp files and records whose index line never landed
        return entries

    def append_trial(self, records: list[TrialRecord | EncodedRecord]) -> list[int]:
        """Write one trial's records; a crash part-way leaves none of them once the dataset is reopened."""
        return [self._append(r, len(records)) for r in records]

    def append(self, record: TrialRecord | EncodedRecord) -> int:
        """Write one record durably; returns its record id."""
        return self._append(record, 1)

    def _append(self, record: TrialRecord | EncodedRecord, trial_records: int) -> int:
        encoded = record if isinstance(record, EncodedRecord) else encode_record(record)
        record_id = self.next_id
        name = f"{record_id:08d}.npz"
        meta = dict(encoded.meta, record_id=record_id)
        buffer = io.BytesIO()
        np.savez(buffer, metadata=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **encoded.arrays)
        data = buffer.getvalue()
        tmp = self.records_dir / (name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.records_dir / name)
        _fsync_dir(self.records_dir)
        entry = {"record_id": record_id, "trial_id": meta["trial_id"], "object_id": meta["object_id"],
                 "kind": meta["kind"], "success": bool(meta["success"]),
                 "ground_truth_success": bool(meta["ground_truth_success"]), "file": name,
                 "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                 "trial_records": trial_records}
        self._index.write(json.dumps(entry) + "\n")
        self._index.flush()
        os.fsync(self._index.fileno())
        self.entries.append(entry)
        self.next_id += 1
        return record_id

    def close(self) -> None:
        self._index.close()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DatasetReader:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        manifest = self.root / MANIFEST
        if not manifest.exists():
            raise DatasetError(f"{self.root} is not a dataset (no {MANIFEST})")
        self.manifest = self.check_manifest(manifest)
        index = self.root / INDEX
        self.entries = []
        if index.exists():
            lines = index.read_text(encoding="utf-8").splitlines()
            for n, line in enumerate(lines, 1):
                try:
                    self.entries.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    if n == len(lines):
                        break  # a torn last line: a run was killed mid-append (the writer repairs it)
                    raise DatasetError(f"{index}:{n} is not a JSON line ({exc}); "
                                       f"open it with DatasetWriter(resume=True) to repair a crashed run") from exc
            self.entries = complete_trials(self.entries)

    @property
    def info(self) -> dict:
        """How the dataset was collected (dataset.json's "info": source, objects, gels, front camera...)."""
        return self.manifest.get("info", {})

    @staticmethod
    def check_manifest(path: Path) -> dict:
        try:
            manifest = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DatasetError(f"{path} is unreadable: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise DatasetError(f"{path} is not a {FORMAT} dataset (format {manifest.get('format')!r})")
        if manifest.get("schema_version") not in READABLE_SCHEMAS:
            raise DatasetError(f"{path} has schema version {manifest.get('schema_version')}, "
                               f"this code reads versions {', '.join(map(str, READABLE_SCHEMAS))}")
        return manifest

    def __len__(self) -> int:
        return len(self.entries)

    def load(self, i: int, images: bool = True) -> TrialRecord:
        entry = self.entries[i]
        path = self.root / "records" / entry["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"record {entry['record_id']} ({path}) is missing: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise DatasetError(f"record {entry['record_id']} ({path}) is corrupt: checksum mismatch")
        try:
            npz = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(npz["metadata"].tobytes())
        except (ValueError, KeyError, OSError) as exc:
            raise DatasetError(f"record {entry['record_id']} ({path}) is not a trial record: {exc}") from exc
        if meta.get("schema_version") not in READABLE_SCHEMAS:
            raise DatasetError(f"record {path} has schema version {meta.get('schema_version')}")
        meta.pop("schema_version")
        meta.pop("record_id")
        imgs = {}
        if images:
            imgs = {k: _decode_image(k, npz[f"image_{k}"]) for k in IMAGE_KEYS if f"image_{k}" in npz.files}
        return TrialRecord(**{**meta, "action": np.asarray(meta["action"]), "ee_pose": np.asarray(meta["ee_pose"]),
                              "motion_gripper_frame": np.asarray(meta["motion_gripper_frame"]),
                              "gel_ids": tuple(meta["gel_ids"])}, images=imgs)

    def object_ids(self) -> list[str]:
        return sorted({e["object_id"] for e in self.entries})
