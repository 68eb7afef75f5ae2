"""The WSG-50 model a simulated cell serves through the emulator: status bookkeeping, physics left to the cell.

The emulator (devices/wsg50/emulator.py) speaks the protocol; this class answers it from fingers
that a cell steps in simulated time. Each cell's subclass supplies the finger physics.
"""
from __future__ import annotations

from ..devices.wsg50.model import GripperLimits, GripperModel, motion_grasping_state, system_state_bits
from ..devices.wsg50.protocol import GraspingState, Status


class SimulatedGripper(GripperModel):
    """WSG-50 status bookkeeping for fingers stepped by a simulated cell (under the cell's lock).

    Subclasses provide `width` (m), `current_speed()` and the physics of each motion; they may
    adjust a motion's target in `_prepare_motion` and react to a stop in `_on_stop`.
    """

    width: float

    def __init__(self, lock) -> None:
        self.limits = GripperLimits()
        self.lock = lock
        self.force_limit = 20.0
        self.acceleration = 1.0
        self.kind = "idle"
        self.target = self.limits.stroke_m
        self.speed = 0.0
        self.result: int | None = Status.SUCCESS
        self.grasping_state = GraspingState.IDLE
        self.referenced = False
        self.fast_stopped = False

    def current_speed(self) -> float:
        raise NotImplementedError

    def _prepare_motion(self, kind: str, width: float) -> float:
        return width

    def _on_stop(self) -> None:
        pass

    def state(self) -> dict:
        with self.lock:
            holding = self.grasping_state == GraspingState.HOLDING
            return {"width": self.width, "speed": self.current_speed(),
                    "force": self.force_limit if holding else 0.0, "grasping_state": int(self.grasping_state),
                    "system_state": system_state_bits(self.referenced, self.result is None, self.fast_stopped)}

    def start_motion(self, kind: str, width: float, speed: float) -> None:
        with self.lock:
            if kind == "home":
                width, speed = self.limits.stroke_m, self.limits.max_speed_m_s / 2
            width = self._prepare_motion(kind, width)
            self.kind, self.target, self.speed, self.result = kind, width, speed, None
            self.grasping_state = motion_grasping_state(kind)

    def motion_result(self) -> int | None:
        with self.lock:
            return self.result

    def stop(self, fast: bool = False) -> None:
        with self.lock:
            if self.result is None:
                self.result = Status.ABORTED
            self._on_stop()
            self.fast_stopped = self.fast_stopped or fast

    def acknowledge(self) -> None:
        with self.lock:
            self.fast_stopped = False
