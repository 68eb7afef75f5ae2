"""Every test run keeps DDS on loopback and gets its own ROS domain."""
import os

import pytest

from visuotactile_grasp.graph.lifecycle import reserve_domain
from visuotactile_grasp.ros.dds import localhost_env

# Before anything imports rclpy: loopback-only DDS, a domain of our own. Reserved like a vtg run's
# (no other run on the machine gets it), then shared, so the graphs a test starts on it may join.
_DOMAIN, _DOMAIN_LOCK = reserve_domain()
_DOMAIN_LOCK.share()
os.environ.update(localhost_env(domain_id=_DOMAIN))


@pytest.fixture
def ros_env():
    return dict(os.environ)
