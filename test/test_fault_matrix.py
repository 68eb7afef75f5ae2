"""Faults through the running grasp graph on the simulated cell (learned planner from the shipped checkpoint).

Each fault is injected while an attempt runs. What the user must see: the attempt ends in a named
state, the gripper is left safe (open, or stopped in FAST STOP), nothing is lost, and after the
recovery an operator would make, the next attempt completes.
"""
import json
from collections import Counter
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rclpy.action import ActionClient
from visuotactile_grasp_msgs.action import ExecuteGrasp, GripperCommand
from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from visuotactile_grasp_msgs.msg import GripperStatus
from visuotactile_grasp_msgs.srv import InjectFault, ResetObject

from visuotactile_grasp import topics
from visuotactile_grasp.data.store import DatasetReader
from visuotactile_grasp.ros import qos
from visuotactile_grasp.ros.conversions import pose_to_xyzyaw
from visuotactile_grasp.tools.graph_session import GraphSession

MODELS = Path(__file__).resolve().parent.parent / "models"
OBJECT = "train_000"
OPEN_WIDTH = 0.11


class Driver:
    """The test's hands on the graph: attempts with feedback, faults, gripper acknowledgements."""

    def __init__(self, session: GraphSession) -> None:
        self.session, node = session, session.monitor
        self.grasp = ActionClient(node, ExecuteGrasp, topics.EXECUTE_GRASP_ACTION)
        self.gripper = ActionClient(node, GripperCommand, topics.GRIPPER_ACTION)
        self.fault = node.create_client(InjectFault, topics.SIM_INJECT_FAULT)
        self.reset = node.create_client(ResetObject, topics.SIM_RESET_OBJECT)
        self.status: GripperStatus | None = None
        node.create_subscription(GripperStatus, topics.GRIPPER_STATUS, lambda m: setattr(self, "status", m),
                                 qos.RELIABLE)

    def spin_until(self, predicate, timeout_s: float) -> bool:
        # not session.spin_until: that one treats a node we killed on purpose as a failure
        end = time.monotonic() + timeout_s
        while time.monotonic() < end and not predicate():
            self.session.executor.spin_once(timeout_sec=0.05)
        return bool(predicate())

    def call(self, client, request, timeout_s: float = 20.0):
        assert client.wait_for_service(timeout_sec=timeout_s)
        future = client.call_async(request)
        assert self.spin_until(future.done, timeout_s)
        return future.result()

    def inject(self, fault: str) -> None:
        reply = self.call(self.fault, InjectFault.Request(fault=fault))
        assert reply.success, reply.message

    def attempt(self, at_phase: str = "", action=None, timeout_s: float = 240.0):
        """One attempt; action() runs once the executive reports at_phase. Returns the GraspOutcome."""
        reply = self.call(self.reset, ResetObject.Request(object_id=OBJECT, random_pose=True))
        assert reply.success, reply.message
        phases = []
        assert self.grasp.wait_for_server(timeout_sec=30)
        # asks for another policy than the planner runs: the outcome must report the planner's
        send = self.grasp.send_goal_async(ExecuteGrasp.Goal(object_id=OBJECT, policy="cylinder_baseline"),
                                          feedback_callback=lambda f: phases.append(f.feedback.phase))
        assert self.spin_until(send.done, 30) and send.result().accepted
        self.goal_handle = send.result()
        result = self.goal_handle.get_result_async()
        if action is not None:
            assert self.spin_until(lambda: at_phase in phases or result.done(), timeout_s), phases
            assert not result.done(), f"attempt ended before phase {at_phase}: {result.result().result.outcome}"
            action()
        assert self.spin_until(result.done, timeout_s), f"attempt did not end; phases {phases}"
        self.last_status = result.result().status
        return result.result().result.outcome

    def restart_planner(self) -> None:
        """Restart the planner process and wait for the new one to say it loaded its model."""
        log = self.session.log_dir / "regrasp_planner.log"
        loaded = log.read_text(errors="replace").count("loaded tactile_vision model")
        self.session.runner.restart("regrasp_planner")  # what a supervisor (launch's respawn) does
        assert self.spin_until(lambda: log.read_text(errors="replace").count("loaded tactile_vision model") > loaded,
                               60), log.read_text(errors="replace")[-2000:]

    def gripper_safe(self) -> bool:
        """Fingers open, or the gripper stopped in FAST STOP (its motors hold nothing in motion)."""
        s = self.status
        return s is not None and s.connected and (s.fault or s.width >= OPEN_WIDTH - 0.005)

    def acknowledge_fast_stop(self) -> None:
        assert self.gripper.wait_for_server(timeout_sec=20)
        send = self.gripper.send_goal_async(GripperCommand.Goal(command=GripperCommand.Goal.ACKNOWLEDGE))
        assert self.spin_until(send.done, 20) and send.result().accepted
        result = send.result().get_result_async()
        assert self.spin_until(result.done, 20) and result.result().result.success, result.result().result.message

    def assert_recovered(self) -> None:
        """A whole attempt again: planned by the learned policy, lifted, labelled (held or not)."""
        outcome = self.attempt()
        assert outcome.failure_reason in ("", "no contact after hold"), outcome.failure_reason
        assert outcome.policy == "tactile_vision" and 0.0 <= outcome.final_probability <= 1.0
        assert self.spin_until(self.gripper_safe, 30)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    checkpoint = tmp / "model"
    shutil.copytree(MODELS / "tactile_vision_small", checkpoint)
    overrides = {"regrasp_planner": {"policy": "tactile_vision", "checkpoint": str(checkpoint), "candidates": 500,
                                     "force_sweep": 50, "input_timeout": 3.0},
                 "grasp_executive": {"max_regrasps": 0, "hold_time": 0.5, "planner_timeout": 10.0,
                                     "step_timeout": 10.0, "label_timeout": 1.0},
                 # the small model's own world (legacy gels, v1 objects; models/README.md)
                 "sim_cell": {"camera_rate": 5.0, "gelsight_rate": 10.0, "gel_model": "legacy", "objects": "v1"}}
    with GraphSession("grasp", sim=True, log_dir=str(tmp / "logs"), overrides=overrides) as session:
        assert session.wait_until_up(120), session.monitor.report()
        driver = Driver(session)
        driver.checkpoint = checkpoint
        assert driver.spin_until(lambda: driver.status is not None and driver.status.connected, 60)
        yield driver
        if not getattr(driver, "graph_stopped", False):  # the SIGINT test stops it on purpose
            assert not session.runner.dead_required(), session.runner.dead_required()


