"""sensor_msgs/Image <-> numpy, through cv_bridge when it is importable.

The robot has cv_bridge; this machine cannot install it. The fallback handles
the encodings this project uses and rejects malformed messages with a clear
error instead of a garbled array.
"""
from __future__ import annotations

import numpy as np

try:  # pragma: no cover - depends on the installation
    from cv_bridge import CvBridge as _CvBridge
    _BRIDGE = _CvBridge()
except ImportError:  # this machine: no cv_bridge
    _BRIDGE = None

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


def have_cv_bridge() -> bool:
    return _BRIDGE is not None


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


def image_to_numpy(msg, use_cv_bridge: bool | None = None) -> np.ndarray:
    """Return an (H, W) or (H, W, C) array that owns its memory."""
    check_image(msg)
    dtype, channels = ENCODINGS[msg.encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    row_bytes = width * channels * dtype.itemsize
    if (_BRIDGE is not None) if use_cv_bridge is None else use_cv_bridge:
        if _BRIDGE is None:
            raise ImageConversionError("cv_bridge requested but not installed")
        return np.array(_BRIDGE.imgmsg_to_cv2(msg, desired_encoding="passthrough"), copy=True)
    data = bytes(msg.data) if not isinstance(msg.data, (bytes, bytearray)) else msg.data
    big_endian = bool(msg.is_bigendian)
    dt = dtype.newbyteorder(">" if big_endian else "<") if dtype.itemsize > 1 else dtype
    rows = np.frombuffer(data, dtype=np.uint8, count=step * height).reshape(height, step)
    pixels = rows[:, :row_bytes].copy().view(dt)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape).astype(dtype, copy=False)


def numpy_to_image(array: np.ndarray, encoding: str, header=None, use_cv_bridge: bool | None = None):
    """Build a sensor_msgs/Image from an array whose dtype and shape fit encoding."""
    from sensor_msgs.msg import Image

    if encoding not in ENCODINGS:
        raise ImageConversionError(f"unsupported image encoding {encoding!r}")
    dtype, channels = ENCODINGS[encoding]
    array = np.asarray(array)
    expected_ndim = 2 if channels == 1 else 3
    if array.ndim != expected_ndim or (channels > 1 and array.shape[2] != channels):
        raise ImageConversionError(f"array of shape {array.shape} does not fit encoding {encoding}")
    if array.dtype != dtype:
        raise ImageConversionError(f"array dtype {array.dtype} does not fit encoding {encoding} ({dtype})")
    if (_BRIDGE is not None) if use_cv_bridge is None else use_cv_bridge:
        if _BRIDGE is None:
            raise ImageConversionError("cv_bridge requested but not installed")
        msg = _BRIDGE.cv2_to_imgmsg(np.ascontiguousarray(array), encoding=encoding)
    else:
        array = np.ascontiguousarray(array.astype(dtype.newbyteorder("<"), copy=False))
        msg = Image()
        msg.height, msg.width = int(array.shape[0]), int(array.shape[1])
        msg.encoding = encoding
        msg.is_bigendian = 0
        msg.step = int(msg.width * channels * dtype.itemsize)
        msg.data = array.tobytes()
    if header is not None:
        msg.header = header
    return msg
