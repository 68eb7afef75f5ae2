"""The launch files build launch_ros Nodes whose executables and parameter files exist.

launch and launch_ros cannot be installed here, so minimal stand-ins record what
the launch files ask for; the real ones on the robot take the same calls.
"""
import runpy
import shutil
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class _Recorder:
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class _LaunchConfiguration:
    def __init__(self, name):
        self.name = name

    def perform(self, context):
        return context.launch_configurations[self.name]


@pytest.fixture
def fake_launch(monkeypatch):
    launch = types.ModuleType("launch")
    launch.LaunchDescription = lambda entities: list(entities)
    actions = types.ModuleType("launch.actions")
    actions.DeclareLaunchArgument = _Recorder
    actions.OpaqueFunction = _Recorder
    subs = types.ModuleType("launch.substitutions")
    subs.LaunchConfiguration = _LaunchConfiguration
    launch_ros = types.ModuleType("launch_ros")
    ros_actions = types.ModuleType("launch_ros.actions")
    ros_actions.Node = _Recorder
    for name, mod in {"launch": launch, "launch.actions": actions, "launch.substitutions": subs,
                      "launch_ros": launch_ros, "launch_ros.actions": ros_actions}.items():
        monkeypatch.setitem(sys.modules, name, mod)


def _nodes(launch_file, sim, dataset_dir=""):
    description = runpy.run_path(str(launch_file))["generate_launch_description"]()
    args = {e.args[0]: e.kwargs.get("default_value") for e in description if "default_value" in e.kwargs}
    assert "sim" in args
    opaque = [e for e in description if "function" in e.kwargs][0]
    context = types.SimpleNamespace(launch_configurations={"sim": "true" if sim else "false", "bag": "x.mcap",
                                                                "dataset_dir": dataset_dir, "record": ""})
    return opaque.kwargs["function"](context)


@pytest.mark.parametrize("mode", ["grasp", "collect", "replay"])
@pytest.mark.parametrize("sim", [True, False])
def test_launch_file_names_existing_executables_and_params(fake_launch, mode, sim):
    nodes = _nodes(ROOT / "launch" / f"{mode}.launch.py", sim)
    assert nodes
    setup_py = (ROOT / "setup.py").read_text()
    for node in nodes:
        kw = node.kwargs
        assert kw["package"] == "visuotactile_grasp"
        assert f'"{kw["executable"]}"' in setup_py, f"{kw['executable']} is not a console script"
        assert shutil.which(kw["executable"], path=str(Path(sys.executable).parent)), kw["executable"]
        for param in kw["parameters"]:
            if isinstance(param, str):
                assert Path(param).is_file(), param
    names = [n.kwargs["name"] for n in nodes]
    assert len(names) == len(set(names))
    assert ("sim_cell" in names) == (sim and mode != "replay")


def test_collect_launch_passes_the_dataset_folder_to_the_collector(fake_launch):
    nodes = _nodes(ROOT / "launch" / "collect.launch.py", sim=False, dataset_dir="/data/run1")
    collector = [n for n in nodes if n.kwargs["name"] == "data_collector"][0]
    assert {"dataset_dir": "/data/run1"} in collector.kwargs["parameters"]
