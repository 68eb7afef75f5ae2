"""Frame sources for a GelSight sensor, behind one interface: connect / read / disconnect.

- "v4l2:/dev/video0" (or "v4l2:0"): the USB webcam, 1280x960 MJPEG at 30 Hz natively;
- "file:/path/video.mp4": a recorded video, looped;
- "folder:/path/dir": a folder of images (png/jpg), looped in name order.
The simulator's stream arrives over a ROS topic and needs no source here.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


class SourceError(RuntimeError):
    pass


class FrameSource:
    """A GelSight frame stream (devices.base.Device, plus read())."""

    _open = False

    @property
    def connected(self) -> bool:
        return self._open

    def connect(self) -> None:
        self._open = True

    def read(self) -> np.ndarray:
        """Next RGB uint8 frame; raises SourceError when none can be had."""
        raise NotImplementedError

    def disconnect(self) -> None:
        self._open = False


class VideoSource(FrameSource):
    def __init__(self, target, width: int, height: int, fps: float, loop: bool) -> None:
        self.target, self.width, self.height, self.fps, self.loop = target, width, height, fps, loop
        self.cap: cv2.VideoCapture | None = None

    def connect(self) -> None:
        self.cap = cv2.VideoCapture(self.target)
        if not self.cap.isOpened():
            raise SourceError(f"cannot open GelSight source {self.target!r}")
        if isinstance(self.target, int) or str(self.target).startswith("/dev/"):
            self.cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            self.cap.set(cv2.CAP_PROP_FPS, self.fps)
        super().connect()

    def read(self) -> np.ndarray:
        if self.cap is None:
            raise SourceError("source not connected")
        ok, frame = self.cap.read()
        if not ok and self.loop:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        if not ok or frame is None:
            raise SourceError(f"no frame from {self.target!r}")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def disconnect(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None
        super().disconnect()


class FolderSource(FrameSource):
    def __init__(self, folder: str) -> None:
        self.paths = sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        self.index = 0

    def connect(self) -> None:
        if not self.paths:
            raise SourceError("image folder holds no .png/.jpg files")
        super().connect()

    def read(self) -> np.ndarray:
        path = self.paths[self.index % len(self.paths)]
        self.index += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise SourceError(f"cannot decode image {path}")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


# The GelSight webcams as the paper ran them
GELSIGHT_WIDTH, GELSIGHT_HEIGHT, GELSIGHT_FPS = 1280, 960, 30.0


def open_source(spec: str, width: int = GELSIGHT_WIDTH, height: int = GELSIGHT_HEIGHT,
                fps: float = GELSIGHT_FPS) -> FrameSource:
    kind, _, target = spec.partition(":")
    if kind == "v4l2":
        return VideoSource(int(target) if target.isdigit() else target, width, height, fps, loop=False)
    if kind == "file":
        return VideoSource(target, width, height, fps, loop=True)
    if kind == "folder":
        return FolderSource(target)
    raise SourceError(f"unknown GelSight source {spec!r}; use v4l2:DEVICE, file:PATH, folder:PATH or topic")
