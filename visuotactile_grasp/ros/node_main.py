"""Shared main() body: init, spin on a multi-threaded executor, clean shutdown."""
from __future__ import annotations

import sys

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor


def run_node(node_cls, args=None) -> int:
    rclpy.init(args=args if args is not None else sys.argv)
    node = None
    try:
        node = node_cls()
        executor = MultiThreadedExecutor(num_threads=4)
        executor.add_node(node)
        # a node that has done its job (the bag player at the end of a bag) sets `finished`
        while rclpy.ok() and not getattr(node, "finished", False):
            executor.spin_once(timeout_sec=0.1)
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
