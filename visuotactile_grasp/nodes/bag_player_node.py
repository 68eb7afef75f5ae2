"""Play a rosbag2 bag (MCAP or sqlite3) into the graph, at recorded speed or as fast as possible.

Messages are published as their raw CDR bytes with the recorded type, so any
type this installation knows can be replayed without deserialising. Topics
whose type is unknown here are skipped with a warning; a bag that cannot be
read ends the node with a clear error.

Plan requests are a handshake, not a race: each request names the inputs it
needs by stamp and the planner answers every request once (a plan, or
"inputs missing"). Once the bag has played decision_window past a request's
inputs_after (and before the next request, and at the end of the bag), the
player waits for that answer, so a fast replay never outruns the planner nor
crowds a decision's inputs out of its queues.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.serialization import deserialize_message
from rclpy.task import Future
from visuotactile_grasp_msgs.msg import GraspGoal, PlanRequest

from .. import topics
from ..graph import interfaces
from ..ros import qos
from ..ros.declared_node import DeclaredNode
from ..ros.clocks import wait_for
from ..stamps import header_key, stamp_seconds

from ..ros.msg_types import message_class
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.bag_player import PARAMS



PLAN_REQUEST_TYPE = "visuotactile_grasp_msgs/msg/PlanRequest"


class BagError(RuntimeError):
    pass


class BagPlayerNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("bag_player", interfaces.bag_player_node())
        self.p = declare_params(self, PARAMS)
        if not self.p.bag:
            raise BagError("parameter 'bag' is empty: give the bag to play")
        self.finished = Future()  # completed at the end of the bag: run_node then exits
        self.published = 0
        self.answered: set = set()  # header keys of plan requests the planner has answered
        self._answers_lock = threading.Lock()
        self.create_subscription(GraspGoal, topics.GRASP_GOAL, self._on_answer, qos.ANSWERS,
                                 callback_group=MutuallyExclusiveCallbackGroup())  # served while play() blocks
        self.create_timer(0.01, self._start_once)
        self._started = False
        self._stop = threading.Event()  # request_stop (SIGINT/SIGTERM): leave the bag where it is

    def _start_once(self) -> None:
        if self._started:
            return
        self._started = True
        try:
            self.play()
        except BagError as exc:
            self.get_logger().error(str(exc))
        finally:
            if self.p.shutdown_when_done:
                self.finished.set_result(True)

    def request_stop(self, timeout_s: float) -> None:
        self._stop.set()

    def _on_answer(self, goal: GraspGoal) -> None:
        with self._answers_lock:
            self.answered.add(header_key(goal.header))

    def _await_answer(self, key) -> None:
        if key is None:
            return
        if not wait_for(lambda: key in self.answered or self._stop.is_set(), self.p.answer_timeout, poll_s=0.002):
            self.get_logger().warning(f"no planner answer to the plan request {key} within "
                                      f"{self.p.answer_timeout} s; playing on")

    def play(self) -> None:
        from rosbags.highlevel import AnyReader, AnyReaderError

        path = Path(self.p.bag)
        if not path.exists():
            raise BagError(f"bag {path} does not exist")
        wanted = {t for t in self.p.topics if t}
        try:
            with AnyReader([path]) as reader:
                connections = [c for c in reader.connections if not wanted or c.topic in wanted]
                missing = wanted - {c.topic for c in connections}
                if missing:
                    self.get_logger().warning(f"bag has no topics {sorted(missing)}")
                pubs = {}
                for c in connections:
                    cls = message_class(c.msgtype)
                    if cls is None:
                        self.get_logger().warning(f"skipping {c.topic}: type {c.msgtype} unknown here")
                        continue
                    # requests as the executive sends them (the planner wants them kept); the rest: nothing overwritten
                    profile = qos.REQUESTS if c.topic == topics.PLAN_REQUEST else qos.PLAYBACK
                    pubs[c.topic] = self.create_publisher(cls, c.topic, profile)
                if not pubs:
                    raise BagError("nothing to play: no readable topic of a known type")
                time.sleep(self.p.start_delay)
                wanted_subs = {t: self.p.request_subscribers if t == topics.PLAN_REQUEST else 1 for t in pubs}
                plans = topics.PLAN_REQUEST in pubs

                def ready() -> bool:  # every subscriber there, and (with requests) the planner's answers reach us
                    return all(p.get_subscription_count() >= wanted_subs[t] for t, p in pubs.items()) and \
                        (not plans or self.count_publishers(topics.GRASP_GOAL) > 0) or self._stop.is_set()
                wait_for(ready, self.p.subscriber_timeout, poll_s=0.02)
                if plans and (pubs[topics.PLAN_REQUEST].get_subscription_count() < wanted_subs[topics.PLAN_REQUEST]
                              or self.count_publishers(topics.GRASP_GOAL) == 0):
                    raise BagError(f"no planner to answer the bag's plan requests after {self.p.subscriber_timeout} s "
                                   f"(request subscribers {pubs[topics.PLAN_REQUEST].get_subscription_count()} of "
                                   f"{wanted_subs[topics.PLAN_REQUEST]}, answer publishers "
                                   f"{self.count_publishers(topics.GRASP_GOAL)})")
                lonely = sorted(t for t, p in pubs.items() if p.get_subscription_count() == 0)
                if lonely:
                    self.get_logger().warning(f"playing although nobody subscribes to {lonely}")
                t_bag0 = t_wall0 = None
                awaiting = None  # the last plan request played, until the planner answers it
                awaiting_until = 0  # recorded time (ns) up to which its inputs are played before waiting
                for conn, stamp, raw in reader.messages(connections=[c for c in connections if c.topic in pubs]):
                    if self._stop.is_set():
                        break
                    if self.p.rate > 0:
                        if t_bag0 is None:
                            t_bag0, t_wall0 = stamp, time.monotonic()
                        delay = (stamp - t_bag0) * 1e-9 / self.p.rate - (time.monotonic() - t_wall0)
                        if delay > 0:
                            self._stop.wait(delay)  # paced by the bag's clock, ends early on a stop
                    if awaiting is not None and stamp > awaiting_until:
                        self._await_answer(awaiting)  # its inputs are out: nothing later until it is answered
                        awaiting = None
                    if conn.topic == topics.PLAN_REQUEST and conn.msgtype == PLAN_REQUEST_TYPE:
                        self._await_answer(awaiting)  # one decision at a time, whatever the rate
                        request = deserialize_message(bytes(raw), PlanRequest)
                        awaiting = header_key(request.header)
                        # the inputs_after offset in the bag's own time base (log times need not be stamps)
                        settle = max(0.0, stamp_seconds(request.inputs_after) - stamp_seconds(request.header.stamp))
                        awaiting_until = stamp + int((settle + self.p.decision_window) * 1e9)
                    pubs[conn.topic].publish(bytes(raw))
                    self.published += 1
                self._await_answer(awaiting)
        except AnyReaderError as exc:
            raise BagError(f"cannot read bag {path}: {exc}") from exc
        except Exception as exc:  # rosbags raises many kinds for damaged files
            if isinstance(exc, BagError):
                raise
            raise BagError(f"cannot read bag {path}: {type(exc).__name__}: {exc}") from exc
        self.get_logger().info(f"played {self.published} messages from {path}")


def main(args=None) -> int:
    return run_node(BagPlayerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
