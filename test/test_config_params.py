"""Every parameter file in config/ sets only declared parameters, with values that fit them."""
import importlib
import re
from pathlib import Path

import pytest
import yaml

from visuotactile_grasp.graph import MODES, build_graph
from visuotactile_grasp.ros.params import descriptor
from visuotactile_grasp.settings import declared

CONFIG = Path(__file__).resolve().parent.parent / "config"
SETUP_PY = (Path(__file__).resolve().parent.parent / "setup.py").read_text()


def _node_params(executable):
    return declared(executable)


def _own(node):
    """What config/<node>.yaml sets for node (nothing when the file leaves every declared default)."""
    data = yaml.safe_load((CONFIG / f"{node}.yaml").read_text()) or {}
    return (data.get(node) or {}).get("ros__parameters") or {}


def _all_specs():
    seen = {}
    for mode in MODES:
        for sim in (True, False):
            for spec in build_graph(mode, sim=sim, record="bag").nodes:
                seen[(spec.name, spec.parameter_files)] = spec
    return list(seen.values())


@pytest.mark.parametrize("spec", _all_specs(), ids=lambda s: f"{s.name}:{'+'.join(s.parameter_files)}")
def test_parameter_files_match_declarations(spec):
    declared = _node_params(spec.executable)
    for filename in spec.parameter_files:
        data = yaml.safe_load((CONFIG / filename).read_text()) or {}
        for section in (spec.name, "/**"):
            values = (data.get(section) or {}).get("ros__parameters") or {}
            for key, value in values.items():
                if key == "use_sim_time":
                    continue
                assert key in declared, f"{filename}: {spec.name}.{key} is not declared by {spec.executable}"
                if not isinstance(value, list):
                    declared[key].check(value)
    for key in spec.parameters:
        assert key in declared


@pytest.mark.parametrize("spec", _all_specs(), ids=lambda s: f"{s.name}:{'+'.join(s.parameter_files)}")
def test_parameter_files_hold_deployment_values_and_changes_only(spec):
    """A node's section states its deployment values (Param.deployment: addresses, devices, frames) and
    what differs from the declared default; a copy of a default would be a second source of it. (The
    shared `/**` files are the one place of their values; sim.yaml is the simulated graph's overlay.)"""
    declared_params = _node_params(spec.executable)
    for filename in spec.parameter_files:
        if filename == "sim.yaml":
            continue
        own = ((yaml.safe_load((CONFIG / filename).read_text()) or {}).get(spec.name) or {}).get("ros__parameters")
        for key, value in (own or {}).items():
            param = declared_params[key]
            # 30 repeats 30.0; True does not repeat 1
            repeats = value == param.default and isinstance(value, bool) == isinstance(param.default, bool)
            assert param.deployment or not repeats, f"{filename}: {spec.name}.{key} repeats its declared default"


def test_every_parameter_has_description_and_type():
    for path in Path(importlib.import_module("visuotactile_grasp.nodes").__file__).parent.glob("*_node.py"):
        for param in _node_params(path.stem).values():
            assert param.description.strip(), f"{path.stem}.{param.name} has no description"
            descriptor(param)  # raises for an untyped (empty list) default
            param.check(param.default)


def test_every_node_file_is_a_console_script():
    nodes = Path(importlib.import_module("visuotactile_grasp.nodes").__file__).parent
    for path in nodes.glob("*_node.py"):
        assert f'"{path.stem}": "{path.stem}"' in SETUP_PY, f"{path.stem} has no console script"


def test_no_deprecated_logger_warn():
    # rclpy's deprecated .warn() wrapper makes every call share one call site, so two calls
    # with different throttle settings raise ValueError and kill the node: use .warning().
    package = Path(importlib.import_module("visuotactile_grasp").__file__).parent
    offenders = [str(p) for p in package.rglob("*.py") if "get_logger().warn(" in p.read_text()]
    assert not offenders


