"""A rosbags typestore that knows ROS 2 Kilted's messages and this project's interfaces.

Our message definitions are read from the .msg files (source tree msg/, or the installed
visuotactile_grasp_msgs share folder), so a bag written here carries the same definitions that
`ros2 bag record` would embed on the robot.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

MSG_PACKAGE = "visuotactile_grasp_msgs"


def msg_dir() -> Path:
    from ..paths import share_dir

    source = share_dir() / "msg"
    if source.is_dir() and any(source.glob("*.msg")):
        return source
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory(MSG_PACKAGE)) / "msg"


@cache
def project_typestore():
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for path in sorted(msg_dir().glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{MSG_PACKAGE}/msg/{path.stem}"))
    store.register(types)
    return store
