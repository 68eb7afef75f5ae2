"""Rethink Sawyer arm: workspace limits and goal checking (the ROS node commands it)."""