def test_pure_cores_import_no_ros():
    """Thin nodes over pure cores: the protocol, perception, planning, the grasp procedure, the model,
    the simulator and the experiments never import rclpy or generated messages."""
    import re

    pure = ("devices", "perception", "planning", "procedure", "sim", "data", "collection", "model", "evaluation")
    pattern = re.compile(r"^\s*(?:from|import)\s+(rclpy|\w+_msgs|visuotactile_grasp_msgs)\b|^\s*from \.\.(ros|nodes)\b",
                         re.MULTILINE)
    root = Path(__file__).resolve().parents[1] / "visuotactile_grasp"
    files = [path for package in pure for path in sorted((root / package).rglob("*.py"))]
    assert len(files) > 40 and pattern.search("from rclpy.node import Node") and pattern.search("from ..ros import qos")
    offenders = [f"{path.relative_to(root)}: {m.group(0).strip()}" for path in files
                 for m in pattern.finditer(path.read_text())]
    assert not offenders, offenders


def test_a_string_parameter_outside_its_choices_is_refused():
    lift_rule = _node_params("regrasp_planner_node")["lift_rule"]
    lift_rule.check("paper")
    with pytest.raises(ValueError, match="not one of"):
        lift_rule.check("whenever")
    assert "reachable" in descriptor(lift_rule).additional_constraints


def _stray_copies(literal, homes: set[str]) -> list[str]:
    """file:line of every line of the package that matches literal, outside the files named in homes."""
    package = Path(importlib.import_module("visuotactile_grasp").__file__).parent
    return [f"{p.relative_to(package)}:{i + 1}" for p in package.rglob("*.py") for i, line in
            enumerate(p.read_text().splitlines()) if literal.search(line) and p.name not in homes]


def test_the_workspace_box_is_written_once():
    """One definition in code (devices/sawyer/limits.py), one deployment file (config/workspace.yaml,
    loaded by the arm and the planner): no stray copy of the box anywhere else in the package."""
    import re

    from visuotactile_grasp.devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER

    literal = re.compile(r"0\.35,\s*-0\.35|0\.90?,\s*0\.35,\s*0\.60?")
    assert not (stray := _stray_copies(literal, {"limits.py"})), stray
    shared = yaml.safe_load((CONFIG / "workspace.yaml").read_text())["/**"]["ros__parameters"]
    assert tuple(shared["workspace_lower"]) == WORKSPACE_LOWER and tuple(shared["workspace_upper"]) == WORKSPACE_UPPER
    for name in ("sawyer_arm", "regrasp_planner", "sim_cell"):
        assert "workspace_lower" not in _own(name)
        assert any("workspace.yaml" in s.parameter_files for s in _all_specs() if s.name == name)


def test_the_action_space_and_the_gripper_limits_are_written_once():
    """The regrasp action space (planning/action_space.py; config/action_space.yaml, loaded by the collector
    and the planner) and the WSG-50's force limits (devices/wsg50/model.py), two different quantities, each
    defined once: no stray copy of their numbers in the package, and no node file repeating them."""
    import re

    from visuotactile_grasp.devices.wsg50.model import WSG50_FORCE_RANGE
    from visuotactile_grasp.planning import action_space as a

    literal = re.compile(r"(?<![\d.])(5(\.0)?\s*,\s*40|[05](\.0)?\s*,\s*80)(\.0)?\b|force\w*\W+(40|80)(\.0)?\b"
                         r"|max_translation.*\W0\.02\b|max_rotation.*\W17(\.0)?\b")
    homes = {"action_space.py", "model.py"}  # planning/action_space.py, devices/wsg50/model.py
    assert not (stray := _stray_copies(literal, homes)), stray
    assert WSG50_FORCE_RANGE[0] <= a.GRIP_FORCE_RANGE[0] < a.GRIP_FORCE_RANGE[1] <= WSG50_FORCE_RANGE[1]
    shared = yaml.safe_load((CONFIG / "action_space.yaml").read_text())["/**"]["ros__parameters"]
    assert shared == {"force_range": list(a.GRIP_FORCE_RANGE), "max_translation": a.MAX_TRANSLATION,
                      "max_rotation_deg": a.MAX_ROTATION_DEG}
    for name in ("data_collector", "regrasp_planner", "wsg50_gripper"):
        own = _own(name)
        assert not {*shared, "min_force", "max_force"} & set(own), name
    for name in ("data_collector", "regrasp_planner"):
        assert any("action_space.yaml" in s.parameter_files for s in _all_specs() if s.name == name)


