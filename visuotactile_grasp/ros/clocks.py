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


def sim_seconds(node) -> float:
    return node.get_clock().now().nanoseconds * 1e-9
