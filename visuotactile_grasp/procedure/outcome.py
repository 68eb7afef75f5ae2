"""THE outcome rule of a grasp, written once for the attempt (evaluation) and the trial (collection label).

A grasp succeeds when the object is held after the hold, not standing on the table and not damaged.
The touch-down (INSPECTION_RULE, since 2026-12-03) is the inspection's first leg: the hand is lowered
TOUCH_DOWN_DEPTH and the gels' markers read during the motion (perception/markers.on_table); an object that slid down
through the fingers onto the table is carried by it, the pads slide down along it and its markers move
up, while a held one hangs from the pads (docs/results/label_touch_down/). Damage is what the robot
observes after the trial: the object put down and fitted again from the front camera, narrower than
before (a crushed cup; sim/crush.py), or not found where it was put down (INSPECTION_RULE). The
simulator's truth is kept apart (ground_truth_*), as for holding. Cells that do not inspect (graph nodes
with inspect_damage off; bare cells with object library v1, whose objects cannot be damaged) observe
nothing: damaged is None and the rule is holding alone. The inspection (put down PUT_DOWN_MARGIN above
where it was grasped, open, up PUT_DOWN_CLEARANCE, back to the observation pose, fit again) runs on bare
cells (collection/direct.refit_after_put_down) and through the graph (ros/robot_steps.put_down_and_refit)
with the same steps.
"""
from __future__ import annotations

from typing import NamedTuple

# The lift test that labels every grasp, collected or evaluated (config/lift_test.yaml is the deployment's).
LIFT_HEIGHT = 0.10  # m
HOLD_TIME = 4.0  # s, after lifting, before the gels are read
PUT_DOWN_CLEARANCE = 0.15  # m: after putting the object down and opening, straight up this far, clear of it
# m: the object is let go this far above where it was grasped: one that slipped in the fingers during the
# hold is not driven into the table (on a real arm, a collision; in the simulator it dented fragile ones)
PUT_DOWN_MARGIN = 0.01
CRUSHED_WIDTH_RATIO = 0.8  # width seen after / before below this: crushed (fit noise is ~1%, crushed 25-60%)
# How the inspection reads an object it cannot find where it put it down, recorded with every dataset and
# evaluation run on crushable objects (a resume refuses another): a failure since 2026-12-02 (issue 15);
# before, OLD_INSPECTION_RULE (counted intact; datasets without the record). Chosen on the training objects'
# trials of paper_v2, onpolicy_v2 and first10_v2 (12,450 trials; docs/results/label_not_found/): of the
# labelled-held grasps the refit found nothing after, 74 had crushed the object (a crushed foam sphere,
# train_018, is too small for the fit) and 14 had not.
# Since 2026-12-03 the inspection starts with the touch-down (an object it reads on the table is a failure);
# "not_found_is_failure" is the same rule without it.
INSPECTION_RULE = "touch_down+not_found_is_failure"
OLD_INSPECTION_RULE = "not_found_is_intact"
DAMAGE_SEEN = "crushed or not found (seen after the put-down)"  # a GraspOutcome's failure_reason
ON_TABLE_SEEN = "standing on the table (the touch-down)"  # a GraspOutcome's failure_reason
TOUCH_DOWN_DEPTH = 0.01  # m the hand is lowered after the hold: less than the truth's 1 cm off the table
# m/s: slowly. The wrist stops dead at the end of a move, and at full speed (0.5 m/s) that jolt made a
# grasp held at 5 N on the edge of slipping land (hard_04)
TOUCH_DOWN_SPEED = 0.01
# s into the touch-down's motion when the gels are read: while the hand still moves down (the motion takes
# TOUCH_DOWN_DEPTH / TOUCH_DOWN_SPEED = 1 s), because a simulated contact keeps no stretch once the pads stop:
# with the table also carrying the object, MuJoCo's static friction is indeterminate and fades, and the
# markers with it (read 0.3 s after the stop, the graph saw a tenth of what the bare cells saw)
TOUCH_DOWN_READ = 0.6
# m below the lifted pose at that moment. A bare cell's measured hand trails its set-point by 0.075 mm, so
# this is the same instant to 7.5 ms; the graph reads when the arm's stamped state shows it
# (ros/robot_steps.touch_down): its executive's clock can lag the cell's under load, and a read timed from
# that clock came before the hand had moved, when the markers still showed the slide's downward drag
TOUCH_DOWN_READ_DEPTH = TOUCH_DOWN_SPEED * TOUCH_DOWN_READ

class Inspection(NamedTuple):
    """What the inspection after the hold saw, and the simulator's truth of damage (None: not known)."""
    damaged: bool | None = None  # crushed or not found after the put-down
    ground_truth_damaged: bool | None = None
    on_table: bool | None = None  # the touch-down read the table carrying the object
    touch_down_motion: float | None = None  # what it measured: both pads' upward marker motion (px), summed


def observed_damage(before: tuple[float, float], after: tuple[float, float] | None) -> bool:
    """Whether the inspection shows the object damaged, from the cylinder fits (radius, height) before the
    trial and after the put-down. after None: nothing fitted where the object was put down (it rolled away,
    or a crush left too little for the fit to see): the grasp cannot be shown harmless, and counts as
    damaged (INSPECTION_RULE).

    Crushed when the width the camera sees has narrowed: standing, the fitted diameter; fallen over
    (a crushed tall object often falls when put down), the fitted height, which is then its width. A tall
    object lies when its refit is lower and wider than it stood (a crush never shortens an object); a
    squat one is judged standing only (lying or standing, its low fit says little). Comparing radii
    alone missed the fallen ones (a lying object fits wide); checked on the training objects' trials
    (docs/results/label_agreement_v2_noise/)."""
    if after is None:
        return True
    (radius0, height0), (radius1, height1) = before, after
    limit = CRUSHED_WIDTH_RATIO * 2.0 * radius0
    lying = height0 > 2.0 * radius0 and height1 < CRUSHED_WIDTH_RATIO * height0 and radius1 > radius0
    return bool(2.0 * radius1 < limit or (lying and height1 < limit))


def grasp_success(held: bool | None, damaged: bool | None, on_table: bool | None = None) -> bool | None:
    """Held, not seen standing on the table and not damaged; None when holding is unknown (a ROS cell
    without the simulator's truth)."""
    if held is None:
        return None
    return bool(held) and not damaged and not on_table


NO_CONTACT = "no contact after hold"  # a GraspOutcome's failure_reason
GRASP_FAILURES = (NO_CONTACT, ON_TABLE_SEEN, DAMAGE_SEEN)  # a grasp's outcome; any other reason is a step's error


def failure_reason(held: bool, damaged: bool | None, on_table: bool | None) -> str:
    """Why a failed grasp failed, as a GraspOutcome says it (both graph nodes)."""
    if not held:
        return NO_CONTACT
    return ON_TABLE_SEEN if on_table else DAMAGE_SEEN


def inspect(cell) -> Inspection:
    """The cell's inspection after the hold (touch-down, put-down, refit). The truth of damage is the
    object's state at the end of the hold, read before the touch-down: the grasp's damage, not the
    measurement's (putting a slipped object down can press it into the table and dent it by half a
    percent, which no refit can see and no grasp did). Inspection() (all None) for a cell that does not
    inspect (bare cells with object library v1; graph nodes with inspect_damage off)."""
    step = getattr(cell, "inspect", None)
    return step() if step is not None else Inspection()
