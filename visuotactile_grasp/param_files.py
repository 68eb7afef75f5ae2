"""The nodes' parameter files in config/, read without ROS: the one source of the settings that the
bare-cell experiments, offline replay and the nodes share."""
from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def node_params(node: str, file: str | None = None) -> dict:
    """ros__parameters of node in config/<file or node>.yaml, with the shared files the node also
    loads (their `/**` section, as ROS applies it: config/workspace.yaml, config/action_space.yaml, ...)."""
    import yaml

    path = CONFIG_DIR / f"{file or node}.yaml"
    try:
        params = dict(yaml.safe_load(path.read_text())[node]["ros__parameters"])
    except (OSError, KeyError, TypeError) as exc:
        raise ValueError(f"no parameters for {node} in {path}: {exc}") from exc
    for shared in _robot_parameter_files(node):  # the node's other files, as the graph loads them
        data = yaml.safe_load((CONFIG_DIR / shared).read_text()) or {}
        params = {**dict((data.get("/**") or {}).get("ros__parameters", {})), **params}
    return params


def _robot_parameter_files(node: str) -> tuple[str, ...]:
    from .graph import MODES, build_graph  # the one graph definition says which files a node loads

    for sim in (False, True):  # the robot's graph first; the sim cell runs only in the simulated one
        for mode in MODES:
            for spec in build_graph(mode, sim=sim, bag="bag" if mode == "replay" else "").nodes:
                if spec.name == node:  # sim.yaml is the simulated graph's overlay, not the node's settings
                    return tuple(f for f in spec.parameter_files if f not in (f"{node}.yaml", "sim.yaml"))
    return ()
