"""ros2 launch visuotactile_grasp collect.launch.py [sim:=true] dataset_dir:=DIR — the collect graph.

The graph comes from visuotactile_grasp.graph; send trials to /data_collector/collect_trial.
"""
from visuotactile_grasp.graph.launch_adapter import launch_description


def generate_launch_description():
    return launch_description("collect")