def test_the_lift_test_is_written_once():
    """The lift that labels a grasp (procedure/outcome.py; config/lift_test.yaml, loaded by the collector and
    the executive): the same test labels the data and the evaluated attempts."""
    import re

    from visuotactile_grasp.procedure.outcome import HOLD_TIME, LIFT_HEIGHT

    literal = re.compile(r"(lift_height|hold_time)\W[^(]*\b(0\.10?|4\.0)\b")
    assert not (stray := _stray_copies(literal, {"outcome.py"})), stray
    shared = yaml.safe_load((CONFIG / "lift_test.yaml").read_text())["/**"]["ros__parameters"]
    assert shared == {"lift_height": LIFT_HEIGHT, "hold_time": HOLD_TIME}
    for name in ("data_collector", "grasp_executive"):
        assert not set(shared) & set(_own(name))
        assert any("lift_test.yaml" in s.parameter_files for s in _all_specs() if s.name == name)


def test_the_grasp_procedure_is_written_once():
    """What the collector and the executive share is declared once (settings/trial_steps.TRIAL_PARAMS, defaults
    from planning/approach.py and the WSG-50's stroke); config/grasp_approach.yaml, loaded by both, is the one
    deployment file of what the bare cells read too. The yaw ranges stay two on purpose (the executive's
    1.5708, pi/2 rounded, is what every shipped evaluation drew its yaws with)."""
    import re

    from visuotactile_grasp.planning.approach import APPROACH_CLEARANCE, MAX_OFFSET
    from visuotactile_grasp.settings.trial_steps import TRIAL_PARAMS

    literal = re.compile(r"0\.6,\s*0\.0,\s*0\.5,\s*0\.0|\b(max_offset|approach_clearance|settle_time|step_timeout|"
                         r"open_width|OPEN_WIDTH|STROKE)\b(:\s*float)?\W{0,6}(0\.01|0\.05|0\.2|20(\.0)?|0\.110?)\b"
                         r"|\"move\",\s*0\.110?\b|1\.5707963")
    homes = {"approach.py", "trial_steps.py", "model.py"}  # planning/, settings/, devices/wsg50/
    assert not (stray := _stray_copies(literal, homes)), stray
    shared = yaml.safe_load((CONFIG / "grasp_approach.yaml").read_text())["/**"]["ros__parameters"]
    assert shared == {"max_offset": MAX_OFFSET, "approach_clearance": APPROACH_CLEARANCE}
    names = {p.name for p in TRIAL_PARAMS}
    for name in ("data_collector", "grasp_executive"):
        assert all(p in _node_params(f"{name}_node").values() for p in TRIAL_PARAMS)
        own = _own(name)
        assert not (names | {"planner_timeout"}) & set(own), name
        assert any("grasp_approach.yaml" in s.parameter_files for s in _all_specs() if s.name == name)


def test_the_executive_waits_longer_than_the_planner_takes_to_answer():
    """The planner answers INPUTS_MISSING after its input_timeout; the executive's planner_timeout only
    catches a planner that is down, so it must be longer (it once was 5 s in the yaml against 10 s)."""
    from visuotactile_grasp.param_files import node_params

    # the values the nodes run with: their declared defaults under their parameter files
    assert node_params("grasp_executive")["planner_timeout"] > node_params("regrasp_planner")["input_timeout"]


def _rclpy_values(node_name: str, paths, params) -> dict:
    """The values rclpy itself gives node_name's declared params under these --params-file paths."""
    import rclpy
    from rclpy.context import Context

    from visuotactile_grasp.ros.params import declare_params

    context = Context()
    args = ["--ros-args", "-r", f"__node:={node_name}"] + [a for p in paths for a in ("--params-file", str(p))]
    rclpy.init(args=["x", *args], context=context)
    try:
        node = rclpy.create_node(node_name, context=context)
        values = vars(declare_params(node, params))
        node.destroy_node()
    finally:
        rclpy.try_shutdown(context=context)
    return {k: list(v) if not isinstance(v, (str, bytes)) and hasattr(v, "__len__") else v for k, v in values.items()}


