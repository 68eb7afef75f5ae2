"""ROS 2 nodes: one per file, each a thin translation between a pure core and ROS."""
