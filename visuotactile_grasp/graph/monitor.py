"""Watch a running graph: which nodes are up, how many messages crossed each edge, and whether each
node has only the endpoints its executable declares (graph/interfaces.py)."""
from __future__ import annotations

import time

from rclpy.node import Node, NodeNameNonExistentError
from rclpy.qos import QoSProfile, ReliabilityPolicy

from ..ros.msg_types import message_class
from .interfaces import undeclared
from .spec import Graph


class GraphMonitor(Node):
    def __init__(self, graph: Graph) -> None:
        super().__init__("vtg_graph_monitor")
        self.graph = graph
        self.counts: dict[str, int] = {}
        self.first_wall: dict[str, float] = {}
        # best effort matches every publisher's reliability; one message per edge is all we need
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
        for topic, msg_type, _, _ in graph.edges():
            cls = message_class(msg_type)
            if cls is None:
                raise RuntimeError(f"edge {topic}: message type {msg_type} is not installed")
            self.counts[topic] = 0
            self.create_subscription(cls, topic, lambda _m, t=topic: self._count(t), qos, raw=True)

    def _count(self, topic: str) -> None:
        self.counts[topic] += 1
        self.first_wall.setdefault(topic, time.monotonic())

    def nodes_up(self) -> dict[str, bool]:
        names = {name for name, _ns in self.get_node_names_and_namespaces()}
        return {spec.name: spec.name in names for spec in self.graph.nodes}

    def undeclared(self) -> dict[str, list[str]]:
        """node -> the endpoints it has on the running graph that its declaration lacks (nodes up only)."""
        found = {}
        for spec in self.graph.nodes:
            try:
                lacking = undeclared(spec.interface, f"/{spec.name}", self._endpoints(spec.name))
            except NodeNameNonExistentError:
                continue
            if lacking:
                found[spec.name] = lacking
        return found

    def _endpoints(self, name: str) -> list[tuple[str, str, str]]:
        queries = {"publisher": self.get_publisher_names_and_types_by_node,
                   "subscription": self.get_subscriber_names_and_types_by_node,
                   "service": self.get_service_names_and_types_by_node,
                   "client": self.get_client_names_and_types_by_node}
        return [(kind, topic, type_name) for kind, query in queries.items()
                for topic, types in query(name, "/") for type_name in types]

    def silent_edges(self) -> list[str]:
        return [t for t, n in self.counts.items() if n == 0]

    def report(self) -> str:
        up = self.nodes_up()
        lines = [f"nodes ({sum(up.values())}/{len(up)} up):"]
        lines += [f"  {'up  ' if ok else 'DOWN'} {name}" for name, ok in up.items()]
        lines.append(f"edges ({len(self.counts) - len(self.silent_edges())}/{len(self.counts)} carried messages):")
        for topic, msg_type, pubs, subs in self.graph.edges():
            n = self.counts[topic]
            lines.append(f"  {n:6d} msgs  {topic}  [{msg_type.split('/')[-1]}]  {','.join(pubs)} -> {','.join(subs)}")
        lacking = self.undeclared()
        lines.append("endpoints: " + ("each node's as declared" if not lacking else
                                      "NOT DECLARED in graph/interfaces.py:"))
        lines += [f"  {name}: {endpoint}" for name, endpoints in lacking.items() for endpoint in endpoints]
        return "\n".join(lines)
