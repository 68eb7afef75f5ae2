"""sensor_msgs/Image <-> numpy, through cv_bridge when it is importable.

The robot has cv_bridge; this machine cannot install it. The fallback (image_decoding.py, no ROS)
handles the encodings this project uses and rejects malformed messages with a clear error instead
of a garbled array.
"""
from __future__ import annotations

import numpy as np

from ..image_decoding import ENCODINGS, ImageConversionError, check_image, decode_image

try:  # pragma: no cover - depends on the installation
    from cv_bridge import CvBridge as _CvBridge
    _BRIDGE = _CvBridge()
except ImportError:  # this machine: no cv_bridge
    _BRIDGE = None


def have_cv_bridge() -> bool:
    return _BRIDGE is not None


def image_to_numpy(msg, use_cv_bridge: bool | None = None) -> np.ndarray:
    """Return an (H, W) or (H, W, C) array that owns its memory."""
    if (_BRIDGE is not None) if use_cv_bridge is None else use_cv_bridge:
        check_image(msg)
        if _BRIDGE is None:
            raise ImageConversionError("cv_bridge requested but not installed")
        return np.array(_BRIDGE.imgmsg_to_cv2(msg, desired_encoding="passthrough"), copy=True)
    return decode_image(msg)


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
