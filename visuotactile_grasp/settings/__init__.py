"""Every node's parameters, declared once and ROS-free: one module per node (`PARAMS`), typed, ranged
and described (`Param`).

The node declares them (ros/params.declare_params turns each into a ROS parameter descriptor); the
experiments, replay and tests read the same declarations without ROS (param_files.node_params: the
declared defaults, then the node's files in config/). A node's config/*.yaml therefore holds only its
deployment values (`Param.deployment`) and what a deployment sets differently from the defaults
declared here (test_config_params checks it).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    range: tuple[float, float] | None = None  # inclusive bounds for int/float parameters
    read_only: bool = False
    choices: tuple | None = None  # the values a string parameter may take
    # A value each deployment states in its parameter file even when it is the default: where the
    # hardware is (addresses, devices, frames, the camera's extrinsics), not how the software tunes it.
    deployment: bool = False

    @property
    def value_type(self) -> type:
        """The Python type of the value (the item type for a list)."""
        if isinstance(self.default, list):
            if not self.default:
                raise ValueError(f"parameter {self.name}: list default must not be empty (type unknown)")
            return type(self.default[0])
        return type(self.default)

    def check(self, value: Any) -> None:
        """Raise ValueError if value does not fit this parameter (used by tests and nodes)."""
        expected = type(self.default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(f"{self.name}: expected {expected.__name__}, got {value!r}")
        if self.range is not None and not self.range[0] <= value <= self.range[1]:
            raise ValueError(f"{self.name}: {value} outside [{self.range[0]}, {self.range[1]}]")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{self.name}: {value!r} is not one of {self.choices}")


def declared(executable: str) -> dict[str, Param]:
    """The parameters the node executable (e.g. `wsg50_gripper_node`) declares, by name."""
    if not executable.endswith("_node"):
        raise ValueError(f"{executable!r} is not a node executable (<name>_node)")
    module = importlib.import_module(f"{__name__}.{executable[:-len('_node')]}")
    return {p.name: p for p in module.PARAMS}
