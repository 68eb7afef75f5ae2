"""The collection trial's robot cell through the node graph: procedure/trial.py runs on it in the
data collector. Each method is one or more blocking steps of ros/robot_steps.RobotSteps; frames come
from the collector's frame cache, fresh on the robot's clock. A failed step raises StepFailed, a stop
AttemptStopped, and the collector names the outcome (nothing of the trial is written)."""
from __future__ import annotations

import numpy as np

from ..procedure.outcome import Inspection
from ..collection.trial import Snapshot
from ..procedure.attempt import Fit
from .clocks import node_now
from .robot_steps import StepFailed


class RosTrialCell:
    """node: the DataCollectorNode (RobotSteps, its frame cache and snapshot())."""

    def __init__(self, node) -> None:
        self.node = node
        self._released = False  # the fingers were opened by release(): the regrasp need not open them again
        self._grasp = None  # where the fingers hold the object now
        self._fitted = (float("nan"), float("nan"))  # the first fit's (radius, height)
        self.put_down = False  # inspect() put the object down, opened and went to the observation pose

    def prepare(self) -> Fit:
        node = self.node
        node.open_fingers()
        if (node.trials_done - 1) % node.p.background_every == 0:
            node.capture_backgrounds(node.capture)
        node.move(np.asarray(node.p.observe_pose, float), what="observe")
        fit = node.frames.fresh("fit", node_now(node), node.p.step_timeout)
        if fit is None or not fit.valid:
            raise StepFailed("no valid cylinder fit (is there an object on the table?)")
        self._fitted = (float(fit.radius), float(fit.height))
        return Fit(np.array([fit.center.x, fit.center.y, fit.center.z]), float(fit.height))

    def approach(self, grasp, above_z: float) -> None:
        self._grasp = np.asarray(grasp, float)
        self.node.approach_grasp(grasp, above_z)

    def close(self, force: float, what: str) -> None:
        self.node.close_fingers(force, what)

    def observe(self, keys, settle: bool) -> Snapshot:
        return self.node.snapshot(keys, settle=settle)

    def pause(self, seconds: float) -> None:
        self.node.sleep_sim(seconds)

    def release(self) -> None:
        self.node.open_for_regrasp("release sample: open")
        self._released = True

    def regrasp(self, index: int, target, force: float) -> None:
        self._grasp = np.asarray(target, float)
        self.node.regrasp_to(target, force, index, open_first=not self._released)
        self._released = False

    def lift_and_hold(self, height: float, seconds: float) -> None:
        self.node.lift_and_hold(height, seconds)

    def label_trial(self, background: Snapshot, after: Snapshot) -> tuple[bool, bool]:
        """The gel nodes' contact estimates, fresh after the hold (the images are the records')."""
        success = self.node.tactile_label()
        return success, (success if self.node.sim_held is None else bool(self.node.sim_held))

    def inspect(self) -> Inspection:
        """With inspect_damage: touch down, put down, look again (ros/robot_steps.inspect_after_hold).
        Without: Inspection() (nothing seen), holding alone decides."""
        node = self.node
        if not node.p.inspect_damage:
            return Inspection()
        seen = node.inspect_after_hold(self._grasp, self._fitted, lambda: node.frames.latest("fit"),
                                       node.fresh_contacts)
        self.put_down = True
        return seen
