"""Build launch_ros Nodes from the graph definition (used by launch/*.launch.py on the robot)."""
from __future__ import annotations

from .. import PACKAGE_NAME
from ..paths import config_dir
from .modes import build_graph


def launch_description(mode: str):
    from launch import LaunchDescription
    from launch.actions import DeclareLaunchArgument, OpaqueFunction
    from launch.substitutions import LaunchConfiguration

    def make_nodes(context, *args, **kwargs):
        from launch_ros.actions import Node

        sim = LaunchConfiguration("sim").perform(context).lower() in ("1", "true", "yes")
        bag = LaunchConfiguration("bag").perform(context)
        dataset_dir = LaunchConfiguration("dataset_dir").perform(context)
        overrides = {"data_collector": {"dataset_dir": dataset_dir}} if mode == "collect" and dataset_dir else {}
        record = LaunchConfiguration("record").perform(context)
        graph = build_graph(mode, sim=sim, bag=bag, overrides=overrides, record=record)
        cfg = config_dir()
        nodes = []
        for spec in graph.nodes:
            parameters = [str(p) for p in spec.parameter_paths(cfg)] + ([spec.parameters] if spec.parameters else [])
            nodes.append(Node(package=PACKAGE_NAME, executable=spec.executable, name=spec.name, output="screen",
                              parameters=parameters))
        return nodes

    return LaunchDescription([
        DeclareLaunchArgument("sim", default_value="false",
                              description="true: start the simulated cell and use sim time"),
        DeclareLaunchArgument("bag", default_value="", description="replay mode: bag to play"),
        DeclareLaunchArgument("record", default_value="",
                              description="a new bag folder: record every topic the graph publishes (MCAP)"),
        DeclareLaunchArgument("dataset_dir", default_value="",
                              description="collect mode: the data collector writes its records here"),
        OpaqueFunction(function=make_nodes),
    ])
