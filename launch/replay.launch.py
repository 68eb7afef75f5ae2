"""ros2 launch visuotactile_grasp replay.launch.py [sim:=true] — the replay graph from visuotactile_grasp.graph."""
from visuotactile_grasp.graph.launch_adapter import launch_description


def generate_launch_description():
    return launch_description("replay")
