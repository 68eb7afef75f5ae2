"""QoS profiles: sensor data best-effort for cameras, reliable for commands and results."""
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)

# Camera streams: a late frame is worthless, never block the publisher.
SENSOR = qos_profile_sensor_data

# Large images between processes on this machine: best effort over UDP loses
# most 1 MB frames, so keep images reliable with a shallow queue (latest wins).
IMAGE = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)

# Commands, goals and outcomes: every message matters.
RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)

# Slow-changing state a late joiner needs (the cylinder fit, camera_info, backgrounds).
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL, history=HistoryPolicy.KEEP_LAST)
