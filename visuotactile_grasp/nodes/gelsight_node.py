"""One GelSight sensor (run twice: left and right).

Reads frames from the webcam, a video, an image folder, or the simulator's
topic; keeps the no-contact background (captured at start and on request);
publishes the raw image, the background-subtracted image the model uses, and
the contact state (with how far the markers moved up the finger); reports latency and dropped frames on /diagnostics.
"""
from __future__ import annotations

import threading
import time

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from sensor_msgs.msg import Image
from visuotactile_grasp_msgs.msg import TactileContact
from visuotactile_grasp_msgs.srv import CaptureBackground

from .. import topics
from ..graph import interfaces
from ..devices.gelsight.sources import SourceError, open_source
from ..perception.markers import UP_DIRECTIONS, find_dots, vertical_motion
from ..perception.tactile import detect_contact, difference_image
from ..ros import qos
from ..ros.clocks import node_now, steady_timer
from ..ros.declared_node import DeclaredNode
from ..ros.diagnostics import ERROR, OK, WARN, Diagnostics
from ..image_decoding import ImageConversionError
from ..ros.image_conversion import image_to_numpy, numpy_to_image
from ..ros.input_checks import CauseLog, stamp_ahead
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.gelsight import PARAMS
from ..stamps import stamp_seconds



class GelSightNode(DeclaredNode):
    def __init__(self) -> None:
        super().__init__("gelsight")
        self.p = declare_params(self, PARAMS)
        if self.p.side not in topics.SIDES:
            raise ValueError(f"side must be one of {topics.SIDES}, got {self.p.side!r}")
        side = self.p.side
        self.declare_interface(interfaces.gelsight_node(side))
        self.raw_pub = self.create_publisher(Image, topics.gelsight(side, "image_raw"), qos.IMAGE)
        self.diff_pub = self.create_publisher(Image, topics.gelsight(side, "image_diff"), qos.IMAGE)
        self.contact_pub = self.create_publisher(TactileContact, topics.gelsight(side, "contact"), qos.RELIABLE)
        # own callback group: the service waits for frames that the subscription delivers
        self.create_service(CaptureBackground, topics.gelsight(side, "capture_background"), self.on_capture,
                            callback_group=MutuallyExclusiveCallbackGroup())
        self.diag = Diagnostics(self, f"gelsight_{side}", f"gelsight_{side}")
        self.lock = threading.Lock()
        self.background: np.ndarray | None = None
        self.background_dots: np.ndarray | None = None  # the markers at rest, found once per background
        self.pending_background: list[np.ndarray] = []
        self.capture_requested = True  # capture once at start
        self.frames = self.dropped = 0
        self.latency_sum, self.latency_frames = 0.0, 0
        self.last_frame_wall: float | None = None
        self.source = None
        self.bad_input = CauseLog(self.get_logger())
        self._stop = threading.Event()
        if self.p.source == "topic":
            self.create_subscription(Image, topics.gelsight_raw_source(side), self.on_image, qos.IMAGE)
        else:
            self.source = open_source(self.p.source, self.p.width, self.p.height, self.p.frame_rate)
            self._thread = threading.Thread(target=self._capture_loop, daemon=True)
            self._thread.start()
        steady_timer(self, 1.0, self.report)

    # inputs ------------------------------------------------------------------
    def on_image(self, msg: Image) -> None:
        problem = stamp_ahead(msg.header.stamp, node_now(self))
        if problem is not None:
            self.dropped += 1
            self.bad_input.problem(problem, "GelSight image dropped")
            return
        try:
            frame = image_to_numpy(msg)
        except ImageConversionError as exc:
            self.dropped += 1
            self.bad_input(exc.cause, f"malformed GelSight image: {exc}")
            return
        if frame.ndim != 3:
            self.dropped += 1
            self.bad_input("not colour", f"GelSight image must be colour, got {msg.encoding}")
            return
        if msg.encoding == "bgr8":
            frame = frame[..., ::-1]
        self.process(frame, msg.header)

    def _capture_loop(self) -> None:
        try:
            self.source.connect()
            for _ in range(self.p.skip_initial_frames):
                self.source.read()
        except SourceError as exc:
            self.get_logger().error(str(exc))
            self.diag.publish(ERROR, str(exc))
            return
        period = 1.0 / self.p.frame_rate
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                frame = self.source.read()
            except SourceError as exc:  # a V4L2 select() timeout, say: count it, keep going
                self.dropped += 1
                self.get_logger().warning(str(exc), throttle_duration_sec=5.0)
            else:
                header = Image().header
                header.stamp = self.get_clock().now().to_msg()
                header.frame_id = f"gelsight_{self.p.side}"
                self.process(frame, header)
            time.sleep(max(0.0, period - (time.monotonic() - t0)))

    # processing ------------------------------------------------------------------
    def process(self, frame: np.ndarray, header) -> None:
        self.frames += 1
        self.last_frame_wall = time.monotonic()
        with self.lock:
            if self.capture_requested:
                self.pending_background.append(frame.astype(np.float32))
                if len(self.pending_background) >= self.p.background_frames:
                    self.background = np.mean(self.pending_background, axis=0).round().astype(np.uint8)
                    self.background_dots = find_dots(self.background)
                    self.pending_background, self.capture_requested = [], False
            background, background_dots = self.background, self.background_dots
        self.raw_pub.publish(numpy_to_image(frame, "rgb8", header))
        if background is None:
            return
        if background.shape != frame.shape:
            self.get_logger().error("frame size changed; recapturing the background", throttle_duration_sec=5.0)
            with self.lock:
                self.capture_requested = True
            return
        self.diff_pub.publish(numpy_to_image(difference_image(frame, background), "rgb8", header))
        c = detect_contact(frame, background, self.p.contact_threshold, self.p.contact_min_area)
        # every frame, in contact or not, as bare cells measure it (3 ms at 320 px, 15 ms at 1280 x 960)
        up = vertical_motion(background, frame, UP_DIRECTIONS[self.p.up_in_image], reference_dots=background_dots)
        msg = TactileContact(header=header, sensor=self.p.side, in_contact=c.in_contact, contact_area=c.area,
                             centroid_u=c.centroid_u, centroid_v=c.centroid_v, intensity=c.intensity,
                             marker_motion_up=up)
        self.contact_pub.publish(msg)
        # stamp to published contact, on every source (the camera paths stamp at capture)
        self.latency_sum += max(0.0, node_now(self) - stamp_seconds(header.stamp))
        self.latency_frames += 1

    def on_capture(self, request, response):
        with self.lock:
            self.capture_requested = True
            self.pending_background = []
        ok = self._wait_background(timeout_s=2.0)
        response.success = ok
        response.message = "background captured" if ok else "no frames arrived to capture a background"
        return response

    def _wait_background(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if not self.capture_requested:
                    return True
            time.sleep(0.01)
        return False

    def report(self) -> None:
        stale = self.last_frame_wall is None or time.monotonic() - self.last_frame_wall > self.p.stale_timeout
        latency = self.latency_sum / self.latency_frames if self.latency_frames else float("nan")
        values = {"frames": self.frames, "dropped": self.dropped, "mean_latency_s": f"{latency:.6f}"}
        if stale:
            self.diag.publish(WARN, "GelSight stream stale", **values)
        else:
            self.diag.publish(OK, "streaming", **values)

    def on_shutdown(self) -> None:
        self._stop.set()
        if self.source is not None:
            self.source.disconnect()


def main(args=None) -> int:
    return run_node(GelSightNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
