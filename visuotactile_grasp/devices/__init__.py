"""Hardware abstraction: one folder per device, each a pure-Python device interface.

Every device follows the same shape (connect / observe / act / disconnect) so a
ROS node can drive the real hardware or the simulator through one interface.
"""
