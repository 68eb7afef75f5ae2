"""Plain data describing a node graph: which executables, names, parameter files, endpoints."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .interfaces import Interface


@dataclass(frozen=True)
class NodeSpec:
    name: str
    executable: str
    parameter_files: tuple[str, ...] = ()  # file names in config/
    parameters: dict = field(default_factory=dict)  # overrides after the files
    interface: Interface = Interface()  # the executable's declaration (graph/interfaces.py)
    sim_only: bool = False
    required: bool = True  # the runner stops the graph when a required node dies
    stop_first: bool = False  # runs trials: stopped (and left safe) while the arm and gripper nodes still run

    @property
    def publishes(self) -> tuple[tuple[str, str], ...]:
        """(topic, type 'pkg/msg/Type') of the graph's data; the tooling topics are no edges."""
        return self.interface.publishes

    @property
    def subscribes(self) -> tuple[tuple[str, str], ...]:
        return self.interface.subscribes

    def parameter_paths(self, config_dir: Path) -> list[Path]:
        return [config_dir / f for f in self.parameter_files]

    def ros_arguments(self, config_dir: Path) -> list[str]:
        """Command-line arguments equivalent to what launch_ros passes."""
        args = ["--ros-args", "-r", f"__node:={self.name}"]
        for path in self.parameter_paths(config_dir):
            args += ["--params-file", str(path)]
        for key, value in self.parameters.items():
            args += ["-p", f"{key}:={_yaml_value(value)}"]
        return args


def _yaml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else _yaml_value(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Graph:
    mode: str
    sim: bool
    nodes: tuple[NodeSpec, ...]

    def edges(self) -> list[tuple[str, str, list[str], list[str]]]:
        """(topic, type, publishers, subscribers) for every topic both published and subscribed in the graph."""
        pubs: dict[str, tuple[str, list[str]]] = {}
        subs: dict[str, list[str]] = {}
        for node in self.nodes:
            for topic, msg_type in node.publishes:
                pubs.setdefault(topic, (msg_type, []))[1].append(node.name)
            for topic, _ in node.subscribes:
                subs.setdefault(topic, []).append(node.name)
        return [(t, pubs[t][0], pubs[t][1], subs[t]) for t in sorted(pubs) if t in subs]
