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

# A decision uses the first input stamped after a given moment (planning/decision_inputs.py): the
# planner's inputs must not be overwritten in its queue while it plans or a bag plays as fast as it
# can. Deep enough for a few seconds of every stream; the callbacks only store the message.
DECISION_IMAGE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
DECISION_POSE = QoSProfile(depth=300, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
PLAYBACK = QoSProfile(depth=300, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)

# The planner's answers: a reader whose match with the planner's writer completes just after an
# answer was written (discovery under load) still gets it. Answers are keyed by their request, so
# an older one a new reader receives is simply not claimed.
ANSWERS = QoSProfile(depth=16, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     history=HistoryPolicy.KEEP_LAST)

# Plan requests: a writer may match the planner's reader before that reader has matched the writer
# (discovery is not symmetric; seen under load), and a volatile reader drops what comes from a writer
# it does not know yet: a request sent once was then never answered. Kept in the writer's history, it
# reaches the reader when its match completes. Shallow: one request is outstanding at a time. A planner
# that restarts gets the last few requests again and answers each (a second answer to an old request, which
# nobody claims: answers are keyed by request), delaying the live one by as many plans. Readers that are
# volatile (the bag recorder, outside tools) still match but can miss a request sent before they matched;
# a volatile writer (an outside tool) does not match the planner's reader at all.
REQUESTS = QoSProfile(depth=4, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                      history=HistoryPolicy.KEEP_LAST)

# Slow-changing state a late joiner needs (the cylinder fit, camera_info, backgrounds).
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL, history=HistoryPolicy.KEEP_LAST)
