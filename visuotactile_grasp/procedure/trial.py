"""THE collection trial, written once over a small robot-cell interface (no ROS here).

The data collector node runs it through the node graph (ros/trial_cell.py); bulk collection runs it
on bare simulated cells (collection/direct.py). The paper's self-supervised trial:

1. fingers open, arm at the observation pose, the cylinder fitted; the gels' background;
2. the first grasp at the fitted centre plus a random offset, height, yaw and force (state s);
3. the release sample: the fingers opened from that grasp (the regrasp's first step), release_delay
   later, the gels free again (the paper's "gripper opened");
4. the regrasp action a (open, move, close at a new force): the random one, or on-policy the one a
   learned model chooses from state s (collection/on_policy.py);
5. lift, hold, label from the gels; cells that inspect touch down, put the object down and look for
   damage (procedure/outcome.py): the label is held, not on the table and not damaged.

What a trial saw becomes three records (collection/trial.build_records); the caller writes them and
puts the object down.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from ..collection.trial import CollectConfig, Snapshot, TrialObservations, plan_trial
from .attempt import Fit
from .outcome import grasp_success, inspect

FULL = ("rgb", "depth", "gel_left", "gel_right")
GELS = ("gel_left", "gel_right")


class TrialCell(Protocol):
    """What a collection trial needs from a robot cell (the ROS graph, or a bare simulated cell)."""

    def prepare(self) -> Fit: ...  # fingers open, arm at the observation pose, the object fitted
    def approach(self, grasp: np.ndarray, above_z: float) -> None: ...  # above the object, then down
    def close(self, force: float, what: str) -> None: ...  # grasp (closing on nothing is a result)
    def observe(self, keys: tuple[str, ...], settle: bool) -> Snapshot: ...  # settle: after a motion
    def pause(self, seconds: float) -> None: ...  # let the robot's clock run, nothing commanded
    def release(self) -> None: ...  # open the fingers where they are
    def regrasp(self, index: int, target: np.ndarray, force: float) -> None: ...  # open, move, close
    def lift_and_hold(self, height: float, seconds: float) -> None: ...
    def label_trial(self, background: Snapshot, after: Snapshot) -> tuple[bool, bool]: ...  # tactile, truth
    # optional: touch down, put down, look again: an outcome.Inspection; see procedure/outcome.inspect
    # def inspect(self) -> tuple[bool | None, bool | None]: ...


def run_trial(cell: TrialCell, config: CollectConfig, rng: np.random.Generator, trial_id: int,
              object_id: str, chooser=None) -> TrialObservations:
    """One trial; a cell's step failure propagates (the caller records nothing and names the reason).
    chooser(plan, first, background, fit) -> (plan, chosen_by) picks the regrasp from the state
    (on-policy collection; it draws from a stream of its own); None keeps the plan's random one."""
    fit = cell.prepare()
    table_z = float(fit.center[2])
    plan = plan_trial(fit.center[:2], table_z, fit.height, rng, config)
    background = cell.observe(GELS, settle=False)  # fingers open: nothing touches the gels
    cell.approach(plan.grasp, table_z + fit.height + config.approach_clearance)
    cell.close(plan.force, "close")
    first = cell.observe(FULL, settle=True)
    cell.release()
    cell.pause(config.release_delay)
    at_release = cell.observe(FULL, settle=True)  # the fingers open, in the gels and the front camera
    chosen_by = "random"
    if chooser is not None:
        plan, chosen_by = chooser(plan, first, background, fit)
    cell.regrasp(1, plan.regrasp, plan.regrasp_force)
    second = cell.observe(FULL, settle=True)
    cell.lift_and_hold(config.lift_height, config.hold_time)
    after = cell.observe(GELS, settle=False)  # the hold gave the frames time
    held, truth_held = cell.label_trial(background, after)
    damaged, truth_damaged, on_table, _ = inspect(cell)
    stamps = {"background": background.stamp, "first_contact": first.stamp, "release": at_release.stamp,
              "second_contact": second.stamp, "after_hold": after.stamp}
    return TrialObservations(trial_id, object_id, plan, background, first, at_release, second, after,
                             success=grasp_success(held, damaged, on_table),
                             ground_truth_success=grasp_success(truth_held, truth_damaged),
                             stamps=stamps, damaged=damaged, ground_truth_damaged=truth_damaged,
                             ground_truth_held=truth_held, chosen_by=chosen_by, on_table=on_table, held=held)
