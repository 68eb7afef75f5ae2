"""The planner node's handshake over ROS: every plan request gets exactly one answer; a plan only
from inputs stamped at or after the request's inputs_after (whether they arrive before or after
the request), INPUTS_MISSING when they never come, REJECTED for a non-finite pose."""
import math
from pathlib import Path

import pytest
import rclpy
from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from visuotactile_grasp_msgs.msg import CylinderFit, GraspGoal, PlanRequest

from node_harness import NodeProcess, spin_until
from visuotactile_grasp import topics
from visuotactile_grasp.ros import qos
from visuotactile_grasp.ros.conversions import pose_stamped, pose_to_xyzyaw
from visuotactile_grasp.stamps import header_key


def _t(seconds: float) -> Time:
    return Time(sec=int(seconds), nanosec=int(round((seconds % 1) * 1e9)))


@pytest.fixture
def planner(ros_env, tmp_path):
    proc = NodeProcess("regrasp_planner_node", "regrasp_planner",
                       {"policy": "cylinder_baseline", "input_timeout": 4.0}, ros_env, tmp_path / "planner.log")
    rclpy.init()
    node = rclpy.create_node("test_planner_client")
    answers = {}
    node.create_subscription(GraspGoal, topics.GRASP_GOAL, lambda g: answers.setdefault(header_key(g.header), [])
                             .append(g), qos.ANSWERS)
    requests = node.create_publisher(PlanRequest, topics.PLAN_REQUEST, qos.REQUESTS)
    poses = node.create_publisher(PoseStamped, topics.ARM_EE_POSE, qos.RELIABLE)
    try:
        # a handshake, not a pause: the planner subscribes to both topics we publish, and we to its answers
        assert spin_until(node, lambda: requests.get_subscription_count() and poses.get_subscription_count()
                          and node.count_publishers(topics.GRASP_GOAL), 60), proc.output()
        yield node, requests, poses, answers
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()[-2000:]


def _request(at: float, inputs_after: float, index: int = 0) -> PlanRequest:
    return PlanRequest(header=Header(stamp=_t(at), frame_id="base"), regrasp_index=index,
                       inputs_after=_t(inputs_after))


def test_plan_waits_for_inputs_stamped_after_the_request(planner):
    node, requests, poses, answers = planner
    poses.publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(9.9)))  # before inputs_after: not usable
    request = _request(10.0, 10.2, index=3)
    requests.publish(request)
    spin_until(node, lambda: answers, 0.5)
    assert not answers, "answered before an input from after inputs_after existed"
    poses.publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(10.25)))
    assert spin_until(node, lambda: header_key(request.header) in answers, 10)
    [goal] = answers[header_key(request.header)]
    assert goal.status == GraspGoal.STATUS_OK and goal.regrasp_index == 3 and goal.policy == "cylinder_baseline"
    assert 5.0 <= goal.grip_force <= 40.0 and goal.lift


def test_inputs_that_arrived_first_are_used_too(planner):
    node, requests, poses, answers = planner
    # a stream, as the arm publishes it: one pose sent once can be lost while the planner's reader has not
    # yet matched our writer (discovery is not symmetric; our writer saw its reader first), seen under load
    node.create_timer(0.05, lambda: poses.publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(20.3))))
    spin_until(node, lambda: False, 0.3)  # the poses may or may not be there yet: either order must work
    request = _request(20.0, 20.2)
    requests.publish(request)
    assert spin_until(node, lambda: header_key(request.header) in answers, 10)
    assert answers[header_key(request.header)][0].status == GraspGoal.STATUS_OK


def test_missing_inputs_get_an_answer_that_names_them(planner):
    node, requests, poses, answers = planner
    poses.publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(29.0)))
    request = _request(30.0, 30.2)
    requests.publish(request)
    assert spin_until(node, lambda: header_key(request.header) in answers, 15)
    [goal] = answers[header_key(request.header)]
    assert goal.status == GraspGoal.STATUS_INPUTS_MISSING
    assert "inputs missing: pose (newest 1.20 s before" in goal.message, goal.message
    assert math.isnan(goal.grip_force)
    spin_until(node, lambda: False, 0.5)
    assert len(answers[header_key(request.header)]) == 1, "answered twice"


