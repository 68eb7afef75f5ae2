"""Declare node parameters from a typed spec: type, range and description for each.

Each node module lists its parameters as `PARAMS = [Param(...), ...]`; the test
suite checks every parameter file in config/ against these lists.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType

_TYPES = {
    bool: ParameterType.PARAMETER_BOOL,
    int: ParameterType.PARAMETER_INTEGER,
    float: ParameterType.PARAMETER_DOUBLE,
    str: ParameterType.PARAMETER_STRING,
}


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    range: tuple[float, float] | None = None  # inclusive bounds for int/float parameters
    read_only: bool = False
    choices: tuple | None = None  # the values a string parameter may take

    @property
    def ros_type(self) -> int:
        if isinstance(self.default, list):
            if not self.default:
                raise ValueError(f"parameter {self.name}: list default must not be empty (type unknown)")
            item = type(self.default[0])
            return {float: ParameterType.PARAMETER_DOUBLE_ARRAY, int: ParameterType.PARAMETER_INTEGER_ARRAY,
                    str: ParameterType.PARAMETER_STRING_ARRAY, bool: ParameterType.PARAMETER_BOOL_ARRAY}[item]
        return _TYPES[type(self.default)]

    def descriptor(self) -> ParameterDescriptor:
        desc = ParameterDescriptor(name=self.name, type=self.ros_type, description=self.description,
                                   read_only=self.read_only,
                                   additional_constraints=f"one of {', '.join(self.choices)}" if self.choices else "")
        if self.range is not None:
            lo, hi = self.range
            if isinstance(self.default, int) and not isinstance(self.default, bool):
                desc.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=0)]
            else:
                desc.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi), step=0.0)]
        return desc

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


def declare_params(node, specs: list[Param]) -> SimpleNamespace:
    """Declare every spec on node and return their current values as attributes."""
    values = {}
    for spec in specs:
        node.declare_parameter(spec.name, spec.default, spec.descriptor())
        values[spec.name] = node.get_parameter(spec.name).value
        if spec.choices is not None and values[spec.name] not in spec.choices:  # ROS checks only ranges
            raise ValueError(f"parameter {spec.name}: {values[spec.name]!r} is not one of {spec.choices}")
    return SimpleNamespace(**values)
