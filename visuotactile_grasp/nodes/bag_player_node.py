"""Play a rosbag2 bag (MCAP or sqlite3) into the graph, at recorded speed or as fast as possible.

Messages are published as their raw CDR bytes with the recorded type, so any
type this installation knows can be replayed without deserialising. Topics
whose type is unknown here are skipped with a warning; a bag that cannot be
read ends the node with a clear error.
"""
from __future__ import annotations

import time
from pathlib import Path

from rclpy.node import Node
from rclpy.task import Future

from ..ros.msg_types import message_class
from ..ros.node_main import run_node
from ..ros.params import Param, declare_params

PARAMS = [
    Param("bag", "", "Path of the bag folder (with metadata.yaml) or a single .mcap/.db3 file."),
    Param("rate", 1.0, "Playback speed relative to recorded time; 0 plays as fast as possible.", (0.0, 1000.0)),
    Param("topics", [""], "Topics to play; [''] plays every topic."),
    Param("start_delay", 1.0, "Wait at least this long before playing (steady s).", (0.0, 60.0)),
    Param("subscriber_timeout", 30.0, "Wait up to this long until every played topic has a subscriber "
          "(steady s), so a slow-starting planner misses nothing.", (0.0, 600.0)),
    Param("shutdown_when_done", True, "Exit after the last message."),
    Param("sync_topics", ["/regrasp_planner/request"],
          "When playing as fast as possible, pause before each message of these topics so that what was "
          "recorded before them (the images a plan request refers to) has been delivered first."),
    Param("sync_pause", 0.3, "That pause (steady s).", (0.0, 10.0)),
]


class BagError(RuntimeError):
    pass


class BagPlayerNode(Node):
    def __init__(self) -> None:
        super().__init__("bag_player")
        self.p = declare_params(self, PARAMS)
        if not self.p.bag:
            raise BagError("parameter 'bag' is empty: give the bag to play")
        self.finished = Future()  # completed at the end of the bag: run_node then exits
        self.published = 0
        self.create_timer(0.01, self._start_once)
        self._started = False

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
                    pubs[c.topic] = self.create_publisher(cls, c.topic, 10)
                if not pubs:
                    raise BagError("nothing to play: no readable topic of a known type")
                time.sleep(self.p.start_delay)
                deadline = time.monotonic() + self.p.subscriber_timeout
                while time.monotonic() < deadline and any(p.get_subscription_count() == 0 for p in pubs.values()):
                    time.sleep(0.1)
                lonely = sorted(t for t, p in pubs.items() if p.get_subscription_count() == 0)
                if lonely:
                    self.get_logger().warning(f"playing although nobody subscribes to {lonely}")
                t_bag0 = t_wall0 = None
                sync = {t for t in self.p.sync_topics if t}
                for conn, stamp, raw in reader.messages(connections=[c for c in connections if c.topic in pubs]):
                    if self.p.rate > 0:
                        if t_bag0 is None:
                            t_bag0, t_wall0 = stamp, time.monotonic()
                        delay = (stamp - t_bag0) * 1e-9 / self.p.rate - (time.monotonic() - t_wall0)
                        if delay > 0:
                            time.sleep(delay)
                    elif conn.topic in sync:  # topics are delivered independently: let the inputs land first
                        time.sleep(self.p.sync_pause)
                    pubs[conn.topic].publish(bytes(raw))
                    self.published += 1
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
