"""THE grasp attempt, written once over a small robot-cell interface (no ROS here).

The grasp executive runs it through the node graph (ros/grasp_cell.py: action clients, the planner
node); evaluation runs it on bare simulated cells (evaluation/bare_cell.py). The paper's protocol:

1. fingers open, gel backgrounds captured, arm at the observation pose, the cylinder fitted;
2. the first grasp: the fitted centroid (the paper's cylinder-fit baseline) or the initial grasp
   (the fitted centre plus a random offset, a random height and yaw: where learned policies start);
   the yaw is drawn either way, so paired attempts share it; close at the first force;
3. plan -> regrasp until the policy lifts or max_regrasps is reached (a changed force on the kept
   grasp is applied by closing again; at the limit the grasp is lifted as it is, at its own force:
   the regrasp the policy wanted carried a force chosen for another pose);
4. lift, hold, label from the gels; cells that inspect touch down (is the table carrying it?), put the
   object down and look for damage: success is held, not on the table and not damaged
   (procedure/outcome.py); otherwise the caller puts it down.

A close that finds no part (a miss, or a part squeezed out) is physics, not a failed step: the
procedure carries on, the policy decides from what the gels feel, and the label says what happened.
Both cells behave alike here (the graph used to end the attempt as an error, the bare cell did not).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Protocol

import numpy as np

from ..param_files import node_params
from ..planning.approach import APPROACH_CLEARANCE, ApproachConfig, height_band, sample_initial_grasp
from .outcome import HOLD_TIME, LIFT_HEIGHT, grasp_success, inspect

FIRST_GRASPS = ("initial", "centroid")


@dataclass(frozen=True)
class AttemptConfig:
    initial_force: float = 10.0  # N, first close of the learned policies
    max_regrasps: int = 5
    lift_height: float = LIFT_HEIGHT  # m
    hold_time: float = HOLD_TIME  # s
    approach_clearance: float = APPROACH_CLEARANCE  # m above the object's top
    approach: ApproachConfig = ApproachConfig()

    @classmethod
    def from_params(cls, p: dict) -> AttemptConfig:
        own = {f.name for f in fields(cls)} - {"approach"}
        approach = ApproachConfig(max_offset=float(p["max_offset"]), yaw_range=float(p["yaw_range"]))
        return cls(**{k: type(getattr(cls, k))(p[k]) for k in own}, approach=approach)

    @classmethod
    def from_params_file(cls) -> AttemptConfig:
        """The grasp executive's values in the grasp_executive parameters (one source for the robot graph
        and the bare cells)."""
        return cls.from_params(node_params("grasp_executive"))


@dataclass(frozen=True)
class Fit:
    center: np.ndarray  # x, y, z of the fitted cylinder's base centre (z: the table)
    height: float


@dataclass(frozen=True)
class Choice:
    """One decision of the policy, as the procedure needs it."""
    lift: bool
    force: float  # N, the grip force from now on
    target: np.ndarray  # x, y, z, yaw of the next grasp (the current one when lifting)
    probability: float
    action: np.ndarray  # 5-D: what the policy chose (for the record)


class GraspCell(Protocol):
    """What the procedure needs from a robot cell (the ROS graph, or a bare simulated cell)."""

    def prepare(self) -> Fit: ...  # fingers open, backgrounds, arm at the observation pose, fitted
    def approach(self, grasp: np.ndarray, above_z: float) -> None: ...  # above the object, then down
    def close(self, force: float, what: str) -> None: ...  # grasp (closing on nothing is not an error)
    def decide(self, index: int, pose: np.ndarray, force: float, fit: Fit) -> Choice: ...
    def regrasp(self, index: int, target: np.ndarray, force: float) -> None: ...  # open, move, close
    def lift_and_hold(self, height: float, seconds: float) -> None: ...
    def label(self) -> tuple[bool, bool | None]: ...  # tactile label; ground truth where known
    # optional: touch down, put down, look again: an outcome.Inspection; see procedure/outcome.inspect
    def phase(self, name: str, index: int = 0, probability: float = math.nan) -> None: ...


@dataclass
class AttemptResult:
    success: bool = False  # held (tactile label), not seen on the table, not seen damaged
    ground_truth: bool | None = None  # held and not damaged, as the simulator knows it
    held: bool = False  # the tactile label alone
    damaged: bool | None = None  # seen after the attempt (None: the cell does not inspect)
    on_table: bool | None = None  # the touch-down read the object standing on the table (None: not inspected)
    touch_down_motion: float | None = None  # what the touch-down measured (px; perception/markers.on_table)
    ground_truth_damaged: bool | None = None
    force: float = math.nan  # N at lift
    regrasps: int = 0
    first_grasp: list = field(default_factory=list)  # x, y, z, yaw of the first close
    # every decision the policy made: the chosen action's probability and the action (5-D); when
    # capped, the last one is the regrasp it asked for and did not get (the current grasp was lifted)
    probabilities: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    capped: bool = False  # lifted because max_regrasps was reached, not because the policy chose to


def centroid_grasp(fit: Fit, yaw: float, approach: ApproachConfig) -> np.ndarray:
    """The fitted cylinder's centroid: its centre, half its height (kept off the table and below the top)."""
    table_z = float(fit.center[2])
    z = float(np.clip(table_z + fit.height / 2, *height_band(table_z, fit.height, approach)))
    return np.array([float(fit.center[0]), float(fit.center[1]), z, yaw])


