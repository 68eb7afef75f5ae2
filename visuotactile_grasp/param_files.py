"""A node's effective parameters read without ROS: the one source of the settings that the bare-cell
experiments, offline replay and the nodes share.

As rcl builds them: the defaults the node declares (settings/<node>.py), overridden by the node's
parameter files (its own, and the shared `/**` files the graph loads for it: config/workspace.yaml,
config/action_space.yaml, ...). rcl merges all the files into one table of sections in the order each
section name first appears (a later file's values update an earlier section), then applies the
sections that match the node (`/**` and its name) in that order. A node yaml therefore only holds
its deployment values and what differs from the declared defaults."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from .paths import config_dir
from .settings import declared


def node_params(node: str) -> dict:
    """The parameters of the graph's node `node`: declared defaults, then its files as rcl merges them
    (test_config_params checks this against rclpy itself)."""
    executable, files = _graph_entry(node)
    return merged_params(node, executable, files)


def merged_params(node: str, executable: str, files) -> dict:
    """The executable's declared defaults, then the parameter files (names in config/) as rcl merges them for
    the node named `node`."""
    params = {name: p.default for name, p in declared(executable).items()}
    params.update(file_values(node, [config_dir() / name for name in files]))
    return params


def file_values(node: str, paths) -> dict:
    """What the parameter files at paths set for the node named `node`, in rcl's precedence."""
    import yaml

    sections: dict[str, dict] = {}  # section name -> values, in order of first appearance
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except OSError as exc:
            raise ValueError(f"parameter file of {node} unreadable: {exc}") from exc
        for section, body in data.items():
            sections.setdefault(section, {}).update(((body or {}).get("ros__parameters")) or {})
    values: dict = {}
    for section, found in sections.items():
        if section in ("/**", node, f"/{node}"):
            values.update(found)
    return values


def _graph_entry(node: str) -> tuple[str, tuple[str, ...]]:
    """(executable, parameter files) of the node as the one graph definition starts it on the robot."""
    entry = _graph_entries().get(node)
    if entry is None:
        raise ValueError(f"no node named {node!r} in any graph (graph/)")
    return entry


@cache  # the graph definition does not change while a process runs; building every graph costs ~0.1 s
def _graph_entries() -> dict[str, tuple[str, tuple[str, ...]]]:
    from .graph import MODES, build_graph

    entries: dict[str, tuple[str, tuple[str, ...]]] = {}
    for sim in (False, True):  # the robot's graph first; the sim cell runs only in the simulated one
        for mode in MODES:
            for spec in build_graph(mode, sim=sim, bag="bag" if mode == "replay" else "", record="bag",
                                    sim_dependent=False).nodes:
                # sim.yaml is the simulated graph's overlay, not the node's settings
                entries.setdefault(spec.name, (spec.executable, tuple(f for f in spec.parameter_files
                                                                      if f != "sim.yaml")))
    return entries
