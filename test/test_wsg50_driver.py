"""The WSG-50 client against the protocol-level emulator over real TCP, with injected faults."""
import time

import pytest

from visuotactile_grasp.devices.wsg50 import protocol as p
from visuotactile_grasp.devices.wsg50.client import WsgClient, WsgConnectionError, WsgError
from visuotactile_grasp.devices.wsg50.emulator import WsgEmulator
from visuotactile_grasp.devices.wsg50.model import KinematicGripperModel


@pytest.fixture
def gripper():
    emulator = WsgEmulator(KinematicGripperModel(part_width_m=0.04)).start()
    client = WsgClient(emulator.host, emulator.port, timeout_s=0.5, motion_timeout_s=5.0)
    client.connect()
    yield emulator, client
    client.disconnect()
    emulator.shutdown()


def test_home_move_grasp_release(gripper):
    emulator, client = gripper
    client.home()
    assert client.get_width() == pytest.approx(0.11, abs=1e-4)
    assert client.system_state() & p.SystemStateBit.REFERENCED
    client.set_force_limit(25.0)
    assert client.get_force_limit() == pytest.approx(25.0)
    client.move(0.06, 0.2)
    assert client.get_width() == pytest.approx(0.06, abs=1e-4)
    client.grasp(0.02, 0.2)
    assert client.grasping_state() == p.GraspingState.HOLDING
    assert client.get_force() == pytest.approx(25.0)
    assert client.get_width() == pytest.approx(0.04, abs=1e-4)
    client.release(0.08, 0.2)
    assert client.grasping_state() == p.GraspingState.IDLE
    assert client.loop(b"ping") == b"ping"


def test_grasp_without_part_fails_with_status(gripper):
    emulator, client = gripper
    emulator.model.part_width_m = None
    with pytest.raises(WsgError) as err:
        client.grasp(0.0, 0.4)
    assert err.value.status == p.Status.COMMAND_FAILED
    assert client.grasping_state() == p.GraspingState.NO_PART_FOUND


def test_range_and_unknown_command(gripper):
    _, client = gripper
    with pytest.raises(WsgError) as err:
        client.set_force_limit(200.0)
    assert err.value.status == p.Status.RANGE_ERROR
    with pytest.raises(WsgError) as err:
        client.move(0.5, 0.1)
    assert err.value.status == p.Status.RANGE_ERROR
    with pytest.raises(WsgError) as err:
        client.request(0x7F)
    assert err.value.status == p.Status.UNKNOWN_COMMAND


def test_corrupt_reply_raises_and_reconnect_recovers(gripper):
    emulator, client = gripper
    emulator.faults.corrupt_next_replies = 1
    with pytest.raises(WsgConnectionError, match="corrupt"):
        client.get_width()
    assert not client.connected
    client.connect()
    assert client.get_width() > 0


def test_dropped_connection(gripper):
    emulator, client = gripper
    emulator.faults.drop_connection_after = 0
    with pytest.raises(WsgConnectionError):
        client.get_width()
    client.connect()
    assert client.get_width() > 0


def test_slow_reply_times_out(gripper):
    emulator, client = gripper
    emulator.faults.reply_delay_s = 1.0
    t0 = time.monotonic()
    with pytest.raises(WsgConnectionError, match="in time"):
        client.get_width()
    assert time.monotonic() - t0 < 0.9


def test_fast_stop_on_disconnect_then_acknowledge(gripper):
    emulator, client = gripper
    emulator.faults.fast_stop_on_disconnect = True
    client.disconnect()
    time.sleep(0.5)
    client.connect()
    assert client.system_state() & p.SystemStateBit.FAST_STOP
    with pytest.raises(WsgError):
        client.move(0.05, 0.1)
    client.acknowledge_fault()
    client.move(0.05, 0.1)
    assert client.get_width() == pytest.approx(0.05, abs=1e-4)


def test_checksum_error_status_from_gripper(gripper):
    emulator, client = gripper
    frame = p.encode(p.Command.GET_WIDTH, p.value_request_payload())
    client._sock.sendall(frame[:-1] + bytes([frame[-1] ^ 0xFF]))
    reply = client._read_frame(0, time.monotonic() + 1.0)
    assert reply.status == p.Status.CHECKSUM_ERROR


def test_unreachable_gripper_gives_clear_error():
    client = WsgClient("127.0.0.1", 1, timeout_s=0.3)
    with pytest.raises(WsgConnectionError, match="cannot reach"):
        client.connect()


def test_every_device_driver_has_the_same_lifecycle(tmp_path):
    """devices.base.Device: connect, disconnect (twice is fine), connected."""
    import cv2
    import numpy as np

    from visuotactile_grasp.devices.base import Device
    from visuotactile_grasp.devices.gelsight.sources import FolderSource, VideoSource

    cv2.imwrite(str(tmp_path / "0.png"), np.zeros((4, 4, 3), np.uint8))
    devices = [WsgClient("127.0.0.1", 1), FolderSource(str(tmp_path)), VideoSource(str(tmp_path / "none.mp4"),
                                                                                   4, 4, 30.0, loop=False)]
    for device in devices:
        assert isinstance(device, Device) and not device.connected
        device.disconnect()
        device.disconnect()
        assert not device.connected
    folder = devices[1]
    folder.connect()
    assert folder.connected and folder.read().shape == (4, 4, 3)
    folder.disconnect()
    assert not folder.connected
