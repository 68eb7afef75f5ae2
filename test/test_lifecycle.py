"""No node outlives the run that started it, however that run dies; runs never share a port or a domain."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from visuotactile_grasp.graph.lifecycle import (RUN_ID_ENV, RunState, StaleGraph, port_free, process_run_id,
                                                process_start, reserve_domain, reserve_port)

from visuotactile_grasp.ros.clocks import wait_for

VTG = str(Path(sys.executable).parent / "vtg")


def _graph_state(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "graph.json").read_text())
    except (OSError, ValueError):
        return None


def _alive_of_run(state: dict) -> list[str]:
    return [name for name, pid in state["nodes"].items() if process_run_id(int(pid)) == state["run_id"]]


def _logs_of_dead(state: dict | None, log_dir: Path) -> str:
    """The log tails of a run's nodes that are not alive (why a node died at start, for the failure)."""
    if state is None:
        return ""
    dead = [name for name in state["nodes"] if name not in _alive_of_run(state)]
    return "".join(f"\n--- {name}.log ---\n" + ((log_dir / f"{name}.log").read_text()[-3000:]
                                                 if (log_dir / f"{name}.log").exists() else "(no log)")
                   for name in dead)


def _fresh_env() -> dict:
    env = dict(os.environ)
    env.pop("ROS_DOMAIN_ID", None)  # as a user's shell: each run reserves a domain of its own
    return env


