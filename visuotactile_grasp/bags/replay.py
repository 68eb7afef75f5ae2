"""Offline replay of a bag's decision points through a planner policy, with a report.

A decision point is a plan request on /regrasp_planner/request. Its inputs are chosen by the
planner node's own rule (planning/decision_inputs.py: the first front image, GelSight difference
images and arm pose stamped at or after the request's inputs_after), so they are exactly what
the planner used; the recorded answer is the GraspGoal whose header equals the request's.
Each point is re-planned with the given policy and compared with what was decided when the bag
was recorded, so a new model can be checked against an old one without a robot.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import topics as t
from ..geometry import quaternion_to_yaw
from ..param_files import node_params
from ..planning.decision_inputs import InputHistory, select_inputs
from ..collection.trial import CollectConfig, region_of_fit
from ..planning.step import plan_step, planner_limits
from ..image_decoding import decode_image
from ..perception.camera import camera_from_calibration
from ..stamps import header_key, stamp_seconds
from .reader import Bag, require_topics

IMAGE = "sensor_msgs/msg/Image"
NEEDED = {t.PLAN_REQUEST: "visuotactile_grasp_msgs/msg/PlanRequest", t.KINECT_RGB: IMAGE,
          t.gelsight("left", "image_diff"): IMAGE, t.gelsight("right", "image_diff"): IMAGE,
          t.ARM_EE_POSE: "geometry_msgs/msg/PoseStamped"}
OPTIONAL = {t.GRIPPER_STATUS, t.GRASP_GOAL, t.KINECT_DEPTH_INFO}
INPUTS = {t.ARM_EE_POSE: "pose", t.KINECT_RGB: "rgb", t.gelsight("left", "image_diff"): "gel_left",
          t.gelsight("right", "image_diff"): "gel_right"}  # topic -> the planner's input key


@dataclass
class DecisionRow:
    index: int
    stamp_s: float
    inputs_age_s: float  # the request's stamp minus its oldest chosen input's (negative: inputs came after)
    recorded_lift: bool | None
    recorded_p: float
    recorded_force: float
    recorded_latency_ms: float  # request to goal in the bag's clock
    new_lift: bool
    new_p: float
    new_force: float
    new_action: list
    new_latency_ms: float


def _secs(header) -> float:
    return stamp_seconds(header.stamp)


def _pose(msg) -> np.ndarray:
    q, p = msg.pose.orientation, msg.pose.position
    return np.array([p.x, p.y, p.z, quaternion_to_yaw(q.x, q.y, q.z, q.w)])


def _row(index: int, request, stamp_ns: int, recorded: tuple, age: float, lift: bool, p: float, force: float,
         action, latency_s: float) -> DecisionRow:
    """One decision point: the recorded goal (or none) beside the new decision."""
    goal, goal_ns = recorded
    if goal is not None and getattr(goal, "status", 0) != 0:
        goal = None  # the planner answered without a plan
    return DecisionRow(index, _secs(request.header), age, None if goal is None else bool(goal.lift),
                       float("nan") if goal is None else float(goal.success_probability),
                       float("nan") if goal is None else float(goal.grip_force),
                       float("nan") if goal is None else (goal_ns - stamp_ns) * 1e-6,
                       lift, p, force, [round(float(v), 4) for v in action], latency_s * 1e3)


def replay_decisions(bag_path: str | Path, policy, seed: int = 0) -> tuple[list[DecisionRow], list]:
    """policy: planning.regrasp.LearnedPolicy. Returns (rows, problems)."""
    rng = np.random.default_rng(seed)
    history = InputHistory()
    planner = node_params("regrasp_planner")  # the planner node's own settings
    skew, limits = float(planner["max_input_skew"]), planner_limits()
    collection = CollectConfig.from_params_file()  # the region the model's data was collected in
    force = [float(planner["baseline_force"])]  # as the planner node starts, until a gripper status arrives
    pending: list[tuple] = []  # (request, bag ns) not yet plannable
    planned: list[tuple] = []  # (request, bag ns, oldest input age, new decision, planning seconds)
    goals: dict[tuple, tuple] = {}
    unplanned: list[str] = []
    with Bag(bag_path) as bag:
        require_topics(bag.summary(), NEEDED)
        for topic, stamp_ns, msg in bag.messages(set(NEEDED) | OPTIONAL):
            if topic == t.GRASP_GOAL:
                goals[header_key(msg.header)] = (msg, stamp_ns)
                continue
            if topic == t.PLAN_REQUEST:
                pending.append((msg, stamp_ns))
            elif topic == t.GRIPPER_STATUS:
                if msg.force_limit > 0:
                    force[0] = float(msg.force_limit)
            elif topic == t.KINECT_DEPTH_INFO:  # as the planner node: the front camera's model for the crop
                if hasattr(policy, "camera"):
                    try:
                        policy.camera = camera_from_calibration(
                            msg.k, msg.width, msg.height, planner["camera_position"], planner["camera_orientation"])
                    except ValueError as exc:  # the model received before stays, as in the node
                        unplanned.append(f"camera_info at {_secs(msg.header):.3f} s ignored: {exc}")
            else:
                history.add(INPUTS[topic], _secs(msg.header), msg)
            pending = _serve(pending, history, planned, policy, force[0], rng, unplanned, skew, limits, collection)
        problems = list(bag.problems) + unplanned
    for request, _ in pending:
        chosen = select_inputs(history, tuple(INPUTS.values()), stamp_seconds(request.inputs_after), skew)
        problems.append(f"plan request at {_secs(request.header):.3f} s not planned: {chosen.problem}")
    rows = [_row(i, req, stamp_ns, goals.get(header_key(req.header), (None, None)), age, bool(d.lift),
                 float(d.probability), float(d.force), d.action, latency)
            for i, (req, stamp_ns, age, d, latency) in enumerate(planned)]
    return rows, problems


def _serve(pending: list, history: InputHistory, planned: list, policy, force: float, rng, problems: list,
           skew: float, limits, collection: CollectConfig) -> list:
    still = []
    for request, stamp_ns in pending:
        chosen = select_inputs(history, tuple(INPUTS.values()), stamp_seconds(request.inputs_after), skew)
        if not chosen.final:
            still.append((request, stamp_ns))
        elif chosen.problem:
            problems.append(f"plan request at {_secs(request.header):.3f} s not planned: {chosen.problem}")
        else:
            try:
                planned.append(_plan(request, stamp_ns, chosen, policy, force, rng, limits, collection))
            except ValueError as exc:  # StepRejected, or an image that does not convert
                problems.append(f"plan request at {_secs(request.header):.3f} s not planned: {exc}")
    return still


def _plan(request, stamp_ns: int, chosen, policy, force: float, rng, limits, collection: CollectConfig):
    """The planner node's step (planning/step.py) on the inputs it would have chosen."""
    m = chosen.messages
    images = {k: decode_image(m[k]) for k in ("rgb", "gel_left", "gel_right")}
    age = _secs(request.header) - min(chosen.stamps.values())
    t0 = time.perf_counter()
    # a bag recorded before requests carried the fit is read as recorded (bags/reader.py): no region
    region = region_of_fit(request.fit, collection) if hasattr(request, "fit") else None
    decision = plan_step(policy, _pose(m["pose"]), force, limits, images, rng,
                         minimum_force=bool(request.minimum_force), region=region).decision
    return request, stamp_ns, age, decision, time.perf_counter() - t0


