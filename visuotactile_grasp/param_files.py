"""A node's effective parameters read without ROS: the one source of the settings that the bare-cell
experiments, offline replay and the nodes share.

As ROS builds them: the defaults the node declares (settings/<node>.py), then the shared files the
graph loads for it (their `/**` section: config/workspace.yaml, config/action_space.yaml, ...), then
its own file's section. A yaml therefore only holds what differs from the declared defaults."""
from __future__ import annotations

from .paths import config_dir
from .settings import declared


def node_params(node: str) -> dict:
    """The parameters of the graph's node `node`: declared defaults, then its files in the graph's order."""
    import yaml

    executable, files = _graph_entry(node)
    params = {name: p.default for name, p in declared(executable).items()}
    for name in files:
        path = config_dir() / name
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except OSError as exc:
            raise ValueError(f"parameter file of {node} unreadable: {exc}") from exc
        for section in ("/**", node):  # as ROS applies a file: the wildcard, then the node's own section
            params.update(((data.get(section) or {}).get("ros__parameters")) or {})
    return params


def _graph_entry(node: str) -> tuple[str, tuple[str, ...]]:
    """(executable, parameter files) of the node as the one graph definition starts it on the robot."""
    from .graph import MODES, build_graph

    for sim in (False, True):  # the robot's graph first; the sim cell runs only in the simulated one
        for mode in MODES:
            for spec in build_graph(mode, sim=sim, bag="bag" if mode == "replay" else "", record="bag").nodes:
                if spec.name == node:  # sim.yaml is the simulated graph's overlay, not the node's settings
                    return spec.executable, tuple(f for f in spec.parameter_files if f != "sim.yaml")
    raise ValueError(f"no node named {node!r} in any graph (graph/)")
