"""The three graphs: grasp (robot experiments), collect (self-supervised data), replay (bags).

This is the one definition of which nodes run with which parameter files; how they connect
comes from each executable's declared interface (graph/interfaces.py), which the nodes read too.
launch/*.launch.py and `vtg run` both read it.
"""
from __future__ import annotations

from dataclasses import replace

from .. import topics as t
from . import interfaces as i
from .spec import Graph, NodeSpec

MODES = ("grasp", "collect", "replay")


def _sim_cell() -> NodeSpec:
    return NodeSpec("sim_cell", "sim_cell_node", ("sim_cell.yaml", "workspace.yaml"), interface=i.sim_cell_node(),
                    sim_only=True)


def _hardware() -> list[NodeSpec]:
    nodes = [
        NodeSpec("sawyer_arm", "sawyer_arm_node", ("sawyer_arm.yaml", "workspace.yaml"),
                 interface=i.sawyer_arm_node()),
        NodeSpec("wsg50_gripper", "wsg50_gripper_node", ("wsg50_gripper.yaml",), interface=i.wsg50_gripper_node()),
    ]
    nodes += [NodeSpec(f"gelsight_{side}", "gelsight_node", ("gelsight.yaml",), interface=i.gelsight_node(side))
              for side in t.SIDES]
    nodes.append(_cylinder_fitter())
    return nodes


def _cylinder_fitter() -> NodeSpec:
    return NodeSpec("cylinder_fitter", "cylinder_fitter_node", ("cylinder_fitter.yaml", "front_camera.yaml"),
                    interface=i.cylinder_fitter_node())


def _planner() -> NodeSpec:
    return NodeSpec("regrasp_planner", "regrasp_planner_node",
                    ("regrasp_planner.yaml", "workspace.yaml", "action_space.yaml", "front_camera.yaml"),
                    interface=i.regrasp_planner_node())


def _collector() -> NodeSpec:
    return NodeSpec("data_collector", "data_collector_node",
                    ("data_collector.yaml", "action_space.yaml", "lift_test.yaml", "grasp_approach.yaml",
                     "front_camera.yaml"),
                    stop_first=True, interface=i.data_collector_node())


def _executive() -> NodeSpec:
    return NodeSpec("grasp_executive", "grasp_executive_node",
                    ("grasp_executive.yaml", "lift_test.yaml", "grasp_approach.yaml"), stop_first=True,
                    interface=i.grasp_executive_node())


def build_graph(mode: str, sim: bool = True, bag: str = "", overrides: dict | None = None,
                record: str = "", sim_dependent: bool = True) -> Graph:
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
    on_simulator = sim and mode != "replay"
    overlay = ("sim.yaml",) if on_simulator else ()
    # beneath the caller's overrides, above the nodes' files (as graph_sim_overrides' were): in simulation the
    # cell decides them; sim_dependent=False for readers of the graph's shape (param_files: no gel optics)
    derived = _sim_dependent(base[0], overlay, overrides.get("sim_cell", {})) if on_simulator and sim_dependent else {}
    nodes = [replace(n, parameter_files=n.parameter_files + overlay,
                     parameters={**derived.get(n.name, {}), **n.parameters, **overrides.get(n.name, {})})
             for n in base]
    return Graph(mode, sim, tuple(nodes))


def _sim_dependent(sim_cell: NodeSpec, overlay: tuple[str, ...], overrides: dict) -> dict:
    """What the other nodes' parameters must be for the simulated cell the graph runs (its declared defaults,
    its files, the overlay, the caller's overrides, as rcl merges them): sim/cell.sim_dependent_parameters;
    a caller's override of them still wins. (Not param_files.node_params: that reads this graph.)"""
    from ..param_files import merged_params
    from ..sim.cell import sim_dependent_parameters

    assert sim_cell.name == "sim_cell", sim_cell.name  # _nodes puts the cell first in a simulated graph
    params = merged_params(sim_cell.name, sim_cell.executable, sim_cell.parameter_files + overlay)
    return sim_dependent_parameters({**params, **overrides})


def _recorder(nodes: list[NodeSpec], output: str) -> NodeSpec:
    published = sorted({(topic, msg_type) for n in nodes for topic, msg_type in n.publishes})
    return NodeSpec("bag_recorder", "bag_recorder_node", ("bag_recorder.yaml",),
                    parameters={"output": output, "topics": [f"{t}|{m}" for t, m in published]},
                    interface=i.bag_recorder_node(published))


def _nodes(mode: str, sim: bool, bag: str) -> list[NodeSpec]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    if mode == "replay":
        player = NodeSpec("bag_player", "bag_player_node", ("bag_player.yaml",), parameters={"bag": bag},
                          interface=i.bag_player_node(), required=False)
        return [player, _cylinder_fitter(), _planner()]  # on the bag's own time base, no simulator
    tail = [_executive(), _planner()] if mode == "grasp" else [_collector()]
    return ([_sim_cell()] if sim else []) + _hardware() + tail
