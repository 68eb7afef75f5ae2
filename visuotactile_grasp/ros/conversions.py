"""geometry_msgs <-> the (x, y, z, yaw) poses the cores use."""
from __future__ import annotations

import numpy as np
from geometry_msgs.msg import Pose, PoseStamped

from ..geometry import quaternion_to_yaw, yaw_to_quaternion


def pose_to_xyzyaw(pose: Pose) -> np.ndarray:
    q = pose.orientation
    return np.array([pose.position.x, pose.position.y, pose.position.z,
                     quaternion_to_yaw(q.x, q.y, q.z, q.w)])


def xyzyaw_to_pose(v) -> Pose:
    pose = Pose()
    pose.position.x, pose.position.y, pose.position.z = float(v[0]), float(v[1]), float(v[2])
    q = yaw_to_quaternion(float(v[3]))
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = q
    return pose


def pose_stamped(v, stamp, frame_id: str = "base") -> PoseStamped:
    msg = PoseStamped()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.pose = xyzyaw_to_pose(v)
    return msg
