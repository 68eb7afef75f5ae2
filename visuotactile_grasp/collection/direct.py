"""Collection trials on a bare simulated cell (no ROS): the same plan and records as the graph's collector.

This is the bulk path: every process steps its own MuJoCo cell and renders only the frames a record
keeps, so paper-scale datasets take tens of minutes on two cores. The graph path
(nodes/data_collector_node.py) runs the same plan through the real nodes and is the reference.
"""
from __future__ import annotations

import numpy as np

from ..perception.cylinder_fit import Intrinsics, fit_cylinder
from ..perception.tactile import detect_contact
from ..sim.scripted_trial import run_for
from .trial import CollectConfig, Snapshot, TrialObservations, plan_trial

OBSERVE_POSE = (0.6, 0.0, 0.5, 0.0)
OPEN_WIDTH = 0.11


class FitFailed(RuntimeError):
    pass


def gel_snapshot(cell) -> Snapshot:
    return Snapshot(gel_left=cell.render_gel("left"), gel_right=cell.render_gel("right"), stamp=cell.time)


def full_snapshot(cell) -> Snapshot:
    rgb, depth = cell.render_camera()
    snap = gel_snapshot(cell)
    snap.rgb, snap.depth = rgb, depth
    return snap


def tactile_label(background: Snapshot, after: Snapshot) -> bool:
    """Success when both gels still show contact after the hold, as the GelSight nodes decide it
    (detect_contact's defaults are config/gelsight.yaml's threshold and area)."""
    return all(detect_contact(getattr(after, f"gel_{s}"), getattr(background, f"gel_{s}")).in_contact
               for s in ("left", "right"))


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


def approach(cell, grasp, above_z: float) -> None:
    """Above the grasp at above_z, then down to it (fingers as they are)."""
    x, y, _, yaw = grasp
    cell.command_ee([x, y, above_z, yaw])
    run_for(cell, 1.0)
    cell.command_ee(grasp)
    run_for(cell, 0.8)


def approach_and_close(cell, grasp, force: float, top_z: float, clearance: float = 0.05) -> None:
    approach(cell, grasp, top_z + clearance)
    close(cell, force)


def close(cell, force: float) -> None:
    cell.gripper.force_limit = float(force)
    cell.gripper.start_motion("grasp", 0.0, 0.1)
    run_for(cell, 0.8)


def regrasp(cell, target, force: float) -> None:
    cell.gripper.start_motion("move", OPEN_WIDTH, 0.3)
    run_for(cell, 0.5)
    cell.command_ee(target)
    run_for(cell, 0.5)
    close(cell, force)


def run_trial(cell, object_id: str, trial_id: int, rng: np.random.Generator,
              config: CollectConfig = CollectConfig()) -> TrialObservations:
    """Place the object at random, fit it, grasp, regrasp by a random action, lift, hold, label."""
    t0 = cell.time
    fit = place_and_fit(cell, object_id)
    table_z = float(fit.center[2])
    plan = plan_trial(fit.center[:2], table_z, fit.height, rng, config)
    stamps = {"start": t0}
    background = gel_snapshot(cell)
    approach_and_close(cell, plan.grasp, plan.force, table_z + fit.height, config.approach_clearance)
    first = full_snapshot(cell)
    stamps["first_contact"] = cell.time
    run_for(cell, 0.2)
    at_release = gel_snapshot(cell)
    at_release.rgb, at_release.depth = first.rgb, first.depth  # the arm has not moved: same front view
    stamps["release"] = cell.time
    regrasp(cell, plan.regrasp, plan.regrasp_force)
    second = full_snapshot(cell)
    stamps["second_contact"] = cell.time
    cell.command_ee(plan.regrasp + np.array([0.0, 0.0, config.lift_height, 0.0]))
    run_for(cell, 0.5 + config.hold_time)
    after = gel_snapshot(cell)
    stamps["after_hold"] = cell.time
    return TrialObservations(trial_id, object_id, plan, background, first, at_release, second, after,
                             success=tactile_label(background, after),
                             ground_truth_success=cell.ground_truth_held(), stamps=stamps)
