"""What each node executable creates on the ROS graph, declared once as plain data (no ROS import).

One function per executable (named after it) returns its Interface: publishers, subscriptions,
services, service clients, action servers and action clients, each as (name from topics.py, type
'pkg/msg|srv|action/Type'). Its arguments are the parameters that shape the endpoints (a GelSight's
side, the recorder's topics), so one declaration serves every instance.

Read by graph/modes.py (edges, the recorder's topics, the monitor) and by the node itself: every
node derives from ros/declared_node.DeclaredNode, which refuses at start-up an endpoint this
declaration lacks. Why a check rather than endpoints built from here: QoS, callback and callback
group are the node's behaviour and would turn this plain data into node code; a check at creation
sees every create_* call, shared helpers' too (Diagnostics, RobotSteps). A node built around it
(not on DeclaredNode) is caught on the running graph: GraphMonitor.undeclared, through
`undeclared` below, and `vtg run --check` fails.

A declared endpoint need not be created (a GelSight on a webcam does not subscribe to the
simulator's images); an undeclared one must not be.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from .. import topics as t

Endpoint = tuple[str, str]  # (name, type)

IMAGE, POSE, INFO = "sensor_msgs/msg/Image", "geometry_msgs/msg/PoseStamped", "sensor_msgs/msg/CameraInfo"
BOOL, CLOCK = "std_msgs/msg/Bool", "rosgraph_msgs/msg/Clock"
MSG, SRV, ACTION = "visuotactile_grasp_msgs/msg/", "visuotactile_grasp_msgs/srv/", "visuotactile_grasp_msgs/action/"
DIAGNOSTICS: Endpoint = (t.DIAGNOSTICS, "diagnostic_msgs/msg/DiagnosticArray")


@dataclass(frozen=True)
class Interface:
    publishes: tuple[Endpoint, ...] = ()
    subscribes: tuple[Endpoint, ...] = ()
    services: tuple[Endpoint, ...] = ()
    clients: tuple[Endpoint, ...] = ()
    action_servers: tuple[Endpoint, ...] = ()
    action_clients: tuple[Endpoint, ...] = ()
    # published for the robot's tools (/diagnostics, /tf): health and a copy of the arm pose, which
    # no node reads and a replay does not need, so they are neither graph edges nor recorded
    tooling: tuple[Endpoint, ...] = ()
    any_publisher: str = ""  # non-empty: why it may publish topics not listed (the bag player: its bag's)

    def __add__(self, other: Interface) -> Interface:
        return Interface(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def endpoints(self, kind: str) -> tuple[Endpoint, ...]:
        return {"publisher": self.publishes + self.tooling, "subscription": self.subscribes,
                "service": self.services, "client": self.clients, "action server": self.action_servers,
                "action client": self.action_clients}[kind]

    def allows(self, kind: str, name: str, type_name: str | None) -> bool:
        """type_name None: not known (an action's status topic carries no action type)."""
        if kind == "publisher" and self.any_publisher:
            return True
        return any(n == name and type_name in (None, ty) for n, ty in self.endpoints(kind))


def ros_own(kind: str, name: str, node: str) -> bool:
    """Endpoints rclpy creates for every node (node: its fully qualified name): the log, parameter
    events and services, type descriptions, and under use_sim_time the time source's /clock."""
    if kind == "publisher":
        return name in ("/rosout", "/parameter_events")
    if kind == "subscription":
        return name == t.CLOCK
    owner, _, leaf = name.rpartition("/")
    return kind == "service" and owner == node and leaf in (
        "describe_parameters", "get_parameter_types", "get_parameters", "get_type_description",
        "list_parameters", "set_parameters", "set_parameters_atomically")


# an action is three services and two topics under <name>/_action/; these carry its type with a suffix
_ACTION_SUFFIX = {"send_goal": "_SendGoal", "get_result": "_GetResult", "feedback": "_FeedbackMessage"}


def as_declared(kind: str, name: str, type_name: str) -> tuple[str, str, str | None]:
    """An endpoint as the ROS graph lists it -> as declared: an action's hidden parts become the action."""
    action, hidden, part = name.partition("/_action/")
    if not hidden:
        return kind, name, type_name
    suffix = _ACTION_SUFFIX.get(part)
    action_type = type_name[:-len(suffix)] if suffix and type_name.endswith(suffix) else None
    return ("action server" if kind in ("publisher", "service") else "action client"), action, action_type


def undeclared(interface: Interface, node: str, found: Iterable[tuple[str, str, str]]) -> list[str]:
    """'kind name [type]' of each endpoint (kind, name, type) a running node has that its declaration
    lacks; kind as the ROS graph lists it: publisher, subscription, service or client."""
    lacking: dict[tuple[str, str], str | None] = {}
    for kind, name, type_name in found:
        if not ros_own(kind, name, node):
            kind, name, type_name = as_declared(kind, name, type_name)
            if not interface.allows(kind, name, type_name):
                lacking[kind, name] = lacking.get((kind, name)) or type_name  # an action's typed part names it
    return sorted(f"{kind} {name} [{type_name or '?'}]" for (kind, name), type_name in lacking.items())


# the declarations, one per executable -------------------------------------------------------------
def sim_cell_node() -> Interface:
    return Interface(
        publishes=((t.CLOCK, CLOCK), (t.KINECT_RGB, IMAGE), (t.KINECT_DEPTH, IMAGE), (t.KINECT_DEPTH_INFO, INFO),
                   (t.ROBOT_EE_STATE, POSE), (t.SIM_OBJECT_HELD, BOOL), (t.SIM_OBJECT_DAMAGED, BOOL))
        + tuple((t.gelsight_raw_source(s), IMAGE) for s in t.SIDES),
        subscribes=((t.ROBOT_EE_COMMAND, POSE), (t.ARM_EE_POSE, POSE)),
        services=((t.SIM_RESET_OBJECT, SRV + "ResetObject"), (t.SIM_INJECT_FAULT, SRV + "InjectFault")))


def sawyer_arm_node() -> Interface:
    return Interface(publishes=((t.ROBOT_EE_COMMAND, POSE), (t.ARM_EE_POSE, POSE)),
                     subscribes=((t.ROBOT_EE_STATE, POSE),),
                     action_servers=((t.ARM_MOVE_ACTION, ACTION + "MoveToPose"),),
                     tooling=(DIAGNOSTICS, (t.TF, "tf2_msgs/msg/TFMessage")))


def wsg50_gripper_node() -> Interface:
    return Interface(publishes=((t.GRIPPER_STATUS, MSG + "GripperStatus"),
                                (t.GRIPPER_JOINTS, "sensor_msgs/msg/JointState")),
                     action_servers=((t.GRIPPER_ACTION, ACTION + "GripperCommand"),), tooling=(DIAGNOSTICS,))


def gelsight_node(side: str) -> Interface:
    return Interface(publishes=((t.gelsight(side, "image_raw"), IMAGE), (t.gelsight(side, "image_diff"), IMAGE),
                                (t.gelsight(side, "contact"), MSG + "TactileContact")),
                     subscribes=((t.gelsight_raw_source(side), IMAGE),),
                     services=((t.gelsight(side, "capture_background"), SRV + "CaptureBackground"),),
                     tooling=(DIAGNOSTICS,))


def cylinder_fitter_node() -> Interface:
    return Interface(publishes=((t.CYLINDER_FIT, MSG + "CylinderFit"),
                                (t.CYLINDER_MARKER, "visualization_msgs/msg/Marker")),
                     subscribes=((t.KINECT_DEPTH, IMAGE), (t.KINECT_DEPTH_INFO, INFO)), tooling=(DIAGNOSTICS,))


def regrasp_planner_node() -> Interface:
    return Interface(publishes=((t.GRASP_GOAL, MSG + "GraspGoal"),),
                     subscribes=((t.ARM_EE_POSE, POSE), (t.KINECT_RGB, IMAGE), (t.KINECT_DEPTH_INFO, INFO),
                                 (t.PLAN_REQUEST, MSG + "PlanRequest"),
                                 (t.GRIPPER_STATUS, MSG + "GripperStatus"))
                     + tuple((t.gelsight(s, "image_diff"), IMAGE) for s in t.SIDES),
                     tooling=(DIAGNOSTICS,))


# what ros/robot_steps.RobotSteps commands and reads, in the nodes that run trials
ROBOT_STEPS = Interface(subscribes=((t.GRIPPER_STATUS, MSG + "GripperStatus"), (t.ARM_EE_POSE, POSE),
                                    (t.SIM_OBJECT_HELD, BOOL),
                                    (t.SIM_OBJECT_DAMAGED, BOOL)),
                        clients=tuple((t.gelsight(s, "capture_background"), SRV + "CaptureBackground")
                                      for s in t.SIDES) + ((t.SIM_RESET_OBJECT, SRV + "ResetObject"),),
                        action_clients=((t.ARM_MOVE_ACTION, ACTION + "MoveToPose"),
                                        (t.GRIPPER_ACTION, ACTION + "GripperCommand")))


def grasp_executive_node() -> Interface:
    return ROBOT_STEPS + Interface(
        publishes=((t.PLAN_REQUEST, MSG + "PlanRequest"), (t.GRASP_OUTCOME, MSG + "GraspOutcome")),
        subscribes=((t.CYLINDER_FIT, MSG + "CylinderFit"), (t.GRASP_GOAL, MSG + "GraspGoal"))
        + tuple((t.gelsight(s, "contact"), MSG + "TactileContact") for s in t.SIDES),
        action_servers=((t.EXECUTE_GRASP_ACTION, ACTION + "ExecuteGrasp"),))


def data_collector_node() -> Interface:
    return ROBOT_STEPS + Interface(
        publishes=((t.GRASP_OUTCOME, MSG + "GraspOutcome"),),
        subscribes=((t.CYLINDER_FIT, MSG + "CylinderFit"), (t.KINECT_RGB, IMAGE),
                    (t.KINECT_DEPTH, IMAGE), (t.KINECT_DEPTH_INFO, INFO))
        + tuple((t.gelsight(s, leaf), MSG + "TactileContact" if leaf == "contact" else IMAGE)
                for s in t.SIDES for leaf in ("contact", "image_raw")),
        action_servers=((t.COLLECT_TRIAL_ACTION, ACTION + "ExecuteGrasp"),))


def bag_player_node() -> Interface:
    return Interface(subscribes=((t.GRASP_GOAL, MSG + "GraspGoal"),), any_publisher="the topics of its bag")


def bag_recorder_node(recorded: Iterable[Endpoint]) -> Interface:
    return Interface(subscribes=tuple(recorded))
