"""The WSG-50 driver node over ROS against the TCP emulator: actions, status, force clamping,
a dropped connection with fast stop, and a safe stop on shutdown."""
import math

import pytest
import rclpy
from rclpy.action import ActionClient
from visuotactile_grasp_msgs.action import GripperCommand
from visuotactile_grasp_msgs.msg import GripperStatus

from node_harness import NodeProcess, run_action, spin_until
from visuotactile_grasp.devices.wsg50 import protocol as p
from visuotactile_grasp.devices.wsg50.emulator import WsgEmulator
from visuotactile_grasp.devices.wsg50.model import KinematicGripperModel

G = GripperCommand.Goal


@pytest.fixture
def driver(ros_env, tmp_path):
    emulator = WsgEmulator(KinematicGripperModel(part_width_m=0.05)).start()
    node_proc = NodeProcess("wsg50_gripper_node", "wsg50_gripper",
                            {"host": "127.0.0.1", "port": emulator.port, "max_force": 40.0,
                             "reconnect_period": 0.2, "timeout": 0.5}, ros_env, tmp_path / "wsg.log")
    rclpy.init()
    node = rclpy.create_node("test_wsg_client")
    status = []
    node.create_subscription(GripperStatus, "/gripper/status", status.append, 10)
    client = ActionClient(node, GripperCommand, "/gripper/command")
    try:
        assert spin_until(node, lambda: status and status[-1].connected, 30), node_proc.output()
        yield emulator, node, client, status, node_proc
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        code = node_proc.stop()
        emulator.shutdown()
        assert code == 0, node_proc.output()


def _command(driver, goal):
    """(accepted, result) for one gripper goal; a failure shows the driver node's log."""
    _, node, client, _, node_proc = driver
    return run_action(node, client, goal, server_log=node_proc.output)


def test_grasp_release_and_status(driver):
    emulator, node, client, status, _ = driver
    ok, result = _command(driver, G(command=G.GRASP, width=0.0, speed=0.2, force=25.0))
    assert ok and result.success
    assert result.grasping_state == p.GraspingState.HOLDING
    assert result.width == pytest.approx(0.05, abs=1e-4)
    assert result.force == pytest.approx(25.0)
    assert spin_until(node, lambda: status[-1].grasping_state == p.GraspingState.HOLDING, 5)
    ok, result = _command(driver, G(command=G.RELEASE, width=0.1, speed=0.2))
    assert ok and result.success and result.width == pytest.approx(0.1, abs=1e-4)


def test_force_is_clamped_and_nan_rejected(driver):
    emulator, node, client, _, _ = driver
    ok, result = _command(driver, G(command=G.GRASP, width=0.0, speed=0.2, force=500.0))
    assert ok and result.success
    assert emulator.model.force_limit == pytest.approx(40.0)  # the node's max_force, not 500
    ok, _ = _command(driver, G(command=G.GRASP, width=0.0, speed=0.2, force=math.nan))
    assert not ok


def test_missing_part_reports_failure(driver):
    emulator, node, client, _, _ = driver
    emulator.model.part_width_m = None
    ok, result = _command(driver, G(command=G.GRASP, width=0.0, speed=0.4, force=10.0))
    assert ok and not result.success
    assert result.status_code == p.Status.COMMAND_FAILED
    assert result.grasping_state == p.GraspingState.NO_PART_FOUND


def test_reconnects_and_acknowledges_fast_stop_after_drop(driver):
    emulator, node, client, status, _ = driver
    emulator.faults.fast_stop_on_disconnect = True
    emulator.drop_client()
    assert spin_until(node, lambda: not status[-1].connected, 10)
    assert spin_until(node, lambda: status[-1].connected and not status[-1].fault, 20)
    assert not emulator.model.fast_stopped
    ok, result = _command(driver, G(command=G.MOVE, width=0.08, speed=0.2))
    assert ok and result.success
