"""Bad-input corpus: malformed messages on every topic every node subscribes to.

The subscriptions come from the graph definition (graph/modes.py), so a node or topic added there
without a corpus here fails test_corpus_covers_every_subscription. Each node runs alone in its own
process and gets, on each of its topics, every malformed form of that topic's message REPEAT
times: wrong encodings, step and size mismatches, zero and huge dimensions, NaN depth, NaN and inf
poses, zero and non-unit quaternions, stamps from the far future and from the past, camera_info
without intrinsics, cylinder fits with NaN geometry and an all-default one, planner answers with
a NaN or huge force or a NaN target, contacts with a NaN area, gripper states with NaN, negative
and huge force limits, plan requests for the far future and with the largest regrasp index.

Every node must stay up and still answer a valid input afterwards, log a line that names each
cause (and not flood: REPEAT copies of a message give a few lines at most), never command a pose
or force outside the limits, and exit cleanly. Ordering is by handshakes only (matched
subscriptions, log lines, replies), never by pauses.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from rcl_interfaces.srv import GetParameters
from rclpy.action import ActionClient
from rclpy.clock import Clock
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header
from visuotactile_grasp.devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from visuotactile_grasp.planning.action_space import GRIP_FORCE_RANGE
from visuotactile_grasp_msgs.action import MoveToPose
from visuotactile_grasp_msgs.msg import CylinderFit, GraspGoal, GripperStatus, PlanRequest, TactileContact

from node_harness import NodeProcess, spin_until
from visuotactile_grasp import topics as t
from visuotactile_grasp.ros import qos
from visuotactile_grasp.graph.modes import MODES, build_graph
from visuotactile_grasp.ros.conversions import pose_stamped, pose_to_xyzyaw
from visuotactile_grasp.image_decoding import check_image
from visuotactile_grasp.ros.image_conversion import numpy_to_image
from visuotactile_grasp.ros.input_checks import (CauseLog, cylinder_fit_problem, grasp_goal_problem, pose_problem,
                                                 stamp_ahead, tactile_contact_problem)
from visuotactile_grasp.ros.msg_types import message_class
from visuotactile_grasp.stamps import header_key, stamp_seconds

REPEAT = 20  # copies of each bad message: a handful of log lines at most, whatever the node
# Most lines one message text (values aside) may take in a node's log: REPEAT copies of one bad
# message logged one line each (at least the 10 a request queue holds) would exceed it; a line per
# cause, or per plan request, does not.
FLOOD = 5
WAIT_S = 20.0  # steady deadline of each handshake (a loaded 2-core machine)
START_S = 60.0
LOWER, UPPER = np.array(WORKSPACE_LOWER), np.array(WORKSPACE_UPPER)  # the workspace (config/workspace.yaml)
MIN_FORCE, MAX_FORCE = GRIP_FORCE_RANGE  # the planner's force range (config/action_space.yaml)
FAR_FUTURE = Time(sec=2**31 - 1, nanosec=0)
FINITE = r"finite|nan|inf"
SEND_QOS = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                      history=HistoryPolicy.KEEP_LAST)  # offers all that any subscriber asks for

IMG, POSE, INFO = "sensor_msgs/msg/Image", "geometry_msgs/msg/PoseStamped", "sensor_msgs/msg/CameraInfo"
M = "visuotactile_grasp_msgs/msg/"

NOT_COVERED = {  # graph nodes the corpus leaves out, and why
    "bag_recorder": "records every message's bytes as they are: a bag keeps bad input too",
    "bag_player": "only matches the planner's answers to its requests by header",
    "gelsight_right": "the gelsight_node of gelsight_left with side:=right",
}
# (node, topic) whose header stamp is no input: a far-future stamp is no problem there.
STAMP_NOT_USED = {
    ("sim_cell", t.ROBOT_EE_COMMAND): "a command acts when it arrives",
    ("cylinder_fitter", t.KINECT_DEPTH_INFO): "intrinsics do not expire",
    ("regrasp_planner", t.KINECT_DEPTH_INFO): "intrinsics do not expire",
    ("data_collector", t.KINECT_DEPTH_INFO): "intrinsics do not expire",
    ("regrasp_planner", t.GRIPPER_STATUS): "only the force limit is read",
    ("regrasp_planner", t.PLAN_REQUEST): "the header names the request; inputs_after is the time",
    ("grasp_executive", t.GRASP_GOAL): "the header names the request answered",
}


def subscriptions() -> dict[str, set[tuple[str, str]]]:
    """node name -> {(topic, type)} it subscribes to, over every graph of graph/modes.py."""
    subs: dict[str, set] = {}
    for mode in MODES:
        for sim in (True, False):
            for spec in build_graph(mode, sim=sim, bag="bag", record="out" if mode == "grasp" else "").nodes:
                subs.setdefault(spec.name, set()).update(spec.subscribes)
    return subs


def now() -> Time:
    return Clock().now().to_msg()


# the corpus ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    cause: str  # cases of one cause share one throttled log line
    what: str
    msg: object
    log: str | None  # a WARN/ERROR line must match this (case-insensitive); None: acceptable input


def _image(topic: str, stamp: Time) -> Image:
    header = Header(stamp=stamp, frame_id="camera")
    if topic == t.KINECT_DEPTH:
        return numpy_to_image(np.full((6, 8), 1.2, np.float32), "32FC1", header, use_cv_bridge=False)
    rgb = np.random.default_rng(0).integers(0, 255, (6, 8, 3), dtype=np.uint8)
    return numpy_to_image(rgb, "rgb8", header, use_cv_bridge=False)


def _edit(msg, **fields):
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


def image_cases(node: str, topic: str) -> list[Case]:
    def img(**fields) -> Image:
        return _edit(_image(topic, now()), **fields)
    ok = img()
    rgb8_one_channel = img(encoding="rgb8", step=24, data=bytes(48))  # 8x6 rgb8 with 1 byte a pixel
    nan_depth = numpy_to_image(np.full((6, 8), np.nan, np.float32), "32FC1", ok.header, use_cv_bridge=False)
    # NaN is how a depth camera says "no reading": valid depth data (the fitter finds no object)
    nan_log = None if topic == t.KINECT_DEPTH else r"colour|encoding"
    return [
        Case("encoding", "bogus encoding", img(encoding="bogus"), r"encoding"),
        Case("data size", "rgb8 with one channel of data", rgb8_one_channel, r"bytes|needs"),
        Case("data size", "step larger than the data", img(step=ok.step + 8), r"bytes|needs"),
        Case("data size", "data shorter than step*height", img(data=bytes(ok.data)[:-5]), r"bytes|needs"),
        Case("data size", "data longer than step*height", img(data=bytes(ok.data) + bytes(7)), r"bytes|needs"),
        Case("data size", "100000 x 100000 with a few bytes", img(width=100000, height=100000, step=100000 * 4),
             r"bytes|needs"),
        Case("step", "step smaller than a row", img(step=ok.step - 1, data=bytes((ok.step - 1) * ok.height)),
             r"step"),
        Case("dimensions", "width 0", img(width=0, step=0, data=b""), r"no pixels"),
        Case("dimensions", "height 0", img(height=0, data=b""), r"no pixels"),
        Case("nan depth" if topic == t.KINECT_DEPTH else "encoding", "32FC1 full of NaN", nan_depth, nan_log),
    ]


def pose_cases(node: str, topic: str) -> list[Case]:
    def pose(v, **quaternion) -> PoseStamped:
        msg = pose_stamped(v, now())
        for k, value in quaternion.items():
            setattr(msg.pose.orientation, k, value)
        return msg
    cases = [
        Case("not finite", "NaN position", pose([math.nan, 0.0, 0.3, 0.0]), FINITE),
        Case("not finite", "inf position", pose([0.6, math.inf, 0.3, 0.0]), FINITE),
        Case("not finite", "NaN orientation", pose([0.6, 0.0, 0.3, 0.0], w=math.nan), FINITE),
        Case("quaternion", "zero quaternion", pose([0.6, 0.0, 0.3, 0.0], x=0.0, y=0.0, z=0.0, w=0.0), r"quaternion"),
        Case("quaternion", "quaternion of norm 2", pose([0.6, 0.0, 0.3, 0.0], x=2.0), r"quaternion"),
    ]
    if (node, topic) == ("sim_cell", t.ROBOT_EE_COMMAND):  # a command must be reachable; an echo need not
        cases += [Case("workspace", "5 m away", pose([5.0, 0.0, 0.3, 0.0]), r"workspace"),
                  Case("workspace", "below the table", pose([0.6, 0.0, -1.0, 0.0]), r"workspace"),
                  Case("workspace", "1e300 m away", pose([1e300, 0.0, 0.3, 0.0]), r"workspace")]
    return cases


def camera_info_cases(node: str, topic: str) -> list[Case]:
    def info(k) -> CameraInfo:
        return CameraInfo(header=Header(stamp=now(), frame_id="camera"), width=8, height=6, k=k)
    return [Case("no intrinsics", "all zeros", CameraInfo(), r"intrinsics"),
            Case("not finite", "NaN fx", info([math.nan, 0, 4, 0, 10, 3, 0, 0, 1]), FINITE),
            Case("not finite", "inf cx", info([10, 0, math.inf, 0, 10, 3, 0, 0, 1]), FINITE)]


def _fit(**fields) -> CylinderFit:
    fit = CylinderFit(header=Header(stamp=now(), frame_id="base"), radius=0.03, height=0.1, valid=True,
                      num_points=100, fit_quality=0.9)
    fit.center.x = 0.6
    return _edit(fit, **fields)


def fit_cases(node: str, topic: str) -> list[Case]:
    nan_centre = _fit()
    nan_centre.center.y = math.nan
    return [Case("not finite", "valid with a NaN radius", _fit(radius=math.nan), FINITE),
            Case("not finite", "valid with a NaN centre", nan_centre, FINITE),
            Case("not positive", "valid with radius 0", _fit(radius=0.0), r"radius"),
            Case("empty", "all-default (valid=false)", CylinderFit(), None)]


def _goal(**fields) -> GraspGoal:
    goal = GraspGoal(header=Header(stamp=now(), frame_id="base"), status=GraspGoal.STATUS_OK, grip_force=10.0,
                     policy="corpus", success_probability=math.nan)
    goal.target_pose = pose_stamped([0.6, 0.0, 0.3, 0.0], now()).pose
    return _edit(goal, **fields)


def goal_cases(node: str, topic: str) -> list[Case]:
    nan_target = _goal()
    nan_target.target_pose.position.x = math.nan
    return [Case("force", "OK with a NaN force", _goal(grip_force=math.nan), r"force"),
            Case("force", "OK with 1e9 N", _goal(grip_force=1e9), r"force"),
            Case("force", "OK with -1 N", _goal(grip_force=-1.0), r"force"),
            Case("target", "OK with a NaN target", nan_target, r"target"),
            Case("refusal", "REJECTED with a NaN force (as the planner sends it)",
                 _goal(status=GraspGoal.STATUS_REJECTED, grip_force=math.nan), None)]


def contact_cases(node: str, topic: str) -> list[Case]:
    side = topic.split("/")[2]
    other = "right" if side == "left" else "left"

    def contact(**fields) -> TactileContact:
        return _edit(TactileContact(header=Header(stamp=now(), frame_id=f"gelsight_{side}"), sensor=side,
                                    centroid_u=math.nan, centroid_v=math.nan, intensity=2.0), **fields)
    return [Case("not finite", "NaN area", contact(contact_area=math.nan), FINITE),
            Case("not finite", "NaN intensity", contact(intensity=math.nan), FINITE),
            Case("not finite", "in contact at a NaN centroid", contact(in_contact=True, contact_area=0.2), FINITE),
            Case("range", "area 5", contact(contact_area=5.0), r"range|outside"),
            Case("sensor", "the other sensor's contact", contact(sensor=other), r"sensor")]


def gripper_cases(node: str, topic: str) -> list[Case]:
    def status(**fields) -> GripperStatus:
        return _edit(GripperStatus(header=Header(stamp=now()), connected=True, width=0.05), **fields)
    return [Case("not finite", "NaN force limit", status(force_limit=math.nan), FINITE),
            Case("range", "negative force limit", status(force_limit=-5.0), r"range|outside"),
            Case("range", "force limit 1e9 N", status(force_limit=1e9), r"range|outside"),
            Case("disconnected", "NaN force limit while disconnected", status(connected=False, force_limit=math.nan),
                 None)]


def request_cases(node: str, topic: str) -> list[Case]:
    return [Case("inputs from the future", "inputs_after at 2**31-1 s",
                 PlanRequest(header=Header(stamp=now(), frame_id="corpus-future"), inputs_after=FAR_FUTURE),
                 r"not planned"),
            Case("index", "regrasp_index 2**32-1",
                 PlanRequest(header=Header(stamp=now(), frame_id="corpus-index"), regrasp_index=2**32 - 1,
                             inputs_after=now()), None),
            Case("fit", "a valid fit with a NaN radius",
                 PlanRequest(header=Header(stamp=now(), frame_id="corpus-fit"), inputs_after=now(),
                             fit=_fit(radius=math.nan)), r"cylinder fit")]


CORPUS = {IMG: image_cases, POSE: pose_cases, INFO: camera_info_cases, M + "CylinderFit": fit_cases,
          M + "GraspGoal": goal_cases, M + "TactileContact": contact_cases, M + "GripperStatus": gripper_cases,
          M + "PlanRequest": request_cases,
          "std_msgs/msg/Bool": lambda node, topic: []}  # a Bool cannot be malformed


def valid_message(node: str, topic: str, type_name: str):
    """A well-formed message for the topic, stamped now (the base of the stamp cases)."""
    if type_name == IMG:
        return _image(topic, now())
    if type_name == POSE:
        return pose_stamped([0.6, 0.0, 0.35, 0.0], now())
    if type_name == INFO:
        return CameraInfo(header=Header(stamp=now()), width=8, height=6, k=[10.0, 0, 4, 0, 10, 3, 0, 0, 1])
    if type_name == M + "CylinderFit":
        return _fit()
    if type_name == M + "GraspGoal":
        return _goal()
    if type_name == M + "TactileContact":
        return TactileContact(header=Header(stamp=now()), sensor=topic.split("/")[2], centroid_u=math.nan,
                              centroid_v=math.nan, intensity=2.0)
    if type_name == M + "GripperStatus":  # the baseline's force: its plans then change no force
        return GripperStatus(header=Header(stamp=now()), connected=True, force_limit=10.0)
    if type_name == M + "PlanRequest":
        return PlanRequest(header=Header(stamp=now(), frame_id="corpus-stamp"), inputs_after=now())
    return None


def corpus(node: str, topic: str, type_name: str) -> list[Case]:
    cases = CORPUS[type_name](node, topic)
    base = valid_message(node, topic, type_name)
    if base is not None and hasattr(base, "header"):
        future, past = valid_message(node, topic, type_name), valid_message(node, topic, type_name)
        future.header.stamp, past.header.stamp = FAR_FUTURE, Time(sec=0, nanosec=0)
        used = (node, topic) not in STAMP_NOT_USED
        # a state older than the one before would pace the arm's set-points backwards
        past_log = r"order|before the previous" if (node, topic) == ("sawyer_arm", t.ROBOT_EE_STATE) else None
        cases += [Case("future stamp", "stamped 2**31-1 s", future, r"future|ahead" if used else None),
                  Case("past stamp", "stamped 0", past, past_log)]
    return cases


# running a node against it ----------------------------------------------------------------------
LINE = re.compile(r"^\[(?:WARN|ERROR)\][^\n]*", re.MULTILINE)


def signature(line: str) -> str:
    """A log line without its time stamp and values: what repeats when a node floods."""
    text = line.split("]: ", 1)[-1]
    return re.sub(r"'[^']*'|\"[^\"]*\"|\(.*?\)|\[.*?\]|[-+]?(?:\d[\d.e+-]*|nan|inf)", "#", text)


class Bench:
    """One node process, a client node of our own, and publishers on every topic the node subscribes to."""

    def __init__(self, name: str, executable: str, params: dict, env: dict, tmp_path) -> None:
        self.name = name
        self.proc = NodeProcess(executable, name, params, env, tmp_path / f"{name}.log")
        self.node = rclpy.create_node(f"corpus_for_{name}")
        self.subscribes = sorted(subscriptions()[name])
        self.pubs = {topic: self.node.create_publisher(message_class(type_name), topic, SEND_QOS)
                     for topic, type_name in self.subscribes}
        self.stopped: int | None = None

    def spin_until(self, predicate, timeout_s: float = WAIT_S) -> bool:
        return spin_until(self.node, predicate, timeout_s)

    def log(self) -> str:
        return self.proc.output()

    def lines(self, since: int = 0) -> list[str]:
        return LINE.findall(self.log()[since:])

    def ready(self, publishers_of=()) -> None:
        """Handshake: the node subscribes to all our publishers and we see its publishers."""
        assert self.spin_until(lambda: all(p.get_subscription_count() for p in self.pubs.values())
                               and all(self.node.count_publishers(topic) for topic in publishers_of),
                               START_S), self.log()[-3000:]

    def publish(self, topic: str, msg, times: int = 1) -> None:
        for _ in range(times):
            self.pubs[topic].publish(msg)

    def run_corpus(self, after_case=None) -> list[Case]:
        """Every case on every topic; waits for the log line of each cause's first case on a topic,
        and for after_case(topic, case) (a handshake of the node's own) when given."""
        sent = []
        for topic, type_name in self.subscribes:
            logged = set()
            for case in corpus(self.name, topic, type_name):
                mark = len(self.log())
                self.publish(topic, case.msg, REPEAT)
                sent.append(case)
                if after_case is not None:
                    after_case(topic, case)
                if case.log is None or case.cause in logged:
                    continue
                logged.add(case.cause)
                pattern = re.compile(case.log, re.IGNORECASE)
                assert self.spin_until(lambda p=pattern, m=mark: any(p.search(x) for x in self.lines(m))), (
                    f"{self.name} logged no line for {case.what} on {topic} ({case.cause}; expected /{case.log}/)\n"
                    + self.log()[mark:][-3000:])
                assert self.proc.proc.poll() is None, f"{self.name} died on {case.what}:\n{self.log()[-3000:]}"
        return sent

    def check_no_flood(self) -> None:
        counts = Counter(signature(line) for line in self.lines())
        flooded = {s: n for s, n in counts.items() if n > FLOOD}
        assert not flooded, f"{self.name} repeats log lines (not throttled): {flooded}\n{self.log()[-3000:]}"

    def answers_parameters(self) -> None:
        """Still spinning: its parameter service answers."""
        client = self.node.create_client(GetParameters, f"/{self.name}/get_parameters")
        assert client.wait_for_service(timeout_sec=WAIT_S)
        future = client.call_async(GetParameters.Request(names=["use_sim_time"]))
        assert self.spin_until(future.done), f"{self.name} stopped answering:\n{self.log()[-3000:]}"

    def stop(self) -> int:
        if self.stopped is None:
            self.stopped = self.proc.stop()
        return self.stopped


@pytest.fixture
def bench(ros_env, tmp_path):
    rclpy.init()
    benches: list[Bench] = []

    def start(name: str, executable: str, params: dict | None = None) -> Bench:
        benches.append(Bench(name, executable, params or {}, ros_env, tmp_path))
        return benches[-1]
    try:
        yield start
    finally:
        for b in benches:
            b.node.destroy_node()
        rclpy.try_shutdown()
        for b in benches:
            b.stop()


def finish(b: Bench) -> None:
    """Still up after the corpus, no flood, a clean exit."""
    assert b.proc.proc.poll() is None, f"{b.name} died:\n{b.log()[-3000:]}"
    b.check_no_flood()
    assert b.stop() == 0, b.log()[-3000:]
    assert "Traceback" not in b.log(), b.log()[-3000:]


def in_workspace(xyz, tolerance: float = 1e-9) -> bool:
    xyz = np.asarray(xyz, float)
    return bool(np.all(np.isfinite(xyz)) and np.all(xyz >= LOWER - tolerance) and np.all(xyz <= UPPER + tolerance))


def position(pose) -> np.ndarray:
    return np.array([pose.position.x, pose.position.y, pose.position.z])


# the tests ----------------------------------------------------------------------------------------
def test_corpus_covers_every_subscription():
    subs = subscriptions()
    covered = {"sawyer_arm", "gelsight_left", "cylinder_fitter", "regrasp_planner", "grasp_executive",
               "data_collector", "sim_cell", "wsg50_gripper"}
    assert set(subs) - set(NOT_COVERED) == covered, "a node was added to the graph: give it a corpus test here"
    assert not subs["wsg50_gripper"], "the gripper node subscribes to a topic now: add it to the corpus"
    types = {type_name for node in covered for _, type_name in subs[node]}
    assert types <= set(CORPUS), f"no corpus for {types - set(CORPUS)}"
    assert {(n, topic) for n, topic in STAMP_NOT_USED} <= {(n, topic) for n in covered for topic, _ in subs[n]}


def test_checks_and_cause_log_without_ros():
    lines, clock = [], [0.0]

    class Logger:
        def error(self, text):
            lines.append(text)
    log = CauseLog(Logger(), period_s=5.0, clock=lambda: clock[0])
    for _ in range(REPEAT):
        log("a", "first cause")
        log("b", "second cause")  # a second cause at the same call site still gets its line
    clock[0] = 6.0
    log("a", "first cause")
    assert lines == ["first cause", "second cause", f"first cause ({REPEAT - 1} more like it in the last 6 s)"]

    assert pose_problem(pose_stamped([0.6, 0.0, 0.3, 0.2], now()).pose) is None
    assert stamp_ahead(FAR_FUTURE, 1.7e9).cause == "stamp in the future"
    assert stamp_ahead(FAR_FUTURE, 0.0) is None  # sim time before the first /clock: no reference
    assert cylinder_fit_problem(CylinderFit()) is None and cylinder_fit_problem(_fit()) is None
    assert grasp_goal_problem(_goal(), GraspGoal.STATUS_OK) is None
    nan_area = contact_cases("", t.gelsight("left", "contact"))[0].msg
    assert tactile_contact_problem(nan_area, "left").cause == "contact not finite"
    for case in image_cases("gelsight_left", t.gelsight_raw_source("left"))[:-1]:
        with pytest.raises(ValueError):  # rejected from the header fields: the huge one allocates nothing
            check_image(case.msg)


def test_sawyer_arm_node(bench):
    b = bench("sawyer_arm", "sawyer_arm_node", {"state_timeout": 5.0})
    states, commands = [], []
    b.node.create_subscription(PoseStamped, t.ARM_EE_POSE, states.append, 1000)
    b.node.create_subscription(PoseStamped, t.ROBOT_EE_COMMAND, commands.append, 1000)
    b.ready(publishers_of=(t.ARM_EE_POSE, t.ROBOT_EE_COMMAND))

    def republished(msg) -> bool:
        return any(s.header.stamp == msg.header.stamp for s in states)

    # Handshake: "we see the arm's publisher" does not mean its writer has matched our reader yet (nor
    # ours its reader): a first state can be lost to discovery. Send fresh states until one comes back.
    sent = []

    def state_echoed() -> bool:
        sent.append(pose_stamped([0.36, 0.0, 0.3, 0.0], now()))  # at the workspace's edge: behind it is out
        b.publish(t.ROBOT_EE_STATE, sent[-1])
        return b.spin_until(lambda: any(republished(m) for m in sent), 1.0)
    assert any(state_echoed() for _ in range(int(WAIT_S))), b.log()
    b.run_corpus()
    probe = pose_stamped([0.36, 0.0, 0.3, 0.0], now())
    b.publish(t.ROBOT_EE_STATE, probe)
    assert b.spin_until(lambda: republished(probe)), "the arm no longer republishes valid states\n" + b.log()

    # bad states in the middle of a motion: the arm keeps streaming set-points inside the workspace
    client = ActionClient(b.node, MoveToPose, t.ARM_MOVE_ACTION)
    assert client.wait_for_server(timeout_sec=WAIT_S)
    goal = MoveToPose.Goal(target=pose_stamped([0.5, 0.0, 0.3, 0.0], now()), timeout=1.0)
    sending = client.send_goal_async(goal)
    bad = [case.msg for case in corpus("sawyer_arm", t.ROBOT_EE_STATE, POSE)]
    result, published = [], [0.0]

    def drive() -> bool:  # the robot stands still at 50 Hz, each valid state followed by a bad one
        if sending.done() and not result:
            assert sending.result().accepted, b.log()
            result.append(sending.result().get_result_async())
        if result and result[0].done():
            return True
        if time.monotonic() - published[0] >= 0.02:
            published[0] = time.monotonic()
            b.publish(t.ROBOT_EE_STATE, pose_stamped([0.36, 0.0, 0.3, 0.0], now()))
            b.publish(t.ROBOT_EE_STATE, bad[len(commands) % len(bad)])
        return False
    assert b.spin_until(drive, 30.0), b.log()[-3000:]
    assert not result[0].result().result.success  # it stood still: timed out
    streamed = len(commands)
    assert streamed > 0, "no set-points streamed"

    assert all(pose_problem(s.pose) is None and stamp_ahead(s.header.stamp, stamp_seconds(now())) is None
               for s in states), "a bad state was republished"
    stamps = [stamp_seconds(s.header.stamp) for s in states]
    assert stamps == sorted(stamps), "states republished out of order"

    # a measured state out of the workspace is reported, never commanded (no hold there on shutdown)
    away = pose_stamped([5.0, 0.0, 0.3, 0.0], now())
    b.publish(t.ROBOT_EE_STATE, away)
    assert b.spin_until(lambda: republished(away))
    finish(b)
    assert re.search(r"not holding.*outside the workspace", b.log()), b.log()[-2000:]
    outside = [pose_to_xyzyaw(c.pose).tolist() for c in commands if not in_workspace(position(c.pose))]
    assert not outside, f"commanded outside the workspace: {outside[:5]}"


def test_sim_cell_node(bench):
    b = bench("sim_cell", "sim_cell_node", {"backend": "kinematic", "objects": "v1", "wsg_port": 0,
                                            "real_time_factor": 1.0,
                                            "camera_rate": 0.1, "gelsight_rate": 0.1, "ee_state_rate": 50.0,
                                            "clock_period": 0.1})
    states = []
    b.node.create_subscription(PoseStamped, t.ROBOT_EE_STATE, states.append, 1000)
    b.ready(publishers_of=(t.ROBOT_EE_STATE,))
    assert b.spin_until(lambda: states), b.log()
    b.run_corpus()
    target = [0.6, 0.1, 0.3, 0.0]
    b.publish(t.ROBOT_EE_COMMAND, pose_stamped(target, now()))
    assert b.spin_until(lambda: np.linalg.norm(position(states[-1].pose) - target[:3]) < 0.003, 30.0), (
        f"the cell no longer follows valid commands: at {position(states[-1].pose)}\n{b.log()[-3000:]}")
    outside = [position(s.pose).tolist() for s in states if not in_workspace(position(s.pose))]
    assert not outside, f"the end effector left the workspace: {outside[:5]}"
    finish(b)


def test_gelsight_node(bench):
    b = bench("gelsight_left", "gelsight_node", {"side": "left", "source": "topic", "background_frames": 1})
    raws = []
    b.node.create_subscription(Image, t.gelsight("left", "image_raw"), raws.append, 100)
    b.ready(publishers_of=(t.gelsight("left", "image_raw"),))
    b.run_corpus()
    probe = _image(t.gelsight_raw_source("left"), now())
    b.publish(t.gelsight_raw_source("left"), probe)
    assert b.spin_until(lambda: any(r.header.stamp == probe.header.stamp for r in raws)), (
        "no image for a valid frame after the corpus\n" + b.log()[-3000:])
    for raw in raws:
        check_image(raw)
        assert stamp_ahead(raw.header.stamp, stamp_seconds(now())) is None
    finish(b)


def test_cylinder_fitter_node(bench):
    b = bench("cylinder_fitter", "cylinder_fitter_node", {"min_period": 0.0})
    fits = []
    b.node.create_subscription(CylinderFit, t.CYLINDER_FIT, fits.append, 100)  # volatile: no latched old fit
    b.ready(publishers_of=(t.CYLINDER_FIT,))
    info = valid_message("cylinder_fitter", t.KINECT_DEPTH_INFO, INFO)

    def fitted() -> Image:
        """Handshake: intrinsics in, a valid depth image fitted (fits carry their image's stamp)."""
        depth = _image(t.KINECT_DEPTH, now())
        b.publish(t.KINECT_DEPTH_INFO, info)
        b.publish(t.KINECT_DEPTH, depth)
        if not b.spin_until(lambda: any(f.header.stamp == depth.header.stamp for f in fits), 2.0):
            return None
        return depth
    assert b.spin_until(fitted, START_S), b.log()[-3000:]

    def nan_depth_fitted(topic: str, case: Case) -> None:
        """Depth that is all NaN is an empty view: a fit that says so (valid=false)."""
        if case.cause == "nan depth":
            assert b.spin_until(lambda: any(f.header.stamp == case.msg.header.stamp for f in fits)), b.log()[-3000:]
            assert not [f for f in fits if f.header.stamp == case.msg.header.stamp][0].valid
    b.run_corpus(nan_depth_fitted)
    assert b.spin_until(fitted), "no fit for a valid depth image after the corpus\n" + b.log()[-3000:]
    assert all(cylinder_fit_problem(f) is None for f in fits), [f for f in fits if cylinder_fit_problem(f)]
    finish(b)


def test_regrasp_planner_node(bench):
    b = bench("regrasp_planner", "regrasp_planner_node", {"policy": "cylinder_baseline", "input_timeout": 1.0,
                                                          "force_range": [MIN_FORCE, MAX_FORCE]})
    answers: dict[tuple, list[GraspGoal]] = {}
    b.node.create_subscription(GraspGoal, t.GRASP_GOAL, lambda g: answers.setdefault(header_key(g.header), [])
                               .append(g), qos.ANSWERS)
    b.ready(publishers_of=(t.GRASP_GOAL,))

    def answered(topic: str, case: Case) -> None:
        """Requests in bursts of REPEAT (more than the request queue holds) get at least one answer each."""
        if topic == t.PLAN_REQUEST:
            assert b.spin_until(lambda: header_key(case.msg.header) in answers), f"{case.what}: no answer"
    sent = b.run_corpus(answered)
    requests = Counter({header_key(c.msg.header): REPEAT for c in sent if isinstance(c.msg, PlanRequest)})

    def request(v, index: int) -> PlanRequest:
        pose = pose_stamped(v, now())
        b.publish(t.ARM_EE_POSE, pose)
        msg = PlanRequest(header=Header(stamp=now(), frame_id=f"probe-{index}"), regrasp_index=index,
                          inputs_after=pose.header.stamp)
        b.publish(t.PLAN_REQUEST, msg)
        requests[header_key(msg.header)] += 1
        return msg
    inside, away = request([0.6, 0.05, 0.3, 0.2], 2**32 - 1), request([5.0, 0.0, 0.3, 0.0], 1)
    # every request answered (the far-future ones INPUTS_MISSING after input_timeout), none twice
    assert b.spin_until(lambda: all(k in answers for k in requests)), b.log()[-3000:]
    assert all(len(answers[k]) <= requests[k] for k in answers), {k: len(v) for k, v in answers.items()}
    for key, goals in answers.items():
        for goal in goals:
            if key[2] == "corpus-future":
                assert goal.status == GraspGoal.STATUS_INPUTS_MISSING, goal.message
            if key[2] == "corpus-fit":  # refused by name, never planned around a broken fit
                assert goal.status != GraspGoal.STATUS_OK and "cylinder fit" in goal.message, goal.message
            if goal.status == GraspGoal.STATUS_OK:
                assert MIN_FORCE <= goal.grip_force <= MAX_FORCE, goal
                assert in_workspace(position(goal.target_pose)) and pose_problem(goal.target_pose) is None, goal
    [planned] = answers[header_key(inside.header)]
    assert planned.status == GraspGoal.STATUS_OK and planned.regrasp_index == 2**32 - 1, planned.message
    np.testing.assert_allclose(pose_to_xyzyaw(planned.target_pose), [0.6, 0.05, 0.3, 0.2], atol=1e-9)
    assert planned.action[4] == 0.0, "a bad gripper force limit was taken as the current force"
    [clamped] = answers[header_key(away.header)]
    assert clamped.status == GraspGoal.STATUS_OK and position(clamped.target_pose)[0] == UPPER[0]
    finish(b)


@pytest.mark.parametrize("name,executable", [("grasp_executive", "grasp_executive_node"),
                                             ("data_collector", "data_collector_node")])
def test_trial_nodes(bench, name, executable):
    b = bench(name, executable)
    b.ready()
    b.run_corpus()
    b.answers_parameters()
    finish(b)
