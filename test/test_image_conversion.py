import numpy as np
import pytest
from sensor_msgs.msg import Image

from visuotactile_grasp.image_decoding import ImageConversionError
from visuotactile_grasp.ros.image_conversion import have_cv_bridge, image_to_numpy, numpy_to_image

CASES = [("rgb8", np.uint8, (4, 5, 3)), ("bgr8", np.uint8, (4, 5, 3)), ("mono8", np.uint8, (4, 5)),
         ("16UC1", np.uint16, (4, 5)), ("32FC1", np.float32, (4, 5))]


@pytest.mark.parametrize("encoding,dtype,shape", CASES)
def test_roundtrip_fallback(encoding, dtype, shape):
    rng = np.random.default_rng(0)
    array = (rng.random(shape) * 1000).astype(dtype)
    msg = numpy_to_image(array, encoding, use_cv_bridge=False)
    assert msg.encoding == encoding and msg.height == 4 and msg.width == 5
    np.testing.assert_array_equal(image_to_numpy(msg, use_cv_bridge=False), array)


@pytest.mark.skipif(not have_cv_bridge(), reason="cv_bridge not installed here (the robot has it)")
@pytest.mark.parametrize("encoding,dtype,shape", CASES)
def test_roundtrip_cv_bridge_matches_fallback(encoding, dtype, shape):
    array = (np.random.default_rng(1).random(shape) * 200).astype(dtype)
    msg = numpy_to_image(array, encoding, use_cv_bridge=True)
    np.testing.assert_array_equal(image_to_numpy(msg, use_cv_bridge=False), array)


def test_row_padding_is_respected():
    msg = Image(height=2, width=3, encoding="mono8", step=4)
    msg.data = bytes([1, 2, 3, 99, 4, 5, 6, 99])
    np.testing.assert_array_equal(image_to_numpy(msg, use_cv_bridge=False), [[1, 2, 3], [4, 5, 6]])


def test_big_endian_16bit():
    msg = Image(height=1, width=2, encoding="16UC1", step=4, is_bigendian=1)
    msg.data = bytes([0x01, 0x02, 0x00, 0x10])
    np.testing.assert_array_equal(image_to_numpy(msg, use_cv_bridge=False), [[0x0102, 0x0010]])


@pytest.mark.parametrize("field,value,match", [
    ("step", 5, "step"), ("encoding", "yuv422_weird", "unsupported"), ("height", 0, "no pixels")])
def test_malformed_images_are_rejected(field, value, match):
    msg = numpy_to_image(np.zeros((3, 4, 3), np.uint8), "rgb8", use_cv_bridge=False)
    setattr(msg, field, value)
    with pytest.raises(ImageConversionError, match=match):
        image_to_numpy(msg, use_cv_bridge=False)


def test_short_data_rejected():
    msg = numpy_to_image(np.zeros((3, 4), np.float32), "32FC1", use_cv_bridge=False)
    msg.data = bytes(msg.data)[:-3]
    with pytest.raises(ImageConversionError, match="needs"):
        image_to_numpy(msg, use_cv_bridge=False)


def test_array_encoding_mismatch_rejected():
    with pytest.raises(ImageConversionError):
        numpy_to_image(np.zeros((3, 4), np.float64), "32FC1", use_cv_bridge=False)
    with pytest.raises(ImageConversionError):
        numpy_to_image(np.zeros((3, 4, 3), np.uint8), "mono8", use_cv_bridge=False)
