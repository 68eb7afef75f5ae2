"""Every test run keeps DDS on loopback and gets its own ROS domain."""
import os
import random

import pytest

from visuotactile_grasp.ros.dds import localhost_env

# Before anything imports rclpy: loopback-only DDS, a domain of our own.
os.environ.update(localhost_env(domain_id=random.SystemRandom().randint(1, 101)))


@pytest.fixture
def ros_env():
    return dict(os.environ)
