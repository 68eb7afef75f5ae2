"""Shared main() body: init, spin on a multi-threaded executor, clean shutdown, never an orphan."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.signals import SignalHandlerOptions
from rclpy.task import Future

from .executor import PoolExecutor
from ..graph.lifecycle import PARENT_PID_ENV, ask_kernel_for_parent_death_signal, parent_gone

PARENT_POLL_S = 0.25
SPIN_POLL_S = 0.1  # how often the spin loop looks at the stop flags
STOP_GRACE_S = 5.0  # time request_stop gets to leave the hardware safe (SIGINT/SIGTERM from the runner)
ORPHAN_EXIT_S = 2.0  # after the parent died: the process is gone this long after noticing, whatever hangs
EXIT_JOIN_S = 2.0  # callbacks still running after shutdown get this long before the process exits anyway
# After a stop signal, a process still running this long after its stop (request_stop's grace, where it
# has one) is ended by a watchdog thread. Once seen on CI: a gel node sent SIGINT ignored it and the
# runner's SIGTERM for 11 s and was SIGKILLed: its main thread was held in C code that never returned to
# the interpreter (the teardown of rclpy and Fast DDS, or a wait in them), where no Python signal handler
# can run. The watchdog learns of the signal from the interpreter's wakeup fd, which the C-level handler
# writes whatever the main thread is doing.
TEARDOWN_S = 5.0


def watch_parent(orphaned: threading.Event, poll_s: float = PARENT_POLL_S,
                 exit_after_s: float = ORPHAN_EXIT_S) -> threading.Thread | None:
    """When started by vtg (VTG_PARENT_PID set), end this process once that parent is gone.

    The kernel's parent-death signal usually gets here first; this steady-clock watchdog is the
    portable fallback. It sets `orphaned` (the spin loop then shuts down without request_stop: the
    arm and gripper nodes are going too, so there is nobody left to command) and bounds the
    shutdown: a node whose shutdown hangs is ended exit_after_s later, so nothing outlives a dead run."""
    expected = os.environ.get(PARENT_PID_ENV)
    if not expected or not expected.isdigit():
        return None
    ask_kernel_for_parent_death_signal()
    if parent_gone(int(expected)):  # the parent died before we could ask
        orphaned.set()

    def watch() -> None:
        while not orphaned.is_set() and not parent_gone(int(expected)):
            time.sleep(poll_s)
        orphaned.set()
        print(f"[{os.getpid()}] parent {expected} is gone: shutting down", file=sys.stderr, flush=True)
        time.sleep(exit_after_s)
        os._exit(1)

    thread = threading.Thread(target=watch, name="parent-watchdog", daemon=True)
    thread.start()
    return thread


def _install_stop_handlers(signals: list, orphaned: threading.Event) -> None:
    """SIGINT/SIGTERM only set a flag (rclpy's handlers would shut the context down at once). A second
    signal restores the default action and re-raises it: a node whose safe stop hangs can still be ended.
    A SIGTERM that comes with the parent gone is the kernel's parent-death signal: the process is an
    orphan from that moment (no safe-stop grace: the nodes it would command are going too)."""
    expected = os.environ.get(PARENT_PID_ENV, "")

    def handler(number, _frame) -> None:
        if expected.isdigit() and parent_gone(int(expected)):
            orphaned.set()
        signals.append(number)
        if len(signals) >= 2:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


def run_node(node_cls, args=None) -> int:
    """Spin node_cls until SIGINT/SIGTERM, its `finished` future, or its parent's death; then stop it safely.

    On SIGINT/SIGTERM a node with request_stop(timeout_s) gets to finish what the hardware needs (the
    executive opens the gripper and holds the arm) while the executor still serves its callbacks.
    The process always exits: worker threads still blocked after shutdown do not keep it alive."""
    rclpy.init(args=args if args is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO)
    signals: list[int] = []
    orphaned = threading.Event()
    _install_stop_handlers(signals, orphaned)
    watch_parent(orphaned)
    node = executor = None
    safe = threading.Event()  # on_shutdown has left the hardware safe
    try:
        node = node_cls()
        _watch_stop(TEARDOWN_S + (STOP_GRACE_S + 1.0 if hasattr(node, "request_stop") else 0.0), safe)
        executor = PoolExecutor(num_threads=4)
        executor.add_node(node)
        # A node that can be done with its job (the bag player at the end of a bag) completes its
        # `finished` future.
        finished = getattr(node, "finished", None)
        done = finished.done if isinstance(finished, Future) else (lambda: False)
        while rclpy.ok() and not signals and not done() and not orphaned.is_set():
            executor.spin_once(timeout_sec=SPIN_POLL_S)
        request_stop = getattr(node, "request_stop", None)
        if signals and not orphaned.is_set() and request_stop is not None and rclpy.ok():
            stopper = threading.Thread(target=request_stop, args=(STOP_GRACE_S,), name="request-stop", daemon=True)
            stopper.start()
            deadline = time.monotonic() + STOP_GRACE_S + 1.0
            while stopper.is_alive() and rclpy.ok() and not orphaned.is_set() and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=SPIN_POLL_S)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()  # leave the hardware safe before the node goes away
            safe.set()
            node.destroy_node()
        if executor is not None:
            executor.shutdown(timeout_sec=EXIT_JOIN_S)
        if rclpy.ok():
            rclpy.try_shutdown()
    _exit_even_if_threads_hang()
    return 0


def _watch_stop(bound_s: float, safe: threading.Event) -> None:
    """From the first stop signal on, give the process bound_s to end; then end it (exit 0 when the
    hardware had been left safe and only the teardown hung, 1 when not), saying so on stderr."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)

    def expire() -> None:
        os.read(read_end, 1)  # a signal arrived
        time.sleep(bound_s)
        where = "teardown (node, executor, middleware)" if safe.is_set() else "stop (before the hardware was left safe)"
        print(f"[{os.getpid()}] {where} still running {bound_s:.0f} s after the stop signal: exiting without it",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(0 if safe.is_set() else 1)

    threading.Thread(target=expire, name="stop-watchdog", daemon=True).start()


def _exit_even_if_threads_hang() -> None:
    # Interpreter exit joins every non-daemon thread (the executor's workers among them); one still
    # blocked in a callback would keep an orphan alive.
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
