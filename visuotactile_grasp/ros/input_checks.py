"""Validation of the messages nodes receive, and error lines throttled per cause.

Every subscription callback checks its message here before it is used or stored: a malformed
message is dropped (or, where the answer must say why, marked) with one clear log line per
cause. Checks read message fields only (duck-typed), so they work on rclpy and rosbags messages
alike and are testable without ROS.
"""
from __future__ import annotations

import math
import threading
import time
from typing import NamedTuple

from ..devices.wsg50.model import WSG50_FORCE_RANGE
from ..image_decoding import ENCODINGS, ImageConversionError, check_image
from ..perception.camera import camera_from_calibration
from ..stamps import stamp_seconds

# A stamp further ahead of the node's own clock than this is not from this run (a far-future stamp
# would satisfy every "stamped at or after" wait and poison input histories). Generous, so a node
# whose /clock lags a fast simulation never drops good inputs.
MAX_STAMP_LEAD_S = 3600.0
QUATERNION_NORM_TOLERANCE = 0.01
# N: a plausible force in a message: 0 (nothing reported) up to the WSG-50's highest
GRIPPER_FORCE_RANGE = (0.0, WSG50_FORCE_RANGE[1])


class Problem(NamedTuple):
    cause: str  # a short fixed name (the throttle key); never contains values
    text: str  # what is wrong, with the values


def _finite(*values) -> bool:
    return all(math.isfinite(float(v)) for v in values)


def _fmt(*values) -> str:
    return "(" + ", ".join(f"{float(v):.4g}" for v in values) + ")"


def pose_problem(pose) -> Problem | None:
    """geometry_msgs/Pose: finite position, finite unit quaternion."""
    p, q = pose.position, pose.orientation
    if not _finite(p.x, p.y, p.z):
        return Problem("pose not finite", f"position is not finite {_fmt(p.x, p.y, p.z)}")
    if not _finite(q.x, q.y, q.z, q.w):
        return Problem("pose not finite", f"orientation is not finite {_fmt(q.x, q.y, q.z, q.w)}")
    norm = math.sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w)
    if abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE:
        return Problem("quaternion not unit", f"orientation quaternion has norm {norm:.4g}, not 1")
    return None


def stamp_ahead(stamp, now_s: float, max_lead_s: float = MAX_STAMP_LEAD_S) -> Problem | None:
    """A stamp from the far future relative to the node's clock (now_s; 0 = not started: no check)."""
    lead = stamp_seconds(stamp) - now_s
    if now_s > 0 and lead > max_lead_s:
        return Problem("stamp in the future", f"stamped {lead:.4g} s ahead of this node's clock")
    return None


def image_problem(msg, encodings=None) -> Problem | None:
    """Encoding, dimensions, step and data length agree (image_conversion.check_image); with
    encodings, the encoding is also one of those."""
    try:
        check_image(msg)
    except ImageConversionError as exc:
        return Problem(f"image {exc.cause}", str(exc))
    if encodings is not None and msg.encoding not in encodings:
        return Problem("image encoding", f"encoding {msg.encoding!r} where one of {sorted(encodings)} is expected")
    return None


COLOUR_ENCODINGS = tuple(e for e, (_dtype, channels) in ENCODINGS.items() if channels == 3)


def camera_info_problem(info) -> Problem | None:
    k = [float(v) for v in info.k]
    if len(k) != 9 or not _finite(*k):
        return Problem("intrinsics not finite", f"camera_info K is not finite: {_fmt(*k)}")
    if k[0] <= 0 or k[4] <= 0:
        return Problem("no intrinsics", f"camera_info has no valid intrinsics (fx {k[0]:.4g}, fy {k[4]:.4g} <= 0)")
    return None


def checked_camera_model(info, position, orientation_xyzw):
    """The front camera's model (perception/camera.CameraModel) from a CameraInfo and the extrinsics
    parameters, or the Problem that makes the message unusable (the model received before then stays)."""
    problem = camera_info_problem(info)
    if problem is not None:
        return problem
    try:
        return camera_from_calibration(info.k, info.width, info.height, position, orientation_xyzw)
    except ValueError as exc:
        return Problem("camera_model", str(exc))


