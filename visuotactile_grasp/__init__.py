"""visuotactile_grasp: learning to grasp and regrasp from vision and touch (ROS 2)."""

__version__ = "0.1.0"
PACKAGE_NAME = "visuotactile_grasp"
