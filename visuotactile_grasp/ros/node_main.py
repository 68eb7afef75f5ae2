"""Shared main() body: init, spin on a multi-threaded executor, clean shutdown, never an orphan."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.task import Future

from ..graph.lifecycle import PARENT_PID_ENV, parent_gone

PARENT_POLL_S = 0.25
SHUTDOWN_GRACE_S = 3.0  # after the parent died: time for on_shutdown to leave the hardware safe


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
        os.kill(os.getpid(), signal.SIGTERM)  # rclpy's handler: a clean shutdown, on_shutdown included
        time.sleep(grace_s)
        os._exit(1)

    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def run_node(node_cls, args=None) -> int:
    rclpy.init(args=args if args is not None else sys.argv)
    watch_parent()
    node = None
    try:
        node = node_cls()
        executor = MultiThreadedExecutor(num_threads=4)
        executor.add_node(node)
        # A node that can be done with its job (the bag player at the end of a bag) completes its
        # `finished` future. Spin blocking, as spin() does: polling with a timeout rebuilt the wait
        # set ten times a second, and a Ctrl-C landing mid-rebuild ended the process with an error.
        finished = getattr(node, "finished", None)
        if isinstance(finished, Future):
            executor.spin_until_future_complete(finished)
        else:
            executor.spin()
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
