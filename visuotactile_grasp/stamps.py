"""Message stamps as numbers and keys; no ROS import, so rclpy messages and rosbags' both fit."""
from __future__ import annotations


def stamp_seconds(stamp) -> float:
    """builtin_interfaces/Time -> seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def header_key(header) -> tuple[int, int, str]:
    """What ties a GraspGoal to its plan request: the request's header, copied into the goal."""
    return (header.stamp.sec, header.stamp.nanosec, header.frame_id)