def _start_and_kill(cmd: list[str], log_dir: Path, n_nodes: int, tmp_path: Path) -> dict:
    """Start a vtg command, wait until all its nodes run, SIGKILL it; return its graph.json."""
    out = open(tmp_path / f"{log_dir.name}.out", "wb")
    parent = subprocess.Popen(cmd, env=_fresh_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_for(lambda: (s := _graph_state(log_dir)) is not None and len(s["nodes"]) == n_nodes
                     and len(_alive_of_run(s)) == n_nodes, 120), (tmp_path / f"{log_dir.name}.out").read_text()
        # the simulated gripper's server is up (the port is taken) before we pull the plug
        state = _graph_state(log_dir)
        assert wait_for(lambda: not port_free(state["ports"]["wsg50"]), 60)
    finally:
        parent.kill()  # SIGKILL: no handler, no finally, no atexit in the parent
        parent.wait()
        out.close()
    return state


@pytest.mark.parametrize("command", ["collect", "run"])
def test_sigkill_of_the_parent_leaves_no_node_and_frees_the_port(tmp_path, command):
    if command == "collect":
        out = tmp_path / "dataset"
        cmd, log_dir, n = [VTG, "collect", "--sim", "--trials", "2", "--objects", "train_000", "--out", str(out)], \
            out / "logs", 7
    else:
        log_dir = tmp_path / "logs"
        cmd, n = [VTG, "run", "grasp", "--log-dir", str(log_dir)], 8
    state = _start_and_kill(cmd, log_dir, n, tmp_path)
    killed_at = time.monotonic()
    assert wait_for(lambda: not _alive_of_run(state), 5.0), f"still running 5 s after the parent died: " \
                                                         f"{_alive_of_run(state)}"
    assert wait_for(lambda: port_free(state["ports"]["wsg50"]), 5.0 - (time.monotonic() - killed_at))
    # a new run in the same folder starts, says what it found, and stops cleanly
    if command == "collect":
        cmd = cmd + ["--resume"]
    again = subprocess.Popen(cmd, env=_fresh_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        # the session prints its note once every node is started: stop it only then (a handshake)
        for line in again.stdout:
            lines.append(line)
            if "note: " in line:
                break
        state = _graph_state(log_dir)
        assert state is not None and len(_alive_of_run(state)) == n, "".join(lines) + _logs_of_dead(state, log_dir)
    finally:
        again.send_signal(signal.SIGINT)
        output, _ = again.communicate(timeout=60)
    output = "".join(lines) + output
    new_state_file = log_dir / "graph.json"
    assert not new_state_file.exists(), "a clean stop removes graph.json"
    assert "ended without cleaning up" in output, output[-3000:]


def test_node_ends_when_parent_dies_without_the_kernel_signal(tmp_path, ros_env):
    """The portable fallback: run_node's watchdog alone (no PR_SET_PDEATHSIG) ends an orphaned node."""
    exe = str(Path(sys.executable).parent / "sawyer_arm_node")
    launcher = (
        "import subprocess, sys, time\n"
        "from visuotactile_grasp.graph.lifecycle import child_env\n"
        "import os\n"
        f"p = subprocess.Popen([{exe!r}], env=child_env(dict(os.environ), 'orphan-test'))\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", launcher], env=ros_env, stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        assert wait_for(lambda: process_run_id(child) == "orphan-test", 30)
        time.sleep(0.5)  # let it reach spin (not a handshake: the test passes either way)
    finally:
        parent.kill()
        parent.wait()
    assert wait_for(lambda: process_run_id(child) is None, 5.0), "orphaned node still running 5 s after its parent"


@pytest.mark.parametrize("hang, code, said", [
    ("destroy_node", 0, "teardown (node, executor, middleware) still running"),
    ("on_shutdown", 1, "stop (before the hardware was left safe) still running")])
def test_a_node_that_hangs_after_sigint_still_exits(tmp_path, ros_env, hang, code, said):
    """run_node's stop watchdog (ros/node_main.TEARDOWN_S): a node that hangs after SIGINT (as a gel
    node's middleware teardown once did on CI, deaf to SIGINT and SIGTERM) exits soon after, says where it
    hung, and exits 1 when the hardware had not been left safe."""
    from visuotactile_grasp.ros.node_main import TEARDOWN_S

    script = tmp_path / "hanging_node.py"
    script.write_text(
        "import sys, time\n"
        "from rclpy.node import Node\n"
        "from visuotactile_grasp.ros.node_main import run_node\n"
        "class Hanging(Node):\n"
        "    def __init__(self):\n"
        "        super().__init__('hanging_node')\n"
        "        self.create_timer(0.05, self.ready)\n"
        "    def ready(self):  # spinning: the signal handlers and the watchdog are in place\n"
        "        print('spinning', flush=True)\n"
        f"    def {hang}(self):\n"
        "        time.sleep(600)\n"
        "sys.exit(run_node(Hanging))\n")
    node = subprocess.Popen([sys.executable, str(script)], env=ros_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert node.stdout.readline().strip() == "spinning"
        node.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        _, err = node.communicate(timeout=TEARDOWN_S + 10)
        waited = time.monotonic() - t0
    finally:
        if node.poll() is None:
            node.kill()
    assert node.returncode == code and said in err, (node.returncode, err)
    assert TEARDOWN_S - 0.5 < waited < TEARDOWN_S + 10


def _sleeper(run_id: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                            env={**os.environ, RUN_ID_ENV: run_id})


def test_stale_graph_cleanup_stops_only_its_own_processes(tmp_path):
    ours, theirs = _sleeper("dead-run"), _sleeper("another-run")
    try:
        assert wait_for(lambda: process_run_id(ours.pid) == "dead-run" and process_run_id(theirs.pid), 10)
        dead_parent = subprocess.Popen([sys.executable, "-c", "pass"])
        dead_parent.wait()
        (tmp_path / "graph.json").write_text(json.dumps({"parent": dead_parent.pid, "parent_start": 1,
                                                         "run_id": "dead-run",
                                                         "nodes": {"a": ours.pid, "b": theirs.pid}}))
        notice = RunState(tmp_path).clear_stale()
        assert "left 1 node(s) running: stopped ['a']" in notice
        assert ours.wait(timeout=5) != 0
        assert theirs.poll() is None, "a process of another run was stopped"
        assert not (tmp_path / "graph.json").exists()
    finally:
        for proc in (ours, theirs):
            proc.kill()
            proc.wait()


def test_a_live_run_keeps_its_folder(tmp_path):
    state = RunState(tmp_path)
    live_parent = _sleeper("")
    node = _sleeper(state.run_id)
    try:
        assert wait_for(lambda: process_run_id(node.pid) == state.run_id, 10)
        state.path.write_text(json.dumps({"parent": live_parent.pid, "parent_start": process_start(live_parent.pid),
                                          "run_id": state.run_id, "nodes": {"node": node.pid}}))
        with pytest.raises(StaleGraph, match="another run"):
            RunState(tmp_path).clear_stale()
        assert node.poll() is None and state.path.exists()
    finally:
        for proc in (live_parent, node):
            proc.kill()
            proc.wait()


def test_domains_and_ports_are_never_handed_out_twice(tmp_path):
    held = [reserve_domain(1, 6, lock_dir=tmp_path) for _ in range(5)]
    assert sorted(d for d, _ in held) == sorted(set(d for d, _ in held))
    # another process (another vtg run) gets the one domain left, and none when all are held
    probe = ("from pathlib import Path; from visuotactile_grasp.graph.lifecycle import reserve_domain\n"
             f"d, lock = reserve_domain(1, 6, lock_dir=Path({str(tmp_path)!r})); print(d, flush=True)\n"
             "reserve_domain(1, 6, lock_dir=Path(%r))" % str(tmp_path))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert int(result.stdout) == ({1, 2, 3, 4, 5, 6} - {d for d, _ in held}).pop()
    assert "every ROS domain 1..6 is held" in result.stderr
    ports = [reserve_port(lock_dir=tmp_path) for _ in range(5)]
    assert len({p for p, _ in ports}) == 5
    for _, lock in held + ports:
        lock.release()


def test_two_grasp_graphs_side_by_side(tmp_path):
    """Each run reserves its own ROS domain and gripper port: two full graphs on one machine both pass."""
    runs = [subprocess.Popen([VTG, "run", "grasp", "--check", "--log-dir", str(tmp_path / f"run{i}")],
                             env=_fresh_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for i in range(2)]
    outputs = []
    try:
        for run in runs:
            outputs.append(run.communicate(timeout=900)[0])
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    from visuotactile_grasp.graph.modes import build_graph

    edges = len(build_graph("grasp", sim=True).edges())  # every declared topic edge of the graph
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "check attempt:" in output and f"edges ({edges}/{edges} carried messages)" in output, output[-3000:]
    started = [next(line for line in out.splitlines() if line.startswith("started ")) for out in outputs]
    domains = [line.split("ROS_DOMAIN_ID=")[1].split(",")[0] for line in started]
    ports = [line.split("on port ")[1].split(")")[0] for line in started]
    assert domains[0] != domains[1] and ports[0] != ports[1], started
