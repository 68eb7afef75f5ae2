"""Look up rclpy message classes by their ROS type name."""
from __future__ import annotations

import importlib


def message_class(type_name: str):
    """Class for 'pkg/msg/Type' (or 'pkg/Type'), or None if not installed here."""
    parts = type_name.split("/")
    if len(parts) == 2:
        parts = [parts[0], "msg", parts[1]]
    if len(parts) != 3 or not all(parts):
        return None
    try:
        return getattr(importlib.import_module(f"{parts[0]}.{parts[1]}"), parts[2])
    except (ImportError, AttributeError):
        return None