def test_wsg50_connection_dropped_mid_grasp(graph):
    outcome = graph.attempt("close", lambda: graph.inject("wsg_drop_connection"))
    # the close (or the next gripper step) fails by name; the driver reconnects and the fingers are opened
    assert "gripper failed" in outcome.failure_reason or "not connected" in outcome.failure_reason \
        or outcome.failure_reason in ("", "no contact after hold"), outcome.failure_reason
    assert graph.spin_until(graph.gripper_safe, 30), graph.status
    graph.assert_recovered()


def test_gripper_in_fast_stop(graph):
    # stopped from the close on: the close fails by name, or, when the stop lands after it, the
    # executive's check before the lift does (a faulted gripper is never lifted)
    outcome = graph.attempt("close", lambda: graph.inject("wsg_fast_stop"))
    assert not outcome.success
    assert "gripper failed" in outcome.failure_reason, outcome.failure_reason
    assert graph.spin_until(lambda: graph.status is not None and graph.status.fault, 10), graph.status
    assert graph.gripper_safe()
    graph.acknowledge_fast_stop()  # the operator's decision, never the executive's
    assert graph.spin_until(lambda: not graph.status.fault, 10)
    graph.assert_recovered()


@pytest.mark.parametrize("stream, missing", [("gelsight_left_stop", "gel_left"), ("kinect_stop", "rgb")])
def test_a_sensor_stream_that_stops(graph, stream, missing):
    outcome = graph.attempt("close", lambda: graph.inject(stream))
    assert not outcome.success
    # the planner names the input it did not get
    assert f"inputs missing: {missing}" in outcome.failure_reason or \
        (missing == "gel_left" and "no fresh GelSight contact from ['left']" in outcome.failure_reason), \
        outcome.failure_reason
    assert graph.spin_until(graph.gripper_safe, 30), graph.status
    graph.inject("clear")
    graph.assert_recovered()


def test_planner_killed_mid_attempt(graph):
    runner = graph.session.runner
    outcome = graph.attempt("close", lambda: runner.procs["regrasp_planner"].kill())
    assert "planner did not answer" in outcome.failure_reason, outcome.failure_reason
    assert graph.spin_until(graph.gripper_safe, 30), graph.status
    graph.restart_planner()
    graph.assert_recovered()


def test_cancelled_attempt_holds_the_arm_and_opens_the_fingers(graph):
    poses = []
    graph.session.monitor.create_subscription(PoseStamped, topics.ARM_EE_POSE, poses.append, qos.RELIABLE)
    outcome = graph.attempt("approach", lambda: graph.goal_handle.cancel_goal_async())
    assert graph.last_status == GoalStatus.STATUS_CANCELED
    assert outcome.failure_reason.startswith("cancelled") and not outcome.success, outcome.failure_reason
    assert graph.spin_until(graph.gripper_safe, 30), graph.status
    # the arm holds where it stopped (no retreat, no chasing the cancelled target)
    seen = len(poses)
    graph.spin_until(lambda: len(poses) > seen + 50, 10)
    held = [pose_to_xyzyaw(p.pose) for p in poses[seen:]]
    assert len(held) > 10 and max(abs(h[2] - held[0][2]) for h in held) < 0.003
    graph.assert_recovered()


