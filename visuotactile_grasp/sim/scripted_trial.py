"""One grasp trial scripted directly on a cell's Python API (no ROS): approach, close, lift, hold.

Used by the simulator's tests and benchmark and by the contact sheet, so a person can see what
the front camera and both gels saw at each step.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..devices.wsg50.model import WSG50_STROKE

PHASES = ("before", "closed", "lifted", "held")


@dataclass
class TrialResult:
    object_id: str
    force: float
    held: bool
    grasping_state: int
    sim_seconds: float
    frames: dict = field(default_factory=dict)  # phase -> {"rgb", "depth", "gel_left", "gel_right"}


def run_for(cell, seconds: float, step: float = 0.01) -> None:
    """Step a cell (either backend) for this many simulated seconds."""
    for _ in range(int(round(seconds / step))):
        cell.step(step)


def run_trial(cell, object_id: str, force: float, offset=(0.0, 0.0), z_frac: float = 0.5, yaw: float = 0.0,
              hold_s: float = 4.0, place=(0.6, 0.0), render: bool = False) -> TrialResult:
    """Grasp object_id at place + offset, z_frac of its height, with force; lift 10 cm; hold."""
    t0 = cell.time
    frames = {}

    def snap(phase: str) -> None:
        if render:
            rgb, depth = cell.render_camera()
            frames[phase] = {"rgb": rgb, "depth": depth, "gel_left": cell.render_gel("left"),
                             "gel_right": cell.render_gel("right")}

    cell.gripper.start_motion("move", WSG50_STROKE, 0.3)
    cell.command_ee([place[0], place[1], 0.5, yaw])
    run_for(cell, 0.8)
    cell.reset_object(object_id, place)
    spec = cell.obj
    x, y = place[0] + offset[0], place[1] + offset[1]
    z = max(0.015, spec.height * z_frac)
    snap("before")
    cell.command_ee([x, y, spec.height + 0.05, yaw])
    run_for(cell, 1.0)
    cell.command_ee([x, y, z, yaw])
    run_for(cell, 0.8)
    cell.gripper.force_limit = float(force)
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    run_for(cell, 0.8)
    state = cell.gripper.state()
    snap("closed")
    cell.command_ee([x, y, z + 0.1, yaw])
    run_for(cell, 0.5)
    snap("lifted")
    run_for(cell, hold_s)
    snap("held")
    return TrialResult(object_id, float(force), cell.ground_truth_held(), state["grasping_state"],
                       cell.time - t0, frames)


def contact_sheet(result: TrialResult) -> np.ndarray:
    """One RGB image: a row per phase with the front camera, its depth and both gels."""
    import cv2

    rows = []
    for phase in PHASES:
        if phase not in result.frames:
            continue
        f = result.frames[phase]
        h = 240
        depth = f["depth"]
        valid = depth > 0
        norm = np.zeros(depth.shape, np.uint8)
        if valid.any():
            lo, hi = np.percentile(depth[valid], [1, 99])
            norm[valid] = np.clip(255 * (hi - depth[valid]) / max(hi - lo, 1e-6), 0, 255).astype(np.uint8)
        tiles = [f["rgb"], cv2.applyColorMap(norm, cv2.COLORMAP_VIRIDIS)[..., ::-1], f["gel_left"], f["gel_right"]]
        tiles = [cv2.resize(t, (int(t.shape[1] * h / t.shape[0]), h)) for t in tiles]
        row = np.concatenate(tiles, axis=1)
        cv2.putText(row, phase, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        rows.append(row)
    sheet = np.concatenate(rows, axis=0)
    caption = (f"{result.object_id}  force {result.force:.0f} N  "
               f"{'HELD' if result.held else 'DROPPED'}   front RGB | depth | GelSight left | GelSight right")
    bar = np.zeros((32, sheet.shape[1], 3), np.uint8)
    cv2.putText(bar, caption, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1)
    return np.concatenate([bar, sheet], axis=0)