def test_non_finite_pose_is_rejected_not_planned(planner):
    node, requests, poses, answers = planner
    request = _request(40.0, 40.0)
    requests.publish(request)
    poses.publish(pose_stamped([math.nan, 0.0, 0.1, 0.0], _t(40.1)))
    assert spin_until(node, lambda: header_key(request.header) in answers, 10)
    [goal] = answers[header_key(request.header)]
    assert goal.status == GraspGoal.STATUS_REJECTED and "not finite" in goal.message


def _planner_client(name: str):
    """(node, answers by request header, publishers of every input and of requests) for a learned planner."""
    rclpy.init()
    node = rclpy.create_node(name)
    answers = {}
    node.create_subscription(GraspGoal, topics.GRASP_GOAL, lambda g: answers.__setitem__(header_key(g.header), g),
                             qos.ANSWERS)
    pubs = {"pose": node.create_publisher(PoseStamped, topics.ARM_EE_POSE, qos.RELIABLE),
            "request": node.create_publisher(PlanRequest, topics.PLAN_REQUEST, qos.REQUESTS),
            "rgb": node.create_publisher(Image, topics.KINECT_RGB, qos.IMAGE),
            **{s: node.create_publisher(Image, topics.gelsight(s, "image_diff"), qos.IMAGE) for s in topics.SIDES}}
    return node, answers, pubs


def test_learned_planner_reads_the_requests_minimum_force_flag_and_fit(ros_env, tmp_path):
    """The request's minimum_force is honoured (it used to be sent and never read), and its cylinder
    fit keeps the regrasp inside the region the data was collected in around it."""
    import numpy as np

    from visuotactile_grasp.ros.image_conversion import numpy_to_image

    checkpoint = Path(__file__).resolve().parent.parent / "models" / "tactile_vision_small"
    proc = NodeProcess("regrasp_planner_node", "regrasp_planner",
                       {"policy": "tactile_vision", "checkpoint": str(checkpoint), "candidates": 200,
                        "force_sweep": 20}, ros_env, tmp_path / "planner.log")
    node, answers, pubs = _planner_client("test_min_force_client")
    rng = np.random.default_rng(0)
    try:
        assert spin_until(node, lambda: all(p.get_subscription_count() for p in pubs.values())
                          and node.count_publishers(topics.GRASP_GOAL), 120), proc.output()
        # the region: within 3 cm of (0.62, 0.0) per axis, z between 1.5 cm and 11 cm above the table
        fit = CylinderFit(valid=True, radius=0.03, height=0.12, num_points=100, fit_quality=0.9)
        fit.center.x = 0.62
        for k, flag in enumerate((True, False, False)):
            t = 50.0 + k
            request = _request(t, t)
            request.minimum_force = flag
            if k == 2:
                request.fit = fit
            pubs["request"].publish(request)
            pubs["pose"].publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(t)))
            header = Header(stamp=_t(t), frame_id="kinect")
            pubs["rgb"].publish(numpy_to_image(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), "rgb8", header))
            for side in topics.SIDES:
                pubs[side].publish(numpy_to_image(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), "rgb8",
                                                  header))
            key = header_key(request.header)
            assert spin_until(node, lambda key=key: key in answers, 60), proc.output()[-2000:]
            goal = answers[key]
            assert goal.status == GraspGoal.STATUS_OK, goal.message
            assert goal.message == ("minimum-force choice" if flag else "most-probable choice")
            assert 5.0 <= goal.grip_force <= 40.0
            if k == 2:
                x, y, z, _ = pose_to_xyzyaw(goal.target_pose)
                assert 0.59 - 1e-9 <= x <= 0.65 + 1e-9 and abs(y) <= 0.03 + 1e-9 and 0.015 - 1e-9 <= z <= 0.11 + 1e-9
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()[-2000:]