def cylinder_fit_problem(fit) -> Problem | None:
    """A fit marked valid must have a finite centre and a positive finite radius and height.

    A fit with valid=false says "no object" (its geometry is meaningless) and is accepted."""
    if not fit.valid:
        return None
    c = fit.center
    if not _finite(c.x, c.y, c.z, fit.radius, fit.height):
        return Problem("fit not finite", f"valid cylinder fit with non-finite geometry: centre "
                       f"{_fmt(c.x, c.y, c.z)}, radius {fit.radius:.4g}, height {fit.height:.4g}")
    if fit.radius <= 0 or fit.height <= 0:
        return Problem("fit not positive", f"valid cylinder fit with radius {fit.radius:.4g} and height "
                       f"{fit.height:.4g} (both must be > 0)")
    return None


def tactile_contact_problem(contact, side: str) -> Problem | None:
    if contact.sensor and contact.sensor != side:
        return Problem("contact from the wrong sensor", f"contact from sensor {contact.sensor!r} on the {side} topic")
    if not _finite(contact.contact_area, contact.intensity):
        return Problem("contact not finite", f"contact area {contact.contact_area:.4g} or intensity "
                       f"{contact.intensity:.4g} is not finite")
    if not 0.0 <= contact.contact_area <= 1.0 or contact.intensity < 0:
        return Problem("contact out of range", f"contact area {contact.contact_area:.4g} outside [0, 1] or "
                       f"intensity {contact.intensity:.4g} negative")
    if contact.in_contact and not _finite(contact.centroid_u, contact.centroid_v):
        return Problem("contact not finite", "in contact with a non-finite centroid")
    return None


def force_problem(what: str, force: float, low: float, high: float) -> Problem | None:
    """force must be finite and within (low, high] N."""
    if not math.isfinite(force):
        return Problem(f"{what} not finite", f"{what} {force} N is not finite")
    if not low < force <= high:
        return Problem(f"{what} out of range", f"{what} {force:.4g} N outside ({low:g}, {high:g}] N")
    return None


def grasp_goal_problem(goal, status_ok: int, force_range=GRIPPER_FORCE_RANGE) -> Problem | None:
    """A planner answer with status OK must carry a usable force and target; others carry neither."""
    if goal.status != status_ok:
        return None
    problem = force_problem("grip force", goal.grip_force, *force_range)
    if problem is not None:
        return problem
    problem = pose_problem(goal.target_pose)
    if problem is not None:
        return Problem(f"target {problem.cause}", f"target pose: {problem.text}")
    return None


class CauseLog:
    """Error lines throttled per cause, not per call site.

    rclpy's throttle_duration_sec keys on the logging call: one callback that rejects messages for
    several causes would report only the first of them. Here each cause reports at once, then at
    most once per period_s while it repeats (with a count of the repeats not shown)."""

    def __init__(self, logger, period_s: float = 5.0, clock=time.monotonic) -> None:
        self.logger, self.period_s, self.clock = logger, period_s, clock
        self._last: dict[str, float] = {}
        self._repeats: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, cause: str, text: str, level: str = "error") -> bool:
        """Log text (level "error" or "warning") unless cause was reported less than period_s ago;
        True when logged."""
        now = self.clock()
        with self._lock:
            last = self._last.get(cause)
            if last is not None and now - last < self.period_s:
                self._repeats[cause] = self._repeats.get(cause, 0) + 1
                return False
            self._last[cause] = now
            repeats = self._repeats.pop(cause, 0)
        suffix = f" ({repeats} more like it in the last {now - last:.0f} s)" if repeats else ""
        # one logging call per level: rclpy fixes the severity of each call site
        if level == "warning":
            self.logger.warning(text + suffix)
        else:
            self.logger.error(text + suffix)
        return True

    def problem(self, problem: Problem, prefix: str, level: str = "error") -> bool:
        """Log "prefix: problem.text", throttled per (prefix, cause): prefix must be a fixed text."""
        return self(f"{prefix}|{problem.cause}", f"{prefix}: {problem.text}", level)
