"""A TCP server that speaks the WSG-50 command set, backed by a GripperModel.

Used by the protocol tests (with KinematicGripperModel) and by the simulator
(with the simulated fingers), so the real driver code runs unchanged in sim.
Faults can be injected at runtime to test the driver's recovery.
"""
from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass

from . import protocol as p
from .model import GripperModel

log = logging.getLogger(__name__)


@dataclass
class FaultInjection:
    """Faults the emulator applies; change the fields while it runs."""

    drop_connection_after: int | None = None  # close the socket after N more commands
    reply_delay_s: float = 0.0  # delay before every reply
    corrupt_next_replies: int = 0  # flip checksum bits in the next N replies
    fast_stop_on_disconnect: bool = False  # as the web-interface setting does on the real gripper


class WsgEmulator:
    def __init__(self, model: GripperModel, host: str = "127.0.0.1", port: int = 0,
                 motion_timeout_s: float = 25.0, clock=time.monotonic) -> None:
        """clock: the device's own time in seconds. A simulated gripper passes the simulation's time,
        so a motion times out after 25 s of simulated motion, however slowly a loaded machine runs
        the simulation (the driver's own steady time-out catches a simulator that stops)."""
        self.model = model
        self.faults = FaultInjection()
        self.motion_timeout_s = motion_timeout_s
        self.clock = clock
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.host, self.port = self._server.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="wsg50-emulator", daemon=True)
        self.commands_served = 0
        self._client: socket.socket | None = None

    def start(self) -> WsgEmulator:
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._stop.set()
        self.drop_client()
        self._thread.join(timeout=2.0)
        self._server.close()

    def drop_client(self) -> None:
        """Close the current connection from the gripper's side."""
        client = self._client
        if client is not None:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()

    # serving ----------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._client = conn
            try:
                self._serve_client(conn)
            except OSError as exc:
                log.debug("emulator client ended: %s", exc)
            finally:
                conn.close()
                self._client = None
                if self.faults.fast_stop_on_disconnect:
                    self.model.stop(fast=True)

    def _serve_client(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        decoder = p.FrameDecoder()
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            if not data:
                return
            try:
                frames = decoder.feed(data)
            except p.ProtocolError:
                # A corrupt frame: answer with the checksum error status, as the gripper does.
                self._send(conn, p.encode_reply(0, p.Status.CHECKSUM_ERROR))
                continue
            for frame in frames:
                if self.faults.drop_connection_after is not None:
                    if self.faults.drop_connection_after <= 0:
                        self.faults.drop_connection_after = None
                        return
                    self.faults.drop_connection_after -= 1
                self.commands_served += 1
                self._handle(conn, frame)

    def _send(self, conn: socket.socket, frame: bytes) -> None:
        if self.faults.reply_delay_s > 0:
            time.sleep(self.faults.reply_delay_s)
        if self.faults.corrupt_next_replies > 0:
            self.faults.corrupt_next_replies -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        conn.sendall(frame)

    def _reply(self, conn: socket.socket, cmd: int, status: int, params: bytes = b"") -> None:
        self._send(conn, p.encode_reply(cmd, status, params))

    # command handling ---------------------------------------------------------
    def _handle(self, conn: socket.socket, frame: p.Frame) -> None:
        cmd, payload = frame.command, frame.payload
        model, limits = self.model, self.model.limits
        C, S = p.Command, p.Status
        try:
            if cmd == C.LOOP:
                return self._reply(conn, cmd, S.SUCCESS, payload)
            if cmd == C.DISCONNECT:
                return self._reply(conn, cmd, S.SUCCESS)
            if cmd in (C.HOMING, C.PREPOSITION, C.GRASP, C.RELEASE):
                return self._motion(conn, cmd, payload)
            if cmd in (C.STOP, C.FAST_STOP):
                model.stop(fast=cmd == C.FAST_STOP)
                return self._reply(conn, cmd, S.SUCCESS)
            if cmd == C.ACK_FAULT:
                if payload != b"ack":
                    return self._reply(conn, cmd, S.INVALID_PARAMETER)
                model.acknowledge()
                return self._reply(conn, cmd, S.SUCCESS)
            if cmd == C.SET_FORCE_LIMIT:
                (force,) = struct.unpack("<f", payload)
                if not limits.min_force_n <= force <= limits.max_force_n:
                    return self._reply(conn, cmd, S.RANGE_ERROR)
                model.force_limit = force
                return self._reply(conn, cmd, S.SUCCESS)
            if cmd == C.GET_FORCE_LIMIT:
                return self._reply(conn, cmd, S.SUCCESS, p.float_payload(model.force_limit))
            if cmd == C.SET_ACCELERATION:
                (acc,) = struct.unpack("<f", payload)
                if not limits.min_accel_m_s2 * 1e3 <= acc <= limits.max_accel_m_s2 * 1e3:
                    return self._reply(conn, cmd, S.RANGE_ERROR)
                model.acceleration = acc * 1e-3
                return self._reply(conn, cmd, S.SUCCESS)
            if cmd == C.GET_ACCELERATION:
                return self._reply(conn, cmd, S.SUCCESS, p.float_payload(model.acceleration * 1e3))
            state = model.state()
            if cmd == C.GET_WIDTH:
                return self._reply(conn, cmd, S.SUCCESS, p.float_payload(state["width"] * 1e3))
            if cmd == C.GET_SPEED:
                return self._reply(conn, cmd, S.SUCCESS, p.float_payload(state["speed"] * 1e3))
            if cmd == C.GET_FORCE:
                return self._reply(conn, cmd, S.SUCCESS, p.float_payload(state["force"]))
            if cmd == C.SYSTEM_STATE:
                return self._reply(conn, cmd, S.SUCCESS, struct.pack("<I", state["system_state"]))
            if cmd == C.GRASPING_STATE:
                return self._reply(conn, cmd, S.SUCCESS, struct.pack("<B", state["grasping_state"]))
            if cmd == C.SYSTEM_LIMITS:
                values = (limits.stroke_m * 1e3, limits.min_speed_m_s * 1e3, limits.max_speed_m_s * 1e3,
                          limits.min_accel_m_s2 * 1e3, limits.max_accel_m_s2 * 1e3,
                          limits.min_force_n, limits.max_force_n, limits.max_force_n)
                return self._reply(conn, cmd, S.SUCCESS, struct.pack("<8f", *values))
            return self._reply(conn, cmd, S.UNKNOWN_COMMAND)
        except struct.error:
            return self._reply(conn, cmd, S.INVALID_PARAMETER)

    def _motion(self, conn: socket.socket, cmd: int, payload: bytes) -> None:
        C, S = p.Command, p.Status
        model, limits = self.model, self.model.limits
        if model.state()["system_state"] & p.SystemStateBit.FAST_STOP:
            return self._reply(conn, cmd, S.COMMAND_FAILED)
        if cmd == C.HOMING:
            kind, width, speed = "home", limits.stroke_m, limits.max_speed_m_s
        else:
            if cmd == C.PREPOSITION:
                payload = payload[1:]
            width_mm, speed_mm = struct.unpack("<ff", payload)
            width, speed = width_mm * 1e-3, speed_mm * 1e-3
            if not (0.0 <= width <= limits.stroke_m and limits.min_speed_m_s <= speed <= limits.max_speed_m_s):
                return self._reply(conn, cmd, S.RANGE_ERROR)
            kind = {C.PREPOSITION: "move", C.GRASP: "grasp", C.RELEASE: "release"}[cmd]
        model.start_motion(kind, width, speed)
        self._reply(conn, cmd, S.CMD_PENDING)
        deadline = self.clock() + self.motion_timeout_s
        while (result := model.motion_result()) is None:
            if self.clock() > deadline or self._stop.is_set():
                model.stop()
                result = S.TIMEOUT
                break
            time.sleep(0.002)
        self._reply(conn, cmd, result)
