"""Shared main() body: init, spin on a multi-threaded executor, clean shutdown, never an orphan."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.signals import SignalHandlerOptions
from rclpy.task import Future

from ..graph.lifecycle import PARENT_PID_ENV, parent_gone

PARENT_POLL_S = 0.25
SHUTDOWN_GRACE_S = 3.0  # after the parent died: time for on_shutdown to leave the hardware safe
SPIN_POLL_S = 0.1  # how often the spin loop looks at the stop flag
STOP_GRACE_S = 5.0  # time request_stop gets to leave the hardware safe


def watch_parent(poll_s: float = PARENT_POLL_S, grace_s: float = SHUTDOWN_GRACE_S) -> threading.Thread | None:
    """When started by vtg (VTG_PARENT_PID set), end this process once that parent is gone.

    The kernel's parent-death signal (graph/lifecycle.die_with_parent) usually gets here first;
    this steady-clock watchdog is the portable fallback, and it bounds the shutdown: a node whose
    clean shutdown hangs is ended grace_s later, so nothing outlives a dead run."""
    expected = os.environ.get(PARENT_PID_ENV)
    if not expected or not expected.isdigit():
        return None

    def watch() -> None:
        while not parent_gone(int(expected)):
            time.sleep(poll_s)
        print(f"[{os.getpid()}] parent {expected} is gone: shutting down", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # run_node's handler: a clean shutdown, on_shutdown included
        time.sleep(grace_s)
        os._exit(1)

    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def run_node(node_cls, args=None) -> int:
    """Spin node_cls until SIGINT/SIGTERM (or its `finished` future), then stop it safely.

    Signals only set a flag here (rclpy's own handlers would shut the context down at once):
    a node with request_stop(timeout_s) gets to finish what the hardware needs (the executive
    opens the gripper and holds the arm) while the executor still serves its callbacks. A second
    signal skips that."""
    rclpy.init(args=args if args is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    signals = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: signals.append(number))
    watch_parent()
    node = None
    try:
        node = node_cls()
        executor = MultiThreadedExecutor(num_threads=4)
        executor.add_node(node)
        # A node that can be done with its job (the bag player at the end of a bag) completes its
        # `finished` future.
        finished = getattr(node, "finished", None)
        done = finished.done if isinstance(finished, Future) else (lambda: False)
        while rclpy.ok() and not signals and not done():
            executor.spin_once(timeout_sec=SPIN_POLL_S)
        request_stop = getattr(node, "request_stop", None)
        if signals and request_stop is not None and rclpy.ok():
            stopper = threading.Thread(target=request_stop, args=(STOP_GRACE_S,), name="request-stop", daemon=True)
            stopper.start()
            deadline = time.monotonic() + STOP_GRACE_S + 1.0
            while stopper.is_alive() and len(signals) < 2 and rclpy.ok() and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=SPIN_POLL_S)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()  # leave the hardware safe before the node goes away
            node.destroy_node()
        if rclpy.ok():
            rclpy.try_shutdown()
    return 0
