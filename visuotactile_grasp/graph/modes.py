"""The three graphs: grasp (robot experiments), collect (self-supervised data), replay (bags).

This is the one definition of which nodes run with which parameter files and
how they connect; launch/*.launch.py and `vtg run` both read it.
"""
from __future__ import annotations

from dataclasses import replace

from .. import topics as t
from .spec import Graph, NodeSpec

MODES = ("grasp", "collect", "replay")

IMG, CLOCK = "sensor_msgs/msg/Image", "rosgraph_msgs/msg/Clock"
POSE, INFO = "geometry_msgs/msg/PoseStamped", "sensor_msgs/msg/CameraInfo"
M = "visuotactile_grasp_msgs/msg/"


def _sim_cell() -> NodeSpec:
    return NodeSpec(
        "sim_cell", "sim_cell_node", ("sim_cell.yaml",), sim_only=True,
        publishes=((t.CLOCK, CLOCK), (t.KINECT_RGB, IMG), (t.KINECT_DEPTH, IMG), (t.KINECT_DEPTH_INFO, INFO),
                   (t.ROBOT_EE_STATE, POSE), (t.SIM_OBJECT_HELD, "std_msgs/msg/Bool"))
        + tuple((t.gelsight_raw_source(s), IMG) for s in t.SIDES),
        subscribes=((t.ROBOT_EE_COMMAND, POSE), (t.ARM_EE_POSE, POSE)))


def _hardware() -> list[NodeSpec]:
    nodes = [
        NodeSpec("sawyer_arm", "sawyer_arm_node", ("sawyer_arm.yaml", "workspace.yaml"),
                 publishes=((t.ROBOT_EE_COMMAND, POSE), (t.ARM_EE_POSE, POSE)),
                 subscribes=((t.ROBOT_EE_STATE, POSE),)),
        NodeSpec("wsg50_gripper", "wsg50_gripper_node", ("wsg50_gripper.yaml",),
                 publishes=((t.GRIPPER_STATUS, M + "GripperStatus"), (t.GRIPPER_JOINTS, "sensor_msgs/msg/JointState"))),
    ]
    for side in t.SIDES:
        nodes.append(NodeSpec(
            f"gelsight_{side}", "gelsight_node", ("gelsight.yaml",),
            publishes=((t.gelsight(side, "image_raw"), IMG), (t.gelsight(side, "image_diff"), IMG),
                       (t.gelsight(side, "contact"), M + "TactileContact")),
            subscribes=((t.gelsight_raw_source(side), IMG),)))
    nodes.append(_cylinder_fitter())
    return nodes


def _cylinder_fitter() -> NodeSpec:
    return NodeSpec("cylinder_fitter", "cylinder_fitter_node", ("cylinder_fitter.yaml",),
                    publishes=((t.CYLINDER_FIT, M + "CylinderFit"),
                               (t.CYLINDER_MARKER, "visualization_msgs/msg/Marker")),
                    subscribes=((t.KINECT_DEPTH, IMG), (t.KINECT_DEPTH_INFO, INFO)))


def _planner() -> NodeSpec:
    return NodeSpec("regrasp_planner", "regrasp_planner_node", ("regrasp_planner.yaml", "workspace.yaml"),
                    publishes=((t.GRASP_GOAL, M + "GraspGoal"),),
                    subscribes=((t.ARM_EE_POSE, POSE), (t.KINECT_RGB, IMG), (t.PLAN_REQUEST, M + "PlanRequest"),
                                (t.GRIPPER_STATUS, M + "GripperStatus"))
                    + tuple((t.gelsight(s, "image_diff"), IMG) for s in t.SIDES))


def _collector() -> NodeSpec:
    return NodeSpec("data_collector", "data_collector_node", ("data_collector.yaml",), stop_first=True,
                    publishes=((t.GRASP_OUTCOME, M + "GraspOutcome"),),
                    subscribes=((t.CYLINDER_FIT, M + "CylinderFit"), (t.SIM_OBJECT_HELD, "std_msgs/msg/Bool"),
                                (t.KINECT_RGB, IMG), (t.KINECT_DEPTH, IMG), (t.GRIPPER_STATUS, M + "GripperStatus"))
                    + tuple((t.gelsight(s, leaf), M + "TactileContact" if leaf == "contact" else IMG)
                            for s in t.SIDES for leaf in ("contact", "image_raw")))


def _executive() -> NodeSpec:
    return NodeSpec("grasp_executive", "grasp_executive_node", ("grasp_executive.yaml",), stop_first=True,
                    publishes=((t.PLAN_REQUEST, M + "PlanRequest"), (t.GRASP_OUTCOME, M + "GraspOutcome")),
                    subscribes=((t.CYLINDER_FIT, M + "CylinderFit"), (t.GRASP_GOAL, M + "GraspGoal"),
                                (t.SIM_OBJECT_HELD, "std_msgs/msg/Bool"), (t.GRIPPER_STATUS, M + "GripperStatus"))
                    + tuple((t.gelsight(s, "contact"), M + "TactileContact") for s in t.SIDES))


def build_graph(mode: str, sim: bool = True, bag: str = "", overrides: dict | None = None,
                record: str = "") -> Graph:
    """overrides: node name -> {parameter: value}, applied after the parameter files (like
    `ros2 launch ... param:=value`); used by `vtg collect` for the dataset folder and pacing.
    record: a new bag folder; adds a recorder of every topic the graph's nodes publish."""
    overrides = overrides or {}
    base = _nodes(mode, sim, bag)
    if record:
        base.append(_recorder(base, record))
    unknown = set(overrides) - {n.name for n in base}
    if unknown:
        raise ValueError(f"parameter overrides for nodes not in the {mode} graph: {sorted(unknown)}")
    overlay = ("sim.yaml",) if sim and mode != "replay" else ()
    nodes = [replace(n, parameter_files=n.parameter_files + overlay,
                     parameters={**n.parameters, **overrides.get(n.name, {})}) for n in base]
    return Graph(mode, sim, tuple(nodes))


def _recorder(nodes: list[NodeSpec], output: str) -> NodeSpec:
    published = sorted({(topic, msg_type) for n in nodes for topic, msg_type in n.publishes})
    return NodeSpec("bag_recorder", "bag_recorder_node", ("bag_recorder.yaml",),
                    parameters={"output": output, "topics": [f"{t}|{m}" for t, m in published]},
                    subscribes=tuple(published))


def _nodes(mode: str, sim: bool, bag: str) -> list[NodeSpec]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    if mode == "replay":
        player = NodeSpec("bag_player", "bag_player_node", ("bag_player.yaml",), parameters={"bag": bag},
                          subscribes=((t.GRASP_GOAL, M + "GraspGoal"),), required=False)
        return [player, _cylinder_fitter(), _planner()]  # on the bag's own time base, no simulator
    tail = [_executive(), _planner()] if mode == "grasp" else [_collector()]
    return ([_sim_cell()] if sim else []) + _hardware() + tail
