"""Thin helpers shared by the nodes: parameters, QoS, image conversion, DDS setup.

Everything ROS-specific that is not a node lives here; the pure cores never
import this package.
"""
