"""The grasp attempt and the collection trial are each written once (procedure/), over a cell
interface that the graph's cells and the bare cells implement in full."""
import inspect
import re
from pathlib import Path

import pytest

from visuotactile_grasp.collection.direct import BareTrialCell
from visuotactile_grasp.evaluation.bare_cell import BareGraspCell
from visuotactile_grasp.procedure.attempt import GraspCell
from visuotactile_grasp.procedure.trial import TrialCell

PACKAGE = Path(__file__).resolve().parents[1] / "visuotactile_grasp"


def _methods(protocol) -> dict:
    return {name: inspect.signature(fn) for name, fn in vars(protocol).items()
            if callable(fn) and not name.startswith("_")}


def _ros_cells():
    pytest.importorskip("rclpy")
    from visuotactile_grasp.ros.grasp_cell import RosGraspCell
    from visuotactile_grasp.ros.trial_cell import RosTrialCell
    return RosGraspCell, RosTrialCell


@pytest.mark.parametrize("protocol, which", [(GraspCell, 0), (TrialCell, 1)])
def test_both_cells_implement_the_whole_interface(protocol, which):
    bare = (BareGraspCell, BareTrialCell)[which]
    ros = _ros_cells()[which]
    for cls in (bare, ros):
        for name, sig in _methods(protocol).items():
            assert hasattr(cls, name), f"{cls.__name__} lacks {name}"
            assert list(inspect.signature(getattr(cls, name)).parameters) == list(sig.parameters), \
                f"{cls.__name__}.{name} differs from {protocol.__name__}.{name}"


def test_the_loops_live_in_procedure_alone():
    """The regrasp loop (plan, then lift or regrasp) and the trial's step order appear once."""
    decide = [p for p in PACKAGE.rglob("*.py") if re.search(r"\bcell\.decide\(", p.read_text())]
    assert [p.relative_to(PACKAGE).as_posix() for p in decide] == ["procedure/attempt.py"]
    plan_trial = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                  if re.search(r"\bplan_trial\(", p.read_text()) and p.name != "trial.py"]
    assert plan_trial == [], plan_trial  # only collection/trial.py defines it, procedure/trial.py calls it
    callers = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if re.search(r"import run_trial|import run_attempt|run_trial as|run_attempt as", p.read_text())}
    assert {"nodes/grasp_executive_node.py", "nodes/data_collector_node.py", "collection/direct.py",
            "evaluation/attempt.py"} <= callers, callers