def write_report(rows: list[DecisionRow], problems: list, out: str | Path, bag: str, policy: str) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "decisions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(DecisionRow.__dataclass_fields__))
        for r in rows:
            w.writerow([getattr(r, k) for k in DecisionRow.__dataclass_fields__])
    compared = [r for r in rows if r.recorded_lift is not None]
    agree = sum(r.recorded_lift == r.new_lift for r in compared)
    lines = [f"# Replay of {bag} with {policy}", "",
             f"- decision points: {len(rows)}; with a recorded answer: {len(compared)}; "
             f"lift/regrasp agreement: {agree}/{len(compared)}",
             f"- new planner latency: median {np.median([r.new_latency_ms for r in rows]):.0f} ms" if rows else
             "- no decision points",
             *(f"- problem: {p}" for p in problems), "",
             "| # | t (s) | input age (s) | recorded lift | recorded p | recorded force | new lift | new p | "
             "new force | new latency ms |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.index} | {r.stamp_s:.2f} | {r.inputs_age_s:.2f} | {r.recorded_lift} | {r.recorded_p:.2f} | "
                     f"{r.recorded_force:.1f} | {r.new_lift} | {r.new_p:.2f} | {r.new_force:.1f} | "
                     f"{r.new_latency_ms:.0f} |")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def recorded_decisions(bag_path: str | Path) -> tuple[list, dict]:
    """(plan requests in bag order, recorded goals by request key) from a bag."""
    with Bag(bag_path) as bag:
        require_topics(bag.summary(), NEEDED)
        requests, goals = [], {}
        for topic, stamp_ns, msg in bag.messages({t.PLAN_REQUEST, t.GRASP_GOAL}):
            if topic == t.PLAN_REQUEST:
                requests.append((msg, stamp_ns))
            else:
                goals[header_key(msg.header)] = (msg, stamp_ns)
    return requests, goals


def rows_from_live(requests: list, recorded: dict, live: dict, sent: dict) -> list[DecisionRow]:
    """Rows comparing recorded goals with those a live planner published while the bag played.
    live: key -> (goal, wall s received); sent: key -> wall s the request was seen."""
    rows = []
    for i, (req, stamp_ns) in enumerate(requests):
        key = header_key(req.header)
        new, new_wall = live.get(key, (None, None))
        if new is not None and new.status != new.STATUS_OK:
            new = None
        answered = new is not None
        rows.append(_row(i, req, stamp_ns, recorded.get(key, (None, None)), float("nan"),
                         bool(new.lift) if answered else False,
                         float(new.success_probability) if answered else float("nan"),
                         float(new.grip_force) if answered else float("nan"), new.action if answered else [],
                         new_wall - sent[key] if answered and key in sent else float("nan")))
    return rows
