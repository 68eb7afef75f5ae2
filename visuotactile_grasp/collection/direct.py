"""Collection trials on a bare simulated cell (no ROS): the same plan and records as the graph's collector.

This is the bulk path: every process steps its own MuJoCo cell and renders only the frames a record
keeps, so paper-scale datasets take tens of minutes on two cores. The graph path
(nodes/data_collector_node.py) runs the same plan through the real nodes and is the reference.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..devices.wsg50.model import WSG50_STROKE
from ..perception.cylinder_fit import Intrinsics, fit_cylinder
from ..perception.tactile import CONTACT_THRESHOLD, detect_contact
from ..planning.approach import OBSERVE_POSE
from ..sim.scripted_trial import run_for
from ..procedure.attempt import Fit
from ..perception.markers import on_table, summed_motion, vertical_motion
from ..procedure.outcome import (PUT_DOWN_CLEARANCE, PUT_DOWN_MARGIN, TOUCH_DOWN_DEPTH, TOUCH_DOWN_READ,
                                 TOUCH_DOWN_SPEED, Inspection, observed_damage)
from ..procedure.trial import run_trial as run_procedure
from .trial import CollectConfig, Snapshot, TrialObservations

OPEN_WIDTH = WSG50_STROKE  # fully open, as the nodes' open_width


class FitFailed(RuntimeError):
    pass


def gel_snapshot(cell) -> Snapshot:
    return Snapshot(gel_left=cell.render_gel("left"), gel_right=cell.render_gel("right"), stamp=cell.time)


def full_snapshot(cell) -> Snapshot:
    rgb, depth = cell.render_camera()
    snap = gel_snapshot(cell)
    snap.rgb, snap.depth = rgb, depth
    return snap


def tactile_label(background: Snapshot, after: Snapshot,
                  thresholds: tuple[float, float] = (CONTACT_THRESHOLD, CONTACT_THRESHOLD)) -> bool:
    """Success when both gels still show contact after the hold, as the GelSight nodes decide it
    (each at its sensor's threshold: the cell's contact_thresholds; the area is the nodes' default)."""
    return all(detect_contact(getattr(after, f"gel_{s}"), getattr(background, f"gel_{s}"), threshold).in_contact
               for s, threshold in zip(("left", "right"), thresholds, strict=True))


def place_and_fit(cell, object_id: str):
    """Arm out of view, fingers open, object at a random place; the cylinder fit from the depth image."""
    cell.gripper.start_motion("move", OPEN_WIDTH, 0.3)
    cell.command_ee(OBSERVE_POSE)
    run_for(cell, 0.8)
    cell.reset_object(object_id)
    _, depth = cell.render_camera()
    K = cell.camera.K
    fit = fit_cylinder(depth, Intrinsics(K.fx, K.fy, K.cx, K.cy), cell.camera.R, cell.camera.eye)
    if not fit.valid:
        raise FitFailed(f"no cylinder fit for {object_id}: {fit.reason}")
    return fit


def touch_down(cell, lifted, background: Snapshot) -> tuple[bool, float | None]:
    """The inspection's first leg (procedure/outcome.py): lower the hand TOUCH_DOWN_DEPTH from the lifted
    pose at TOUCH_DOWN_SPEED, and TOUCH_DOWN_READ into the motion read both gels' markers against their
    backgrounds: (whether the table carries the object, perception/markers.on_table; what was measured)."""
    cell.command_ee(np.asarray(lifted, float) - np.array([0.0, 0.0, TOUCH_DOWN_DEPTH, 0.0]), TOUCH_DOWN_SPEED)
    run_for(cell, TOUCH_DOWN_READ)
    now = gel_snapshot(cell)
    run_for(cell, TOUCH_DOWN_DEPTH / TOUCH_DOWN_SPEED - TOUCH_DOWN_READ)  # the rest of the way down
    motions = [vertical_motion(getattr(background, f"gel_{s}"), getattr(now, f"gel_{s}")) for s in ("left", "right")]
    return on_table(motions), summed_motion(motions)


def refit_after_put_down(cell, grasp) -> tuple[float, float] | None:
    """Put the object down where it was lifted from (PUT_DOWN_MARGIN above), open, move out of view and fit
    the cylinder again: its (radius, height), or None when nothing is fitted (the object fell out of view)."""
    cell.command_ee(np.asarray(grasp, float) + np.array([0.0, 0.0, PUT_DOWN_MARGIN, 0.0]))
    run_for(cell, 0.8)
    open_fingers(cell)
    cell.command_ee(np.asarray(grasp, float) + np.array([0.0, 0.0, PUT_DOWN_CLEARANCE, 0.0]))  # straight up
    run_for(cell, 0.4)
    cell.command_ee(OBSERVE_POSE)
    run_for(cell, 0.8)
    _, depth = cell.render_camera()
    K = cell.camera.K
    fit = fit_cylinder(depth, Intrinsics(K.fx, K.fy, K.cx, K.cy), cell.camera.R, cell.camera.eye)
    return (float(fit.radius), float(fit.height)) if fit.valid else None


def approach(cell, grasp, above_z: float) -> None:
    """Above the grasp at above_z, then down to it (fingers as they are)."""
    x, y, _, yaw = grasp
    cell.command_ee([x, y, above_z, yaw])
    run_for(cell, 1.0)
    cell.command_ee(grasp)
    run_for(cell, 0.8)


def close(cell, force: float) -> None:
    cell.gripper.force_limit = float(force)
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    run_for(cell, 0.8)


def open_fingers(cell) -> None:
    """Open the fingers where the hand is and let them get there (0.5 s)."""
    cell.gripper.start_motion("move", OPEN_WIDTH, 0.3)
    run_for(cell, 0.5)


def regrasp(cell, target, force: float) -> None:
    open_fingers(cell)
    cell.command_ee(target)
    run_for(cell, 0.5)
    close(cell, force)


class BareTrialCell:
    """procedure/trial.py's robot cell on a bare simulated cell: every step runs the physics for a
    fixed simulated time; frames are rendered on demand, so they always show the present."""

    def __init__(self, cell, object_id: str) -> None:
        self.cell, self.object_id = cell, object_id
        self._grasp = self._lifted = None
        self._fitted = (float("nan"), float("nan"))  # the fit's (radius, height) before the trial
        self.background: Snapshot | None = None  # the gels, fingers open: the markers at rest

    def prepare(self) -> Fit:
        fit = place_and_fit(self.cell, self.object_id)  # raises FitFailed
        self._fitted = (float(fit.radius), float(fit.height))
        self.background = gel_snapshot(self.cell)
        return Fit(np.asarray(fit.center, float), float(fit.height))

    def approach(self, grasp, above_z: float) -> None:
        self._grasp = np.asarray(grasp, float)
        approach(self.cell, self._grasp, above_z)

    def close(self, force: float, what: str) -> None:
        close(self.cell, force)

    def observe(self, keys, settle: bool) -> Snapshot:
        return full_snapshot(self.cell) if "rgb" in keys else gel_snapshot(self.cell)

    def pause(self, seconds: float) -> None:
        run_for(self.cell, seconds)

    def release(self) -> None:
        open_fingers(self.cell)

    def regrasp(self, index: int, target, force: float) -> None:
        self._grasp = np.asarray(target, float)
        regrasp(self.cell, self._grasp, force)

    def lift_and_hold(self, height: float, seconds: float) -> None:
        self._lifted = self._grasp + np.array([0.0, 0.0, height, 0.0])
        self.cell.command_ee(self._lifted)
        run_for(self.cell, 0.5 + seconds)

    def label_trial(self, background: Snapshot, after: Snapshot) -> tuple[bool, bool]:
        return tactile_label(background, after, self.cell.contact_thresholds()), self.cell.ground_truth_held()

    def inspect(self) -> Inspection:
        """The touch-down, the put-down and the refit after the hold. A cell with object library v1 skips
        it (its objects cannot be damaged), so v1 trials run exactly as before."""
        if getattr(self.cell.config, "objects", "v1") == "v1":
            return Inspection()
        truth = self.cell.ground_truth_damaged()  # what the grasp did (procedure/outcome.inspect)
        table, motion = touch_down(self.cell, self._lifted, self.background)
        return Inspection(observed_damage(self._fitted, refit_after_put_down(self.cell, self._grasp)), truth, table,
                          motion)


def run_trial(cell, object_id: str, trial_id: int, rng: np.random.Generator,
              config: CollectConfig | None = None, chooser=None) -> TrialObservations:
    """procedure/trial.run_trial on a bare cell (config: the data collector's, the data_collector parameters;
    chooser: on-policy collection's, collection/on_policy.py)."""
    config = config if config is not None else CollectConfig.from_params_file()
    obs = run_procedure(BareTrialCell(cell, object_id), config, rng, trial_id, object_id, chooser)
    return replace(obs, gel_ids=tuple(cell.gel_ids))  # the gels that imaged it (Cell.mount_gels)
