"""Weiss Robotics WSG-50 parallel gripper: binary TCP protocol, client and emulator."""
