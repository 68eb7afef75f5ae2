"""The nodes' parameter files in config/, read without ROS: the one source of the settings that the
bare-cell experiments, offline replay and the nodes share."""
from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def node_params(node: str, file: str | None = None) -> dict:
    """ros__parameters of node in config/<file or node>.yaml."""
    import yaml

    path = CONFIG_DIR / f"{file or node}.yaml"
    try:
        return dict(yaml.safe_load(path.read_text())[node]["ros__parameters"])
    except (OSError, KeyError, TypeError) as exc:
        raise ValueError(f"no parameters for {node} in {path}: {exc}") from exc
