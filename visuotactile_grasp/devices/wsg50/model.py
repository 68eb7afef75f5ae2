"""Gripper models that the WSG-50 emulator serves: the mechanics behind the protocol.

The emulator only speaks bytes; a model says where the fingers are. This module
holds the interface and a self-contained model that moves in wall-clock time
(for protocol tests); the simulator's model, driven by its own physics, is sim/gripper.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .protocol import GraspingState, Status, SystemStateBit


@dataclass
class GripperLimits:
    """The WSG-50's hardware limits (datasheet): the one definition."""

    stroke_m: float = 0.110
    min_speed_m_s: float = 0.005
    max_speed_m_s: float = 0.420
    min_accel_m_s2: float = 0.1
    max_accel_m_s2: float = 5.0
    min_force_n: float = 5.0
    max_force_n: float = 80.0


# N: the grip forces the hardware can apply. The driver node clamps every command into it; not the
# range the data is collected in and the planner commands (planning/action_space.GRIP_FORCE_RANGE).
WSG50_FORCE_RANGE = (GripperLimits.min_force_n, GripperLimits.max_force_n)
# m: fully open. Every "open the fingers" (before approaching, for a regrasp, on release) opens this far.
WSG50_STROKE = GripperLimits.stroke_m


def system_state_bits(referenced: bool, moving: bool, fast_stopped: bool) -> int:
    """The WSG-50 system-state word for the flags the models track."""
    bits = SystemStateBit.MOVING if moving else SystemStateBit.TARGET_REACHED
    if referenced:
        bits |= SystemStateBit.REFERENCED
    if fast_stopped:
        bits |= SystemStateBit.FAST_STOP
    return int(bits)


def motion_grasping_state(kind: str) -> GraspingState:
    """The grasping state the gripper reports while a motion of this kind runs."""
    return {"grasp": GraspingState.GRASPING, "release": GraspingState.RELEASING}.get(kind, GraspingState.POSITIONING)


class GripperModel:
    """What the emulator needs from the mechanics. Widths in m, speeds m/s, forces N."""

    limits: GripperLimits

    def state(self) -> dict:  # width, speed, force, grasping_state, system_state
        raise NotImplementedError

    def start_motion(self, kind: str, width: float, speed: float) -> None:
        """kind: 'home', 'move', 'grasp' or 'release'."""
        raise NotImplementedError

    def motion_result(self) -> int | None:
        """None while moving, else the final WSG status code of the last motion."""
        raise NotImplementedError

    def stop(self, fast: bool = False) -> None:
        raise NotImplementedError

    def acknowledge(self) -> None:
        raise NotImplementedError

    force_limit: float
    acceleration: float


class KinematicGripperModel(GripperModel):
    """Fingers move at the commanded speed in wall-clock time; an optional part of
    known width stops a grasp (HOLDING), otherwise the grasp ends NO_PART_FOUND."""

    def __init__(self, part_width_m: float | None = 0.05, limits: GripperLimits | None = None) -> None:
        self.limits = limits or GripperLimits()
        self.part_width_m = part_width_m
        self.force_limit = 40.0
        self.acceleration = 1.0
        self._lock = threading.Lock()
        self._width = self.limits.stroke_m
        self._target = self._width
        self._speed = 0.0
        self._t0 = time.monotonic()
        self._start_width = self._width
        self._kind = "idle"
        self._result: int | None = Status.SUCCESS
        self._grasping_state = GraspingState.IDLE
        self._referenced = False
        self._fast_stopped = False

    def _advance(self) -> None:
        if self._result is not None:
            return
        travelled = self._speed * (time.monotonic() - self._t0)
        direction = 1.0 if self._target >= self._start_width else -1.0
        width = self._start_width + direction * travelled
        stop_at = self._target
        part = self.part_width_m
        if self._kind == "grasp" and part is not None and self._start_width >= part >= self._target - 0.01:
            stop_at = part
        if (direction > 0 and width >= stop_at) or (direction < 0 and width <= stop_at):
            self._width = stop_at
            if self._kind == "grasp":
                holding = part is not None and abs(stop_at - part) < 1e-9
                self._grasping_state = GraspingState.HOLDING if holding else GraspingState.NO_PART_FOUND
                self._result = Status.SUCCESS if holding else Status.COMMAND_FAILED
            else:
                self._grasping_state = GraspingState.IDLE
                self._result = Status.SUCCESS
                if self._kind == "home":
                    self._referenced = True
        else:
            self._width = width

    def state(self) -> dict:
        with self._lock:
            self._advance()
            moving = self._result is None
            holding = self._grasping_state == GraspingState.HOLDING
            return {"width": self._width, "speed": self._speed if moving else 0.0,
                    "force": self.force_limit if holding else 0.0,
                    "grasping_state": int(self._grasping_state),
                    "system_state": system_state_bits(self._referenced, moving, self._fast_stopped)}

    def start_motion(self, kind: str, width: float, speed: float) -> None:
        with self._lock:
            self._advance()
            if kind == "home":
                width, speed = self.limits.stroke_m, self.limits.max_speed_m_s / 2
            self._kind = kind
            self._start_width = self._width
            self._target = width
            self._speed = speed
            self._t0 = time.monotonic()
            self._result = None
            self._grasping_state = motion_grasping_state(kind)

    def motion_result(self) -> int | None:
        with self._lock:
            self._advance()
            return self._result

    def stop(self, fast: bool = False) -> None:
        with self._lock:
            self._advance()
            if self._result is None:
                self._result = Status.ABORTED
            self._grasping_state = GraspingState.IDLE
            if fast:
                self._fast_stopped = True

    def acknowledge(self) -> None:
        with self._lock:
            self._fast_stopped = False

    @property
    def fast_stopped(self) -> bool:
        return self._fast_stopped

