"""The executor every node spins: rclpy's MultiThreadedExecutor, less its re-submission loop.

rclpy 9 (Kilted) yields a callback task that has been handed to the thread pool but not yet started
again on every turn of its loop, and hands it to the pool again (fixed upstream on rclpy rolling,
commit 9695271e / ros2/rclpy#1547). When the pool threads are slow to start (a loaded machine, or a
node whose own threads hold the GIL, like the simulator's physics), the spinning thread re-submits the
same task thousands of times a second, holds the GIL, and starves the very threads it waits for:
measured in the simulated cell, 6,000 queued duplicates and physics steps taking 1-5 s each, so the
arm tests timed out on CI. Here each task is handed over once per run; while it waits for a pool
thread, the spinning thread lets go of the GIL instead of spinning.
"""
from __future__ import annotations

import time

from rclpy.executors import (ConditionReachedException, ExternalShutdownException, MultiThreadedExecutor,
                             ShutdownException, TimeoutException)

# how long the spinning thread steps aside when the task it was given is already queued (s)
QUEUED_BACKOFF_S = 0.0005


class PoolExecutor(MultiThreadedExecutor):
    def __init__(self, num_threads: int, *, context=None) -> None:
        super().__init__(num_threads=num_threads, context=context)
        self._queued: set = set()  # tasks handed to the pool whose run has not finished yet
        self.resubmissions_avoided = 0

    def _run_ended(self, task) -> None:
        self._queued.discard(task)
        # a coroutine task skipped while queued must be looked at again now, not at some later event
        try:
            self._guard.trigger()
        except Exception:  # noqa: BLE001 - the executor is shutting down: nothing to wake
            pass

    def _spin_once_impl(self, timeout_sec=None, wait_condition=lambda: False) -> None:
        try:
            handler, _entity, _node = self.wait_for_ready_callbacks(timeout_sec, None, wait_condition)
        except (ExternalShutdownException, ShutdownException, TimeoutException, ConditionReachedException):
            return
        if handler in self._queued:
            self.resubmissions_avoided += 1
            time.sleep(QUEUED_BACKOFF_S)
            return
        self._queued.add(handler)
        # a coroutine task that awaits something is run again later: it may be queued again after this run
        self._executor.submit(handler).add_done_callback(lambda _f, h=handler: self._run_ended(h))
        self._futures.append(handler)
        for future in self._futures[:]:
            if future.done():
                self._futures.remove(future)
                future.result()  # raise any exceptions
