"""Rewrite the build machine's include paths baked into the ROS wheels' CMake files.

The ros-* wheels on PyPI export CMake targets whose include directories point at
the machine they were built on (/opt/python/cp311-cp311/...). rosidl's Python
generator links against those targets, so cmake fails until they point at this
interpreter's Python headers and numpy's headers. Idempotent.
"""
import pathlib
import re
import sys
import sysconfig

import numpy


def main(prefix: str) -> int:
    python_include = sysconfig.get_paths()["include"]
    numpy_include = numpy.get_include()
    # numpy's include dir must be replaced before the Python one it starts with.
    numpy_pattern = re.compile(r"/opt/python/[^;\"]*?/site-packages/numpy/[^;\"]*include")
    python_pattern = re.compile(r"/opt/python/[^;\"/]+/include/python3\.\d+")
    changed = 0
    for path in pathlib.Path(prefix, "share").glob("*/cmake/*.cmake"):
        text = path.read_text()
        if "/opt/python/" not in text:
            continue
        new = python_pattern.sub(python_include, numpy_pattern.sub(numpy_include, text))
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"fix_ros_cmake_paths: {changed} CMake file(s) rewritten under {prefix}/share")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else sys.prefix))