def test_an_object_view_model_waits_for_the_cameras_model_then_plans(ros_env, tmp_path):
    """A model that crops the front image around the grasp plans only once the camera's CameraInfo has
    come (with the extrinsics of config/front_camera.yaml); before, the request is answered INPUTS_MISSING
    naming it, never planned blind."""
    import numpy as np
    from sensor_msgs.msg import CameraInfo

    from test_model import SMALL, synthetic_inputs
    from visuotactile_grasp.model.network import ModelConfig
    from visuotactile_grasp.model.train import TrainConfig, train
    from visuotactile_grasp.ros.image_conversion import numpy_to_image
    from visuotactile_grasp.sim.cell import front_camera_model

    run = tmp_path / "run"
    train(synthetic_inputs(), ModelConfig(variant="tactile_vision", **SMALL),
          TrainConfig(iterations=4, batch_size=8, checkpoint_every=4), run, progress=False)
    proc = NodeProcess("regrasp_planner_node", "regrasp_planner",
                       {"policy": "tactile_vision", "checkpoint": str(run), "candidates": 200, "force_sweep": 20,
                        "lift_rule": "paper", "input_timeout": 2.0}, ros_env, tmp_path / "planner.log")
    node, answers, pubs = _planner_client("test_camera_client")
    pubs["info"] = node.create_publisher(CameraInfo, topics.KINECT_DEPTH_INFO, qos.IMAGE)
    K = front_camera_model(320, 240).K
    rng = np.random.default_rng(0)

    def ask(t: float, with_camera: bool) -> GraspGoal:
        request = _request(t, t)
        header = Header(stamp=_t(t), frame_id="kinect")
        if with_camera:
            pubs["info"].publish(CameraInfo(header=header, width=320, height=240,
                                            k=[K.fx, 0.0, K.cx, 0.0, K.fy, K.cy, 0.0, 0.0, 1.0]))
        pubs["request"].publish(request)
        pubs["pose"].publish(pose_stamped([0.6, 0.0, 0.1, 0.0], _t(t)))
        pubs["rgb"].publish(numpy_to_image(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), "rgb8", header))
        for side in topics.SIDES:
            pubs[side].publish(numpy_to_image(np.full((240, 320, 3), 128, np.uint8), "rgb8", header))
        key = header_key(request.header)
        assert spin_until(node, lambda: key in answers, 60), proc.output()[-2000:]
        return answers[key]
    try:
        assert spin_until(node, lambda: all(p.get_subscription_count() for p in pubs.values())
                          and node.count_publishers(topics.GRASP_GOAL), 120), proc.output()
        blind = ask(50.0, with_camera=False)
        assert blind.status == GraspGoal.STATUS_INPUTS_MISSING and "camera_info" in blind.message, blind.message
        seen = ask(60.0, with_camera=True)
        assert seen.status == GraspGoal.STATUS_OK, seen.message
        assert "front camera model: 320x240" in proc.output()
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        assert proc.stop() == 0, proc.output()[-2000:]


def test_the_executive_publishes_a_request_only_once_a_planner_listens():
    """The executive's side of the handshake (grasp_executive_node.planner_ready) over graph endpoint lists:
    a subscriber alone (a monitor) is no planner; a planner whose reader our writer has not matched yet is
    not ready (its model may still be loading); a reader our writer's QoS can never match is not waited for."""
    from types import SimpleNamespace

    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    from visuotactile_grasp.nodes.grasp_executive_node import REQUEST_TYPE, planner_ready

    reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE)
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)

    def endpoint(node, profile=reliable, kind=REQUEST_TYPE):
        return SimpleNamespace(node_name=node, node_namespace="/", topic_type=kind, qos_profile=profile)

    planner, monitor = endpoint("regrasp_planner"), endpoint("graph_monitor")
    answers = [endpoint("regrasp_planner", kind="visuotactile_grasp_msgs/msg/GraspGoal")]
    assert not planner_ready([monitor], [], reliable, matched=1)            # a monitor is no planner
    assert not planner_ready([planner], [], reliable, matched=1)            # no answer publisher yet
    assert not planner_ready([planner, monitor], answers, reliable, matched=1)  # one reader still unmatched
    assert planner_ready([planner, monitor], answers, reliable, matched=2)
    # a reader asking for history our volatile writer cannot give, or of another type, never matches: not waited for
    assert planner_ready([planner, endpoint("late_joiner", latched)], answers, reliable, matched=1)
    assert planner_ready([planner, endpoint("other", kind="std_msgs/msg/String")], answers, reliable, matched=1)
