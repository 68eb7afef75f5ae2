"""Keep DDS on this machine, and give each run its own domain.

ROS_LOCALHOST_ONLY is ignored by this ROS version; without settings discovery
leaves through the network interface. A Fast DDS profile with shared memory
plus loopback UDP keeps traffic local and large images fast.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

from ..paths import config_dir


def localhost_profile() -> Path:
    return config_dir() / "fastdds_localhost.xml"


def localhost_env(env: dict | None = None, domain_id: int | None = None) -> dict:
    """Return a copy of env with DDS confined to loopback and a ROS domain set."""
    env = dict(os.environ if env is None else env)
    env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(localhost_profile())
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env["RMW_IMPLEMENTATION"] = env.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    if domain_id is not None:
        env["ROS_DOMAIN_ID"] = str(domain_id)
    elif "ROS_DOMAIN_ID" not in env:
        env["ROS_DOMAIN_ID"] = str(random_domain_id())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def random_domain_id() -> int:
    # 1..101 keeps Fast DDS ports inside the valid range for participant ids used here.
    return random.randint(1, 101)


def apply_localhost_env(domain_id: int | None = None) -> None:
    """Set the variables in this process (before rclpy.init)."""
    os.environ.update(localhost_env(domain_id=domain_id))
