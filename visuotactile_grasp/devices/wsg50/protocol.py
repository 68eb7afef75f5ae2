"""WSG-50 binary command set: framing, checksum, command ids and status codes.

Frame layout (all numbers little-endian, floats f32):
    AA AA AA | command id u8 | payload length u16 | payload | CRC-16 u16
The checksum covers everything from the preamble to the end of the payload; a
whole received frame including its checksum sums to 0. Replies echo the command
id and their payload starts with a u16 status code.
"""
from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

PREAMBLE = b"\xaa\xaa\xaa"
HEADER_SIZE = 6  # preamble + id + length
MAX_PAYLOAD = 4096  # far above any reply of the command set; guards bad lengths
FACTORY_HOST, FACTORY_PORT = "192.168.1.20", 1000  # where a WSG-50 listens out of the box


def _build_crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
        table.append(c & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _build_crc_table()


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """Weiss's CRC-16: the 0x1021 table applied reflected-style, seed 0xFFFF, no final xor."""
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


class Command(enum.IntEnum):
    LOOP = 0x06
    DISCONNECT = 0x07
    HOMING = 0x20
    PREPOSITION = 0x21
    STOP = 0x22
    FAST_STOP = 0x23
    ACK_FAULT = 0x24
    GRASP = 0x25
    RELEASE = 0x26
    SET_ACCELERATION = 0x30
    GET_ACCELERATION = 0x31
    SET_FORCE_LIMIT = 0x32
    GET_FORCE_LIMIT = 0x33
    SYSTEM_STATE = 0x40
    GRASPING_STATE = 0x41
    GET_WIDTH = 0x43
    GET_SPEED = 0x44
    GET_FORCE = 0x45
    SYSTEM_LIMITS = 0x53


class Status(enum.IntEnum):
    SUCCESS = 0
    TIMEOUT = 7
    CHECKSUM_ERROR = 11
    UNKNOWN_COMMAND = 14
    COMMAND_FAILED = 18
    ABORTED = 19
    INVALID_PARAMETER = 24
    CMD_PENDING = 26
    RANGE_ERROR = 28
    AXIS_BLOCKED = 29


class GraspingState(enum.IntEnum):
    IDLE = 0
    GRASPING = 1
    NO_PART_FOUND = 2
    PART_LOST = 3
    HOLDING = 4
    RELEASING = 5
    POSITIONING = 6
    ERROR = 7


class SystemStateBit(enum.IntFlag):
    REFERENCED = 1 << 0
    MOVING = 1 << 1
    AXIS_STOPPED = 1 << 6
    TARGET_REACHED = 1 << 7
    FAST_STOP = 1 << 12
    TEMP_WARNING = 1 << 13
    TEMP_ERROR = 1 << 14
    POWER_ERROR = 1 << 15
    FINGER_FAULT = 1 << 17
    COMMAND_ERROR = 1 << 18


class ProtocolError(Exception):
    """A frame that cannot be decoded (bad checksum, bad length, bad preamble)."""


@dataclass(frozen=True)
class Frame:
    command: int
    payload: bytes

    @property
    def status(self) -> int:
        """Status code of a reply frame."""
        if len(self.payload) < 2:
            raise ProtocolError(f"reply to 0x{self.command:02x} has no status code")
        return struct.unpack_from("<H", self.payload)[0]

    @property
    def params(self) -> bytes:
        """Reply payload after the status code."""
        return self.payload[2:]


def encode(command: int, payload: bytes = b"") -> bytes:
    if not 0 <= command <= 0xFF:
        raise ValueError(f"command id {command} out of range")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = PREAMBLE + struct.pack("<BH", command, len(payload)) + payload
    return body + struct.pack("<H", crc16(body))


def encode_reply(command: int, status: int, params: bytes = b"") -> bytes:
    return encode(command, struct.pack("<H", status) + params)


class FrameDecoder:
    """Incremental decoder: feed bytes as they arrive from the socket, get frames out.

    Garbage before a preamble is skipped (as after a reconnect mid-frame); a frame
    with a bad checksum raises ProtocolError after being consumed, so the stream
    stays in sync.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer.extend(data)
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self) -> Frame | None:
        start = self._buffer.find(PREAMBLE)
        if start < 0:
            # keep a possible partial preamble at the end
            del self._buffer[: max(0, len(self._buffer) - 2)]
            return None
        del self._buffer[:start]
        if len(self._buffer) < HEADER_SIZE:
            return None
        command, length = struct.unpack_from("<BH", self._buffer, 3)
        if length > MAX_PAYLOAD:
            del self._buffer[:3]
            raise ProtocolError(f"frame 0x{command:02x} announces {length} payload bytes")
        total = HEADER_SIZE + length + 2
        if len(self._buffer) < total:
            return None
        raw = bytes(self._buffer[:total])
        del self._buffer[:total]
        if crc16(raw) != 0:
            raise ProtocolError(f"checksum mismatch in frame 0x{command:02x}")
        return Frame(command, raw[HEADER_SIZE : HEADER_SIZE + length])


# Payload builders (widths in mm, speeds in mm/s, forces in N, as the gripper wants).

def homing_payload(direction: int = 0) -> bytes:
    return struct.pack("<B", direction)


def motion_payload(width_mm: float, speed_mm_s: float) -> bytes:
    return struct.pack("<ff", width_mm, speed_mm_s)


def preposition_payload(width_mm: float, speed_mm_s: float, stop_on_block: bool = True) -> bytes:
    flags = 0x00 if stop_on_block else 0x02  # D1: clamp-on-block off
    return struct.pack("<B", flags) + motion_payload(width_mm, speed_mm_s)


def float_payload(value: float) -> bytes:
    return struct.pack("<f", value)


def value_request_payload(auto_update: bool = False, period_ms: int = 0) -> bytes:
    return struct.pack("<BH", 1 if auto_update else 0, period_ms)


def parse_float(params: bytes) -> float:
    if len(params) < 4:
        raise ProtocolError("reply too short for a float value")
    return struct.unpack_from("<f", params)[0]


def parse_u32(params: bytes) -> int:
    if len(params) < 4:
        raise ProtocolError("reply too short for a u32 value")
    return struct.unpack_from("<I", params)[0]


def parse_u8(params: bytes) -> int:
    if len(params) < 1:
        raise ProtocolError("reply too short for a u8 value")
    return params[0]