def test_ros_free_readers_get_the_values_rclpy_gives_the_node(tmp_path):
    """param_files.node_params follows rcl's precedence: files merged into one table of sections in the
    order each section first appears, the node's matching sections applied in that order. Checked on a
    case where that differs from "file by file" (a later node section loses to an earlier /**), and on
    every node of every graph with the shipped files."""
    from visuotactile_grasp import param_files
    from visuotactile_grasp.settings import Param

    files = [tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"]
    files[0].write_text("x:\n  ros__parameters:\n    v: 1\n    w: 1\n")
    files[1].write_text("/**:\n  ros__parameters:\n    v: 2\n")
    files[2].write_text("x:\n  ros__parameters:\n    v: 3\n    w: 3\n")
    params = [Param("v", 0, "test value"), Param("w", 0, "test value")]
    assert param_files.file_values("x", files) == {"v": 2, "w": 3} == _rclpy_values("x", files, params)
    for name in sorted({s.name for s in _all_specs()}):
        executable, names = param_files._graph_entry(name)
        paths = [param_files.config_dir() / n for n in names]
        expected = _rclpy_values(name, paths, list(declared(executable).values()))
        assert param_files.node_params(name) == expected, name


def test_the_planners_search_and_lift_defaults_are_written_once():
    """CandidateConfig (the bare planner) and the planner node take them from planning/planner_defaults.py."""
    from visuotactile_grasp.planning.planner_defaults import CANDIDATES, FORCE_SWEEP, LIFT_MARGIN, LIFT_THRESHOLD
    from visuotactile_grasp.planning.regrasp import CandidateConfig

    literal = re.compile(r"(?i)\b(lift_threshold|lift_margin|n_random|n_force_sweep|candidates|force_sweep)\b"
                         r"(:\s*\w+)?\W{0,4}(0\.9|0\.02|4900|5000|100)\b|\b4900\b|\(\"random\", \"cem\"\)"
                         r"|\(\"paper\", \"reachable\"\)")
    assert not (stray := _stray_copies(literal, {"planner_defaults.py"})), stray
    node = {k: p.default for k, p in _node_params("regrasp_planner_node").items()}
    cfg = CandidateConfig()
    assert (node["lift_threshold"], node["lift_margin"], node["candidates"], node["force_sweep"]) == \
        (cfg.lift_threshold, cfg.lift_margin, cfg.n_random + cfg.n_force_sweep, cfg.n_force_sweep) == \
        (LIFT_THRESHOLD, LIFT_MARGIN, CANDIDATES, FORCE_SWEEP)


def test_no_declared_default_is_also_a_dataclass_default_elsewhere():
    """A setting a node declares and a ROS-free core also defaults (`name: type = value`) is declared with
    the core's value (settings/ refers to it), not the same number written twice."""
    import inspect
    import pkgutil

    import visuotactile_grasp.settings as settings

    package = Path(importlib.import_module("visuotactile_grasp").__file__).parent
    sources = {p: p.read_text().splitlines() for p in package.rglob("*.py") if "settings" not in p.parts}
    copies = []
    for info in pkgutil.iter_modules(settings.__path__):
        module = importlib.import_module(f"visuotactile_grasp.settings.{info.name}")
        declaration = inspect.getsource(module)
        for param in getattr(module, "PARAMS", []):
            if isinstance(param.default, (bool, list)) or param.default in ("", 0):
                continue
            literal = re.escape(repr(param.default))
            if not re.search(rf'Param\("{param.name}", {literal}\b', declaration):
                continue  # declared from a name: the core's constant or field
            core = re.compile(rf"\b{param.name}\s*:\s*[\w\[\], |.]+\s*=\s*{literal}\b")  # a typed default
            copies += [f"{info.name}.{param.name}: {p.relative_to(package)}:{i + 1}"
                       for p, lines in sources.items() for i, line in enumerate(lines) if core.search(line)]
    assert not copies, copies
