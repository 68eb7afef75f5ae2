"""Topic, service and action names of the node graph, in one place.

Nodes use these as defaults and the graph definition uses them to know which
edges connect which nodes; remap in the graph, never by editing a node.
"""
CLOCK = "/clock"
DIAGNOSTICS = "/diagnostics"  # each node's health (ros/diagnostics.py), for the robot's tools
TF = "/tf"  # the end-effector frame, for the robot's tools (when tf2_msgs is installed)

# Front RGB-D camera (Kinect). On the robot these come from the Kinect driver.
KINECT_RGB = "/kinect/rgb/image_raw"
KINECT_DEPTH = "/kinect/depth/image_raw"
KINECT_DEPTH_INFO = "/kinect/depth/camera_info"

# Low-level arm interface: Cartesian command and measured end-effector pose.
# The simulator serves it here; on a Sawyer a bridge-side relay does (README).
ROBOT_EE_COMMAND = "/robot/ee_command"
ROBOT_EE_STATE = "/robot/ee_state"

ARM_EE_POSE = "/arm/ee_pose"
ARM_MOVE_ACTION = "/arm/move_to_pose"

GRIPPER_ACTION = "/gripper/command"
GRIPPER_STATUS = "/gripper/status"
GRIPPER_JOINTS = "/gripper/joint_states"


def gelsight_raw_source(side: str) -> str:
    """Simulated camera stream the GelSight node reads in sim (a webcam on the robot)."""
    return f"/sim/gelsight/{side}/image_raw"


def gelsight(side: str, leaf: str) -> str:
    """GelSight node outputs: image_raw, image_diff, contact, capture_background."""
    return f"/gelsight/{side}/{leaf}"


CYLINDER_FIT = "/cylinder_fitter/fit"
CYLINDER_MARKER = "/cylinder_fitter/marker"

PLAN_REQUEST = "/regrasp_planner/request"
GRASP_GOAL = "/regrasp_planner/goal"

EXECUTE_GRASP_ACTION = "/grasp_executive/execute_grasp"
GRASP_OUTCOME = "/grasp_executive/outcome"

SIM_RESET_OBJECT = "/sim/reset_object"
SIM_INJECT_FAULT = "/sim/inject_fault"  # simulator only: hardware faults on demand, for tests
SIM_OBJECT_HELD = "/sim/ground_truth/object_held"  # simulator only: is the object really held?
SIM_OBJECT_DAMAGED = "/sim/ground_truth/object_damaged"  # simulator only: has the object been crushed?
SIDES = ("left", "right")

COLLECT_TRIAL_ACTION = "/data_collector/collect_trial"