def first_grasp(fit: Fit, kind: str, rng: np.random.Generator, approach: ApproachConfig) -> np.ndarray:
    if kind not in FIRST_GRASPS:
        raise ValueError(f"first grasp must be one of {FIRST_GRASPS}, got {kind!r}")
    initial = sample_initial_grasp(fit.center[:2], float(fit.center[2]), fit.height, rng, approach)
    return initial if kind == "initial" else centroid_grasp(fit, float(initial[3]), approach)


def run_attempt(cell: GraspCell, config: AttemptConfig, rng: np.random.Generator, first: str = "initial",
                first_force: float | None = None, result: AttemptResult | None = None) -> AttemptResult:
    """One attempt; a cell's step failure propagates (the caller names the outcome). Pass result to
    keep what was done so far when a step fails."""
    result = result if result is not None else AttemptResult()
    cell.phase("fit")
    fit = cell.prepare()
    pose = first_grasp(fit, first, rng, config.approach)
    force = float(config.initial_force if first_force is None else first_force)
    result.first_grasp, result.force = pose.tolist(), force
    cell.phase("approach")
    cell.approach(pose, float(fit.center[2]) + fit.height + config.approach_clearance)
    cell.phase("close")
    cell.close(force, "close")
    while True:
        choice = cell.decide(result.regrasps, pose, force, fit)
        p = float(choice.probability)
        result.probabilities.append(None if math.isnan(p) else p)  # None: the policy gives no probability
        result.actions.append([float(v) for v in choice.action])
        cell.phase("plan", result.regrasps, choice.probability)
        if choice.lift:
            if not math.isclose(choice.force, force):
                cell.close(choice.force, "set force")  # the same grasp, squeezed harder or softer
            force = choice.force
            break
        if result.regrasps >= config.max_regrasps:
            result.capped = True
            break
        result.regrasps += 1
        pose, force = np.asarray(choice.target, float), float(choice.force)
        cell.phase("regrasp", result.regrasps)
        cell.regrasp(result.regrasps, pose, force)
    result.force = force
    cell.phase("lift")
    cell.lift_and_hold(config.lift_height, config.hold_time)
    result.held, truth_held = cell.label()
    seen = inspect(cell)
    result.damaged, result.ground_truth_damaged, result.on_table, result.touch_down_motion = seen
    result.success = grasp_success(result.held, result.damaged, result.on_table)
    result.ground_truth = grasp_success(truth_held, result.ground_truth_damaged)
    return result
