"""Each node's endpoints are declared once (graph/interfaces.py): a node refuses to create an
undeclared one, and the running graph's check reports one that a node created around that refusal."""
import importlib
import inspect
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import rclpy
from rclpy.action import ActionClient, ActionServer
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Bool
from visuotactile_grasp_msgs.action import MoveToPose
from visuotactile_grasp_msgs.msg import CylinderFit
from visuotactile_grasp_msgs.srv import ResetObject

from node_harness import spin_until
from visuotactile_grasp import topics as t
from visuotactile_grasp.graph import interfaces
from visuotactile_grasp.graph.monitor import GraphMonitor
from visuotactile_grasp.graph.spec import Graph, NodeSpec
from visuotactile_grasp.ros import qos
from visuotactile_grasp.ros.declared_node import DeclaredNode, UndeclaredEndpoint


@pytest.fixture
def ros():
    rclpy.init()
    try:
        yield
    finally:
        rclpy.try_shutdown()


def test_every_node_executable_is_declared_and_checks_its_endpoints():
    scripts = [e for e in entry_points(group="console_scripts") if e.module.startswith("visuotactile_grasp.nodes.")]
    assert len(scripts) >= 10
    for script in scripts:
        assert callable(getattr(interfaces, script.name, None)), f"no declaration for {script.name}"
        module = importlib.import_module(script.module)
        nodes = [c for _, c in inspect.getmembers(module, inspect.isclass)
                 if issubclass(c, Node) and c.__module__ == module.__name__]
        assert nodes and all(issubclass(c, DeclaredNode) for c in nodes), script.name


def test_declarations_and_pure_cores_import_no_ros():
    """modes.py and launch files read the declarations without node code; bags/replay.py is pure."""
    probe = ("import sys, visuotactile_grasp.graph.modes, visuotactile_grasp.graph.launch_adapter, "
             "visuotactile_grasp.bags.replay, visuotactile_grasp.data.store\n"
             "print([m for m in sys.modules if m.split('.')[0] in ('rclpy', 'sensor_msgs') "
             "or m.startswith('visuotactile_grasp.ros') or m.startswith('visuotactile_grasp.nodes')])")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_node_refuses_an_undeclared_endpoint(ros):
    node = DeclaredNode("fitter_under_test", interfaces.cylinder_fitter_node())
    try:
        node.create_subscription(Image, t.KINECT_DEPTH, lambda _m: None, qos.IMAGE)  # declared
        node.create_publisher(CylinderFit, t.CYLINDER_FIT, qos.LATCHED)
        with pytest.raises(UndeclaredEndpoint, match=f"subscription {t.KINECT_RGB} .*graph/interfaces.py"):
            node.create_subscription(Image, t.KINECT_RGB, lambda _m: None, qos.IMAGE)
        with pytest.raises(UndeclaredEndpoint, match="std_msgs/msg/Bool"):  # declared name, other type
            node.create_publisher(Bool, t.CYLINDER_FIT, qos.RELIABLE)
        with pytest.raises(UndeclaredEndpoint, match=f"client {t.SIM_RESET_OBJECT}"):
            node.create_client(ResetObject, t.SIM_RESET_OBJECT)
        with pytest.raises(UndeclaredEndpoint, match=f"action client {t.ARM_MOVE_ACTION}"):
            node.action_client(MoveToPose, t.ARM_MOVE_ACTION)
        with pytest.raises(UndeclaredEndpoint, match="built directly"):
            ActionServer(node, MoveToPose, t.ARM_MOVE_ACTION, lambda _g: None)
    finally:
        node.destroy_node()
    late = DeclaredNode("gel_under_test")  # a parameter decides its declaration
    try:
        with pytest.raises(UndeclaredEndpoint, match="before declare_interface"):
            late.create_subscription(Image, t.gelsight_raw_source("left"), lambda _m: None, qos.IMAGE)
        late.declare_interface(interfaces.gelsight_node("left"))
        late.create_subscription(Image, t.gelsight_raw_source("left"), lambda _m: None, qos.IMAGE)
    finally:
        late.destroy_node()


def test_graph_check_reports_an_endpoint_the_declaration_lacks(ros):
    """A node not built on DeclaredNode (or a declaration that fell behind a node) is caught at run time."""
    declared = interfaces.cylinder_fitter_node()
    good = DeclaredNode("good_fitter", declared)
    good.create_subscription(Image, t.KINECT_DEPTH, lambda _m: None, qos.IMAGE)
    good.create_publisher(CylinderFit, t.CYLINDER_FIT, qos.LATCHED)
    rogue = Node("rogue_fitter")
    rogue.create_subscription(CameraInfo, t.KINECT_DEPTH_INFO, lambda _m: None, qos.IMAGE)  # declared
    rogue.create_subscription(Image, t.KINECT_RGB, lambda _m: None, qos.IMAGE)
    rogue.create_publisher(Bool, t.CYLINDER_MARKER, qos.RELIABLE)  # a declared name, another type
    ActionClient(rogue, MoveToPose, t.ARM_MOVE_ACTION)
    graph = Graph("test", False, tuple(NodeSpec(name, "cylinder_fitter_node", interface=declared)
                                       for name in ("good_fitter", "rogue_fitter")))
    monitor = GraphMonitor(graph)
    try:
        assert spin_until(monitor, lambda: "rogue_fitter" in monitor.undeclared(), 10.0)
        assert monitor.undeclared() == {"rogue_fitter": [
            f"action client {t.ARM_MOVE_ACTION} [visuotactile_grasp_msgs/action/MoveToPose]",
            f"publisher {t.CYLINDER_MARKER} [std_msgs/msg/Bool]",
            f"subscription {t.KINECT_RGB} [sensor_msgs/msg/Image]"]}
        assert f"rogue_fitter: subscription {t.KINECT_RGB}" in monitor.report()
    finally:
        for node in (monitor, rogue, good):
            node.destroy_node()
