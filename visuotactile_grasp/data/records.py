"""One grasp trial as recorded by self-supervised collection (schema version 4).

A record is self-contained: the images (PNG-encoded), the action and poses, the label and its
provenance, and timestamps. The paper's augmentation adds records derived from a trial (a
zero-motion sample in contact, a sample at release); `kind` says which.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

# 2 adds the inspection after the hold and the simulator's held flag (damaged, ground_truth_damaged,
# ground_truth_held); version-1 records read with them None. 3 adds chosen_by (who chose the regrasp:
# on-policy collection), and its release sample is the paper's "gripper opened": the gels after the fingers
# opened from the first grasp (before: the first grasp 0.2 s later, fingers still closed, a near duplicate
# of the grasp record); older records read with chosen_by None and keep their release records.
# 4 adds on_table (the inspection's touch-down read the object standing on the table; already in the label);
# older records read with it None.
# An older reader refuses a newer version by name.
SCHEMA_VERSION = 4
READABLE_SCHEMAS = (1, 2, 3, 4)
CHOOSERS = ("random", "policy", "explore")  # the collection's random regrasp; a learned policy's; exploration
IMAGE_KEYS = ("rgb_before", "depth_before", "gel_left_before", "gel_right_before", "gel_left_during",
              "gel_right_during", "gel_left_after", "gel_right_after")
KINDS = ("grasp", "zero_motion", "release")


@dataclass
class TrialRecord:
    trial_id: int
    object_id: str
    kind: str  # grasp | zero_motion | release
    success: bool  # the label (from the GelSight contact after the hold)
    label_source: str  # "tactile" or "ground_truth"
    ground_truth_success: bool
    action: np.ndarray  # 5: dx, dy, dz (m, base frame), dyaw (rad), dforce (N)
    ee_pose: np.ndarray  # 4: x, y, z, yaw before the action
    motion_gripper_frame: np.ndarray  # 3: translation of the action in the gripper frame
    grip_force: float  # N
    gel_ids: tuple[int, int]  # which physical gels (their backgrounds differ)
    stamps: dict[str, float]  # phase -> seconds (sim or robot time)
    images: dict[str, np.ndarray] = field(default_factory=dict)  # IMAGE_KEYS -> arrays
    # The inspection after the trial (procedure/outcome.py), already in the label: seen crushed by the
    # refit, and the simulator's truth. None: not inspected, or not known (a version-1 record).
    damaged: bool | None = None
    ground_truth_damaged: bool | None = None
    ground_truth_held: bool | None = None  # the simulator's: both pads touching, the object off the table
    # who chose the regrasp action (CHOOSERS): random collection, a learned policy (on-policy collection),
    # or exploration (on-policy collection keeping its random regrasp); None: a record from before schema 3
    chosen_by: str | None = None
    on_table: bool | None = None  # the inspection's touch-down read it on the table (already in the label)

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"record kind {self.kind!r} not in {KINDS}")
        for name, size in (("action", 5), ("ee_pose", 4), ("motion_gripper_frame", 3)):
            value = np.asarray(getattr(self, name), float)
            if value.shape != (size,) or not np.all(np.isfinite(value)):
                raise ValueError(f"{name} must be {size} finite numbers, got {value}")
        if not np.isfinite(self.grip_force) or self.grip_force < 0:
            raise ValueError(f"grip_force must be a finite non-negative force, got {self.grip_force}")
        if self.chosen_by is not None and self.chosen_by not in CHOOSERS:
            raise ValueError(f"chosen_by {self.chosen_by!r} not in {CHOOSERS}")
        unknown = set(self.images) - set(IMAGE_KEYS)
        if unknown:
            raise ValueError(f"unknown image keys {sorted(unknown)}")

    def metadata(self) -> dict:
        """Everything but the images, as JSON-ready values."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name == "images":
                continue
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                value = [float(v) for v in value]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, (np.bool_, bool)):
                value = bool(value)
            out[f.name] = value
        return out
