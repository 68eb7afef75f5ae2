"""Declare a node's parameters (settings/<node>.py, ROS-free) on the node: type, range and description
of each as a ROS parameter descriptor."""
from __future__ import annotations

from types import SimpleNamespace

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, ParameterType

from ..settings import Param

_ARRAY_TYPES = {float: ParameterType.PARAMETER_DOUBLE_ARRAY, int: ParameterType.PARAMETER_INTEGER_ARRAY,
                str: ParameterType.PARAMETER_STRING_ARRAY, bool: ParameterType.PARAMETER_BOOL_ARRAY}
_TYPES = {
    bool: ParameterType.PARAMETER_BOOL,
    int: ParameterType.PARAMETER_INTEGER,
    float: ParameterType.PARAMETER_DOUBLE,
    str: ParameterType.PARAMETER_STRING,
}


def descriptor(spec: Param) -> ParameterDescriptor:
    """The ROS descriptor of a declared parameter: its type, description, range and choices."""
    kind = _ARRAY_TYPES[spec.value_type] if isinstance(spec.default, list) else _TYPES[spec.value_type]
    desc = ParameterDescriptor(name=spec.name, type=kind, description=spec.description, read_only=spec.read_only,
                               additional_constraints=f"one of {', '.join(spec.choices)}" if spec.choices else "")
    if spec.range is not None:
        lo, hi = spec.range
        if isinstance(spec.default, int) and not isinstance(spec.default, bool):
            desc.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=0)]
        else:
            desc.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi), step=0.0)]
    return desc


def declare_params(node, specs: list[Param]) -> SimpleNamespace:
    """Declare every spec on node and return their current values as attributes."""
    values = {}
    for spec in specs:
        node.declare_parameter(spec.name, spec.default, descriptor(spec))
        values[spec.name] = node.get_parameter(spec.name).value
        if spec.choices is not None and values[spec.name] not in spec.choices:  # ROS checks only ranges
            raise ValueError(f"parameter {spec.name}: {values[spec.name]!r} is not one of {spec.choices}")
    return SimpleNamespace(**values)
