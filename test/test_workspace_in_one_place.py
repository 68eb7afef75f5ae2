"""A newcomer moves the workspace in one place, config/workspace.yaml, and the planner, the arm node and
the simulated cell all follow.

The yaml, not devices/sawyer/limits.WORKSPACE_*, is the place a user edits: the constant is only the code's
default (test_config_params pins the shipped yaml equal to it), while the yaml is what every reader takes
last, the ROS nodes through their parameter files and the ROS-free readers (bare cells, evaluation, replay)
through param_files.node_params, which merges the same files. The edit is made on a copy of config/."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from visuotactile_grasp import param_files
from visuotactile_grasp.devices.sawyer.limits import WORKSPACE_UPPER, ArmLimits, GoalRejected
from visuotactile_grasp.graph import build_graph
from visuotactile_grasp.planning.regrasp import planner_candidates
from visuotactile_grasp.planning.step import planner_limits
from visuotactile_grasp.sim.cell import CellConfig, Workspace, deployed_workspace
from visuotactile_grasp.sim.kinematic_cell import KinematicCell

LOWER, UPPER = (0.30, -0.40, 0.0), (0.95, 0.40, 0.65)  # the newcomer's box: larger than the shipped one
BEYOND_SHIPPED = np.array([0.93, 0.38, 0.3, 0.0])  # inside the new box only
BEYOND_NEW = np.array([0.97, 0.0, 0.3, 0.0])


@pytest.fixture
def edited_config(tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(param_files.config_dir(), config)
    data = yaml.safe_load((config / "workspace.yaml").read_text())
    data["/**"]["ros__parameters"].update(workspace_lower=list(LOWER), workspace_upper=list(UPPER))
    (config / "workspace.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setattr(param_files, "config_dir", lambda: config)
    return config


def test_one_edit_moves_planner_arm_and_simulator(edited_config):
    assert not Workspace().contains(BEYOND_SHIPPED[:3]) and BEYOND_SHIPPED[0] > WORKSPACE_UPPER[0]
    # ROS: each of the three nodes is started with the edited file
    for mode in ("grasp", "collect"):
        for spec in build_graph(mode, sim=True).nodes:
            if spec.name in ("regrasp_planner", "sawyer_arm", "sim_cell"):
                assert edited_config / "workspace.yaml" in spec.parameter_paths(edited_config), spec.name
    # the planner clamps its targets into the new box, its candidates stay in it
    limits = planner_limits()
    assert (limits.workspace_lower, limits.workspace_upper) == (LOWER, UPPER)
    assert (planner_candidates()["workspace_lower"], planner_candidates()["workspace_upper"]) == (LOWER, UPPER)
    # the arm node accepts goals in the new box and refuses goals outside it
    arm = ArmLimits.from_params(param_files.node_params("sawyer_arm"))
    arm.resolve_goal(np.full(4, np.nan), BEYOND_SHIPPED, relative=False)
    with pytest.raises(GoalRejected):
        arm.resolve_goal(np.full(4, np.nan), BEYOND_NEW, relative=False)
    # the simulated cell: the graph's node and the bare cells of evaluation and collection
    assert Workspace.from_params(param_files.node_params("sim_cell")) == deployed_workspace()
    cell = KinematicCell(CellConfig(objects="v1", workspace=deployed_workspace()))  # its one library
    cell.command_ee(BEYOND_SHIPPED)
    with pytest.raises(ValueError, match="outside workspace"):
        cell.command_ee(BEYOND_NEW)


def test_the_shipped_files_give_the_code_default():
    assert param_files.config_dir() == Path(__file__).resolve().parents[1] / "config"
    assert deployed_workspace() == Workspace()
    with pytest.raises(GoalRejected):
        ArmLimits.from_params(param_files.node_params("sawyer_arm")).resolve_goal(
            np.full(4, np.nan), BEYOND_SHIPPED, relative=False)
