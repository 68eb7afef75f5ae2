"""Steady-clock timers and waits: watchdogs must fire even when sim time stalls."""
from __future__ import annotations

import time

from rclpy.clock import Clock, ClockType

STEADY = Clock(clock_type=ClockType.STEADY_TIME)


def steady_timer(node, period_s: float, callback, callback_group=None):
    return node.create_timer(period_s, callback, callback_group=callback_group, clock=STEADY)


def wait_for(predicate, timeout_s: float, poll_s: float = 0.005) -> bool:
    """Poll predicate until true or timeout (steady clock). Call from a worker thread only."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return bool(predicate())


def node_now(node) -> float:
    """The node's clock in seconds: sim time under use_sim_time, else the system clock."""
    return node.get_clock().now().nanoseconds * 1e-9


class ClockProgress:
    """Tells a slow clock from a stopped one: how long (steady s) the node's clock has not advanced.

    In simulation a loaded machine slows the cell down; time limits of robot motions and holds are
    therefore kept in the node's clock (sim time), and only a clock that stops altogether for a
    steady interval counts as a stall. On the robot the node's clock is the system clock, which
    always advances, and the two limits reduce to a plain time-out."""

    def __init__(self, node) -> None:
        self.node = node
        self.start = self._last = node.get_clock().now().nanoseconds
        self._last_steady = time.monotonic()

    def elapsed(self) -> float:
        """Seconds of the node's clock since construction."""
        return self._poll() * 1e-9

    def stalled_for(self) -> float:
        self._poll()
        return time.monotonic() - self._last_steady

    def _poll(self) -> int:
        now = self.node.get_clock().now().nanoseconds
        if self.start == 0 and now != 0:
            # a sim-time clock reads 0 until its first /clock message: that jump (to the simulator's
            # current time, perhaps hours) is the clock starting, not time passing
            self.start = now
        if now != self._last:
            self._last, self._last_steady = now, time.monotonic()
        return now - self.start


def wait_for_clock(node, predicate, timeout_s: float, stall_s: float = 10.0, poll_s: float = 0.005) -> bool:
    """Poll predicate until true, timeout_s of the node's clock, or a clock stalled for stall_s steady s.

    Call from a worker thread only."""
    progress = ClockProgress(node)
    while progress.elapsed() < timeout_s and progress.stalled_for() < stall_s:
        if predicate():
            return True
        time.sleep(poll_s)
    return bool(predicate())
