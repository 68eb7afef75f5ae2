"""Blocking TCP client for the WSG-50 command set.

One command at a time (a lock serialises callers), each bounded by a timeout.
Motion commands first answer CMD_PENDING and later the final status; the client
waits for the final one. Any socket error closes the connection and raises
WsgConnectionError so the caller can reconnect and re-home.
"""
from __future__ import annotations

import socket
import struct
import threading
import time

from . import protocol as p


class WsgError(Exception):
    """The gripper answered with a non-success status code."""

    def __init__(self, command: int, status: int, message: str = "") -> None:
        self.command = command
        self.status = status
        try:
            name = p.Status(status).name
        except ValueError:
            name = f"status {status}"
        super().__init__(message or f"WSG-50 command 0x{command:02x} failed: {name} ({status})")


class WsgConnectionError(Exception):
    """The TCP link is down, timed out, or delivered undecodable bytes."""


class WsgClient:
    def __init__(self, host: str, port: int = p.FACTORY_PORT, timeout_s: float = 2.0,
                 motion_timeout_s: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.motion_timeout_s = motion_timeout_s
        self._sock: socket.socket | None = None
        self._decoder = p.FrameDecoder()
        self._pending: list[p.Frame] = []
        self._lock = threading.RLock()

    # connection -----------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        with self._lock:
            self.disconnect()
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
            except OSError as exc:
                raise WsgConnectionError(f"cannot reach WSG-50 at {self.host}:{self.port}: {exc}") from exc
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._decoder = p.FrameDecoder()
            self._pending = []

    def disconnect(self) -> None:
        with self._lock:
            if self._sock is not None:
                try:
                    self._sock.close()
                finally:
                    self._sock = None

    # transport ------------------------------------------------------------
    def _fail(self, message: str, exc: Exception | None = None) -> WsgConnectionError:
        self.disconnect()
        err = WsgConnectionError(message)
        if exc is not None:
            err.__cause__ = exc
        return err

    def _read_frame(self, command: int, deadline: float) -> p.Frame:
        while True:
            for i, frame in enumerate(self._pending):
                if frame.command == command:
                    return self._pending.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(f"WSG-50 did not answer command 0x{command:02x} in time")
            assert self._sock is not None
            self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(4096)
            except TimeoutError as exc:
                raise self._fail(f"WSG-50 did not answer command 0x{command:02x} in time", exc) from exc
            except OSError as exc:
                raise self._fail(f"WSG-50 connection lost: {exc}", exc) from exc
            if not data:
                raise self._fail("WSG-50 closed the connection")
            try:
                self._pending.extend(self._decoder.feed(data))
            except p.ProtocolError as exc:
                raise self._fail(f"WSG-50 sent a corrupt frame: {exc}", exc) from exc

    def request(self, command: int, payload: bytes = b"", motion: bool = False) -> p.Frame:
        """Send one command and return its final reply; raise WsgError on a bad status."""
        with self._lock:
            if self._sock is None:
                raise WsgConnectionError("not connected to the WSG-50")
            try:
                self._sock.sendall(p.encode(command, payload))
            except OSError as exc:
                raise self._fail(f"WSG-50 connection lost while sending: {exc}", exc) from exc
            deadline = time.monotonic() + self.timeout_s
            reply = self._read_frame(command, deadline)
            if reply.status == p.Status.CMD_PENDING:
                deadline = time.monotonic() + (self.motion_timeout_s if motion else self.timeout_s)
                reply = self._read_frame(command, deadline)
            if reply.status != p.Status.SUCCESS:
                raise WsgError(command, reply.status)
            return reply

    # commands (SI units in, SI units out) -----------------------------------
    def loop(self, data: bytes = b"ping") -> bytes:
        return self.request(p.Command.LOOP, data).params

    def home(self) -> None:
        self.request(p.Command.HOMING, p.homing_payload(0), motion=True)

    def move(self, width_m: float, speed_m_s: float) -> None:
        self.request(p.Command.PREPOSITION,
                     p.preposition_payload(width_m * 1e3, speed_m_s * 1e3), motion=True)

    def grasp(self, width_m: float, speed_m_s: float) -> None:
        self.request(p.Command.GRASP, p.motion_payload(width_m * 1e3, speed_m_s * 1e3), motion=True)

    def release(self, width_m: float, speed_m_s: float) -> None:
        self.request(p.Command.RELEASE, p.motion_payload(width_m * 1e3, speed_m_s * 1e3), motion=True)

    def stop(self) -> None:
        self.request(p.Command.STOP)

    def fast_stop(self) -> None:
        self.request(p.Command.FAST_STOP)

    def acknowledge_fault(self) -> None:
        self.request(p.Command.ACK_FAULT, b"ack")

    def set_force_limit(self, force_n: float) -> None:
        self.request(p.Command.SET_FORCE_LIMIT, p.float_payload(force_n))

    def get_force_limit(self) -> float:
        return p.parse_float(self.request(p.Command.GET_FORCE_LIMIT).params)

    def set_acceleration(self, accel_m_s2: float) -> None:
        self.request(p.Command.SET_ACCELERATION, p.float_payload(accel_m_s2 * 1e3))

    def get_acceleration(self) -> float:
        return p.parse_float(self.request(p.Command.GET_ACCELERATION).params) * 1e-3

    def get_width(self) -> float:
        return p.parse_float(self.request(p.Command.GET_WIDTH, p.value_request_payload()).params) * 1e-3

    def get_speed(self) -> float:
        return p.parse_float(self.request(p.Command.GET_SPEED, p.value_request_payload()).params) * 1e-3

    def get_force(self) -> float:
        return p.parse_float(self.request(p.Command.GET_FORCE, p.value_request_payload()).params)

    def system_state(self) -> int:
        return p.parse_u32(self.request(p.Command.SYSTEM_STATE, p.value_request_payload()).params)

    def grasping_state(self) -> int:
        return p.parse_u8(self.request(p.Command.GRASPING_STATE, p.value_request_payload()).params)

    def system_limits(self) -> dict[str, float]:
        params = self.request(p.Command.SYSTEM_LIMITS).params
        if len(params) < 28:
            raise p.ProtocolError("system limits reply too short")
        stroke, min_speed, max_speed, _min_acc, _max_acc, min_force, max_force = (
            struct.unpack_from("<7f", params))
        return {"stroke_m": stroke * 1e-3, "min_speed_m_s": min_speed * 1e-3,
                "max_speed_m_s": max_speed * 1e-3, "min_force_n": min_force, "max_force_n": max_force}
