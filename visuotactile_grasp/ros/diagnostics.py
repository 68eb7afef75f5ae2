"""Publish one node's health on /diagnostics (diagnostic_msgs), as robot tooling expects."""
from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from .. import topics

OK, WARN, ERROR, STALE = (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR,
                          DiagnosticStatus.STALE)


class Diagnostics:
    def __init__(self, node, name: str, hardware_id: str = "") -> None:
        self.node, self.name, self.hardware_id = node, name, hardware_id
        self.pub = node.create_publisher(DiagnosticArray, topics.DIAGNOSTICS, 10)

    def publish(self, level: bytes, message: str, **values) -> None:
        status = DiagnosticStatus(level=level, name=self.name, message=message,
                                  hardware_id=self.hardware_id)
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        array = DiagnosticArray()
        array.header.stamp = self.node.get_clock().now().to_msg()
        array.status = [status]
        self.pub.publish(array)
