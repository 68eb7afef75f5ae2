"""ros2 launch visuotactile_grasp grasp.launch.py [sim:=true] — the grasp graph from visuotactile_grasp.graph."""
from visuotactile_grasp.graph.launch_adapter import launch_description


def generate_launch_description():
    return launch_description("grasp")
