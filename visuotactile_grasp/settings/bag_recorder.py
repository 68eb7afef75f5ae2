"""What the bag_recorder node (nodes/bag_recorder_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from . import Param

PARAMS = [
    Param("output", "", "New bag folder to write (must not exist)."),
    Param("storage", "mcap", "Storage plugin: mcap or sqlite3."),
    Param("topics", [""], "Topics to record, each as 'topic|package/msg/Type'."),
]
