"""Record topics of the running graph to a rosbag2 bag (MCAP) as raw CDR, like `ros2 bag record`.

Each topic comes as "topic|package/msg/Type" (the graph definition knows every edge's type), so
recording starts at once instead of waiting for discovery. Stamps are this node's clock at
reception (sim time on the simulated cell), as rosbag2 does. The bag is closed, and an MCAP's
summary written, on shutdown.
"""
from __future__ import annotations

import threading

from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from ..bags.recorder import BagRecorder
from ..graph import interfaces
from ..ros.declared_node import DeclaredNode
from ..ros.msg_types import message_class
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.bag_recorder import PARAMS

# Deep and reliable: a recorder that drops messages under a burst makes a replay lie.
RECORD_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)



class BagRecorderNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("bag_recorder")
        self.p = declare_params(self, PARAMS)
        if not self.p.output:
            raise ValueError("parameter 'output' is empty: give the bag folder to write")
        self.recorder = BagRecorder(self.p.output, self.p.storage)
        self.lock = threading.Lock()
        recorded = [tuple(entry.partition("|")[::2]) for entry in self.p.topics if entry]
        self.declare_interface(interfaces.bag_recorder_node(recorded))
        for topic, msgtype in recorded:
            cls = message_class(msgtype)
            if cls is None:
                self.get_logger().warning(f"not recording {topic}: type {msgtype!r} unknown here")
                continue
            self.recorder.add_topic(topic, msgtype)
            self.create_subscription(cls, topic, lambda raw, t=topic: self._write(t, raw), RECORD_QOS, raw=True)
        self.get_logger().info(f"recording {len(self.recorder.connections)} topics to {self.p.output}")

    def _write(self, topic: str, raw: bytes) -> None:
        with self.lock:
            if self.recorder is not None:
                self.recorder.write(topic, self.get_clock().now().nanoseconds, raw)

    def on_shutdown(self) -> None:
        with self.lock:
            if self.recorder is not None:
                self.recorder.close()
                counts = self.recorder.counts
                self.recorder = None
                self.get_logger().info(f"bag closed: {sum(counts.values())} messages")


def main(args=None) -> int:
    return run_node(BagRecorderNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
