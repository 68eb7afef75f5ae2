#!/usr/bin/env bash
# Build this repository with colcon as a ROS 2 workspace would: both packages,
# visuotactile_grasp_msgs (msg/, ament_cmake) and visuotactile_grasp (ament_python).
# colcon stops descending at a package folder, so the msg/ package is named explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
WS=$(mktemp -d /tmp/vtg_ws.XXXXXX)
mkdir -p "$WS/src"
ln -s "$ROOT" "$WS/src/visuotactile_grasp"
export AMENT_PREFIX_PATH=$VENV CMAKE_PREFIX_PATH=$VENV PATH=$VENV/bin:$PATH
cd "$WS"
colcon build --base-paths src/visuotactile_grasp src/visuotactile_grasp/msg \
  --cmake-args -DPython3_EXECUTABLE="$VENV/bin/python" -DBUILD_TESTING=OFF \
  --event-handlers console_direct- 2>&1 | tail -20
test -f install/visuotactile_grasp_msgs/share/visuotactile_grasp_msgs/package.xml
test -x install/visuotactile_grasp/lib/visuotactile_grasp/gelsight_node
test -f install/visuotactile_grasp/share/visuotactile_grasp/launch/grasp.launch.py
echo "colcon build OK in $WS"
rm -rf "$WS"
