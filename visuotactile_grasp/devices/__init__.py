"""Device drivers, one folder per device, pure Python (no ROS): what a node needs to talk to hardware.

Every driver has the same lifecycle (`devices.base.Device`): `connect()`, `disconnect()` and a
`connected` flag; a ROS node opens its device with the first and always ends with the second. What
a device observes and does is its own and named for it, not squeezed into one `observe` / `act`:
- `gelsight.FrameSource.read()`: the next RGB frame (webcam, video file, image folder);
- `wsg50.WsgClient`: `get_width`, `get_force`, `system_state`, `grasping_state` to observe; `move`,
  `grasp`, `release`, `set_force_limit`, `stop`, `fast_stop` to act, each raising the gripper's own
  error code when it refuses (the WSG-50 TCP protocol, with an emulator);
- `sawyer`: only the workspace and goal checks: the arm itself is driven through the robot's ROS
  interface (its SDK is not on this machine), by the arm node.
The simulated cell serves the same drivers (the emulator speaks the gripper's protocol; GelSight
images arrive as frames), so a node cannot tell the simulator from the robot.
"""
