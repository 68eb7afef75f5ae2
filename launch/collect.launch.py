"""ros2 launch visuotactile_grasp collect.launch.py [sim:=true] — the collect graph from visuotactile_grasp.graph."""
from visuotactile_grasp.graph.launch_adapter import launch_description


def generate_launch_description():
    return launch_description("collect")
