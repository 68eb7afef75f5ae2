"""What the gelsight node (nodes/gelsight_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from ..devices.gelsight.sources import GELSIGHT_FPS, GELSIGHT_HEIGHT, GELSIGHT_WIDTH
from ..perception.tactile import CONTACT_MIN_AREA, CONTACT_THRESHOLD
from ..perception.markers import UP_DIRECTIONS
from . import Param

PARAMS = [
    Param("side", "left", "Which finger this sensor is on: left or right.", deployment=True),
    Param("source", "topic", "Frame source: topic (simulator), v4l2:/dev/videoN, file:PATH or folder:PATH.",
          deployment=True),
    Param("frame_rate", GELSIGHT_FPS, "Capture rate for camera, file and folder sources (Hz).", (1.0, 120.0),
          deployment=True),
    Param("width", GELSIGHT_WIDTH, "Requested capture width for webcams (pixels).", (32, 4096), deployment=True),
    Param("height", GELSIGHT_HEIGHT, "Requested capture height for webcams (pixels).", (24, 4096), deployment=True),
    Param("skip_initial_frames", 10, "Frames dropped after opening a webcam (the first ones can be black).", (0, 300)),
    Param("background_frames", 3, "Frames averaged into the no-contact background.", (1, 100)),
    Param("contact_threshold", CONTACT_THRESHOLD, "Intensity change (0-255) that counts as contact.", (1.0, 255.0)),
    Param("contact_min_area", CONTACT_MIN_AREA, "Fraction of the pad that must change to report contact.", (0.0, 1.0)),
    Param("up_in_image", "+u", "Which way is up the finger in this sensor's images (the mount): +u along the "
          "columns, -u, +v down the rows, -v. The markers' upward motion (TactileContact.marker_motion_up) is "
          "read along it.", choices=tuple(UP_DIRECTIONS), deployment=True),
    Param("stale_timeout", 1.0, "Report the stream stale after this long without a frame (steady s).", (0.05, 60.0)),
]
