"""THE outcome rule of a grasp, written once for the attempt (evaluation) and the trial (collection label).

A grasp succeeds when the object is held after the hold and not damaged. Damage is what the robot
observes after the trial: the object put down and fitted again from the front camera, narrower than
before (a crushed cup; sim/crush.py). The simulator's truth is kept apart (ground_truth_*), as for
holding. Cells that do not inspect (the ROS cells so far; bare cells with object library v1, whose
objects cannot be damaged) observe nothing: damaged is None and the rule is holding alone.
"""
from __future__ import annotations

# The lift test that labels every grasp, collected or evaluated (config/lift_test.yaml is the deployment's).
LIFT_HEIGHT = 0.10  # m
HOLD_TIME = 4.0  # s, after lifting, before the gels are read
CRUSHED_RADIUS_RATIO = 0.8  # fitted radius after / before below this: crushed (fit noise is ~1%, crushed 20-60%)


def observed_damage(radius_before: float, radius_after: float | None) -> bool | None:
    """Whether the refit shows a crushed object; None when there is no refit (the object is out of view)."""
    if radius_after is None:
        return None
    return bool(radius_after < CRUSHED_RADIUS_RATIO * radius_before)


def grasp_success(held: bool | None, damaged: bool | None) -> bool | None:
    """Held and not damaged; None when holding is unknown (a ROS cell without the simulator's truth)."""
    if held is None:
        return None
    return bool(held) and not damaged


def inspect(cell) -> tuple[bool | None, bool | None]:
    """(observed damage, ground-truth damage) from the cell's inspection after the hold; (None, None) for
    a cell that does not inspect (the ROS cells do not yet implement the step)."""
    step = getattr(cell, "inspect", None)
    return step() if step is not None else (None, None)
