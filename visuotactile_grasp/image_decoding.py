"""sensor_msgs/Image -> numpy without ROS: the encodings this project uses, checks, decoding.

Works on any object with an Image's fields (rclpy's messages and rosbags' alike), so the pure cores
(bags/replay.py) decode images without importing ros/. ros/image_conversion.py adds cv_bridge and
building messages.
"""
from __future__ import annotations

import numpy as np

# encoding -> (dtype, channels)
ENCODINGS: dict[str, tuple[np.dtype, int]] = {
    "rgb8": (np.dtype(np.uint8), 3),
    "bgr8": (np.dtype(np.uint8), 3),
    "mono8": (np.dtype(np.uint8), 1),
    "16UC1": (np.dtype(np.uint16), 1),
    "mono16": (np.dtype(np.uint16), 1),
    "32FC1": (np.dtype(np.float32), 1),
}


class ImageConversionError(ValueError):
    """A sensor_msgs/Image whose fields do not describe its data.

    cause: a short fixed name of what is wrong ("encoding", "dimensions", "step", "data size"), so
    callers can throttle their reports per cause; the message says the details."""

    def __init__(self, message: str, cause: str = "image") -> None:
        super().__init__(message)
        self.cause = cause


def check_image(msg) -> None:
    """Raise ImageConversionError unless msg's encoding, dimensions, step and data length agree.

    Only reads the header fields and the data's length: a message claiming 100000 x 100000 pixels
    with a few bytes of data is rejected without allocating anything."""
    if msg.encoding not in ENCODINGS:
        raise ImageConversionError(
            f"unsupported image encoding {msg.encoding!r}; expected one of {sorted(ENCODINGS)}", "encoding")
    dtype, channels = ENCODINGS[msg.encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageConversionError(f"image has no pixels ({width}x{height})", "dimensions")
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageConversionError(
            f"step {step} is shorter than a {msg.encoding} row of width {width} ({row_bytes} bytes)", "step")
    if len(msg.data) != step * height:
        raise ImageConversionError(
            f"image data has {len(msg.data)} bytes, {msg.encoding} {width}x{height} with step {step} "
            f"needs {step * height}", "data size")


def decode_image(msg) -> np.ndarray:
    """Return an (H, W) or (H, W, C) array that owns its memory."""
    check_image(msg)
    dtype, channels = ENCODINGS[msg.encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    row_bytes = width * channels * dtype.itemsize
    data = bytes(msg.data) if not isinstance(msg.data, (bytes, bytearray)) else msg.data
    big_endian = bool(msg.is_bigendian)
    dt = dtype.newbyteorder(">" if big_endian else "<") if dtype.itemsize > 1 else dtype
    rows = np.frombuffer(data, dtype=np.uint8, count=step * height).reshape(height, step)
    pixels = rows[:, :row_bytes].copy().view(dt)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape).astype(dtype, copy=False)