def test_checkpoint_replaced_by_a_corrupt_file(graph):
    runner = graph.session.runner
    weights = graph.checkpoint / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(b"\x00" * 64)  # e.g. a copy cut short while the planner ran
    runner.restart("regrasp_planner")
    # the planner refuses the file with a clear error and exits; an attempt then ends by name
    assert graph.spin_until(lambda: runner.procs["regrasp_planner"].poll() is not None, 60)
    log = (graph.session.log_dir / "regrasp_planner.log").read_text(errors="replace")
    assert "checkpoint" in log.lower() and str(graph.checkpoint) in log, log[-2000:]
    outcome = graph.attempt()
    assert "planner did not answer" in outcome.failure_reason, outcome.failure_reason
    assert graph.spin_until(graph.gripper_safe, 30), graph.status
    weights.write_bytes(good)
    graph.restart_planner()
    graph.assert_recovered()


def test_a_keyed_reset_places_the_object_as_evaluation_does(graph):
    """ResetObject with an episode key places the object where a bare evaluation cell started from the
    same key does, every time; a different key elsewhere; a negative key is refused (nothing moves)."""
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell
    from visuotactile_grasp.streams import attempt_key

    key = list(attempt_key(0, OBJECT, 3))
    first = graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True, episode_key=key))
    other = graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True,
                                                        episode_key=list(attempt_key(0, OBJECT, 4))))
    again = graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True, episode_key=key))
    bad = graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True, episode_key=[-1]))
    assert first.success and other.success and again.success, (first.message, other.message, again.message)
    assert not bad.success and "non-negative" in bad.message

    def xy(reply):
        return np.array([reply.pose.position.x, reply.pose.position.y])
    assert np.allclose(xy(first), xy(again), atol=1e-4) and not np.allclose(xy(first), xy(other), atol=1e-3)
    bare = MujocoCell(object_id=OBJECT)
    try:
        bare.start_episode(OBJECT, tuple(key))
        _, bare_xy = bare.reset_object(OBJECT)
    finally:
        bare.close()
    assert np.allclose(xy(first), bare_xy, atol=1e-4)
    graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True))  # as the other tests expect


def test_sigint_mid_attempt_leaves_the_fingers_open(graph):
    """Stopping the graph (Ctrl-C) during an attempt: the executive goes first and, while the arm and
    gripper nodes still run, ends the attempt as cancelled and opens the fingers. Runs last: it stops
    the module's graph."""
    session = graph.session
    reset = graph.call(graph.reset, ResetObject.Request(object_id=OBJECT, random_pose=True))
    assert reset.success
    phases = []
    graph.grasp.send_goal_async(ExecuteGrasp.Goal(object_id=OBJECT),
                                feedback_callback=lambda f: phases.append(f.feedback.phase))
    assert graph.spin_until(lambda: "plan" in phases, 240), phases  # fingers closed on the object
    graph.graph_stopped = True
    codes = session.runner.stop()
    assert all(code == 0 for code in codes.values()), codes
    executive = (session.log_dir / "grasp_executive.log").read_text(errors="replace")
    last = executive.split("cancelled (stopped")
    assert len(last) > 1, executive[-2000:]
    assert "arm holding, opening the fingers" in last[-1] and "could not open the gripper" not in last[-1], \
        executive[-2000:]

def test_data_collector_killed_mid_trial_keeps_every_finished_trial_and_resumes(tmp_path, ros_env):
    # a domain of its own (vtg reserves one when ROS_DOMAIN_ID is unset): this module's grasp graph may
    # still be up on the suite's domain (it is, when this test is selected without the SIGINT test)
    ros_env = {k: v for k, v in ros_env.items() if k != "ROS_DOMAIN_ID"}
    out = tmp_path / "dataset"
    cmd = [str(Path(sys.executable).parent / "vtg"), "collect", "--sim", "--trials", "2", "--objects", OBJECT,
           "--out", str(out)]
    run = subprocess.Popen(cmd, env=ros_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # the first trial is on disk and the second is running: kill the collector node only
        end = time.monotonic() + 400
        while time.monotonic() < end and _trials(out) < 1:
            time.sleep(0.5)
        assert _trials(out) == 1
        state = json.loads((out / "logs" / "graph.json").read_text())
        os.kill(state["nodes"]["data_collector"], signal.SIGKILL)
        output, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0 and "data_collector" in output, output[-3000:]
    assert _trials(out) == 1
    again = subprocess.run(cmd + ["--resume"], env=ros_env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    reader = DatasetReader(out)
    per_trial = Counter(e["trial_id"] for e in reader.entries)
    assert len(per_trial) == 2 and set(per_trial.values()) == {3}, per_trial  # none twice, none lost
    for i in range(len(reader)):
        reader.load(i)  # every record is whole (checksums verified)


def _trials(out: Path) -> int:
    if not (out / "dataset.json").exists():
        return 0
    return len({e["trial_id"] for e in DatasetReader(out).entries})
