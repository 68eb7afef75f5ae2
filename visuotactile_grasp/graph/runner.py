"""Run a graph here: each node in its own process, as launch would, with clean shutdown."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..paths import config_dir
from .lifecycle import RunState, child_env
from .spec import Graph


def executable_path(name: str) -> str:
    """The node's console script: next to this interpreter (venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"node executable {name!r} not found; is the package installed (make setup)?")
    return found


class GraphRunner:
    """Starts each node in its own process; none of them outlives this process (graph/lifecycle.py)."""

    def __init__(self, graph: Graph, env: dict, log_dir: Path, ports: dict | None = None) -> None:
        self.graph, self.env, self.log_dir = graph, env, Path(log_dir)
        self.ports = dict(ports or {})  # recorded in graph.json: what this run listens on
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs = []
        self.state = RunState(self.log_dir)
        self.notice = ""  # what start() found of a dead earlier run in the same folder

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.notice = self.state.clear_stale()  # raises StaleGraph if a live run owns the folder
        for spec in self.graph.nodes:
            self._spawn(spec)

    def restart(self, name: str, grace_s: float = 8.0) -> None:
        """Stop one node (if it still runs) and start it again, as a supervisor would after a crash."""
        self._stop([self.procs[name]], grace_s)
        self._spawn(next(s for s in self.graph.nodes if s.name == name))

    def _spawn(self, spec) -> None:
        cmd = [executable_path(spec.executable)] + spec.ros_arguments(config_dir())
        log = open(self.log_dir / f"{spec.name}.log", "ab")
        self._logs.append(log)
        # Own process group: a Ctrl-C at the terminal reaches this process only, which then
        # stops the nodes in order (stop()) instead of every process at once.
        self.procs[spec.name] = subprocess.Popen(cmd, env=child_env(self.env, self.state.run_id), stdout=log,
                                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                 process_group=0)
        self.state.write({n: p.pid for n, p in self.procs.items()}, domain=self.env.get("ROS_DOMAIN_ID"),
                         ports=self.ports)

    def dead_required(self) -> list[str]:
        required = {s.name for s in self.graph.nodes if s.required}
        return [n for n, p in self.procs.items() if p.poll() is not None and n in required]

    def stop(self, grace_s: float = 8.0) -> dict[str, int]:
        """SIGINT (nodes leave the hardware safe), then SIGTERM, then SIGKILL. Returns exit codes.

        Nodes that run trials go first, while the arm and gripper nodes they command still run, so a
        trial in progress ends with the arm holding and the fingers open (run_node's request_stop)."""
        first = [n.name for n in self.graph.nodes if n.stop_first]
        self._stop([p for n, p in self.procs.items() if n in first], grace_s)
        self._stop([p for n, p in self.procs.items() if n not in first], grace_s)
        for log in self._logs:
            log.close()
        codes = {n: p.wait() for n, p in self.procs.items()}
        self.state.remove()
        return codes

    @staticmethod
    def _stop(procs: list, grace_s: float) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace_s
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.05, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.send_signal(sig)
            deadline = time.monotonic() + 3.0

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def clean_exit(code: int) -> bool:
    # rclpy nodes exit 0 on SIGINT; -SIGINT / 130 also mean "stopped by the signal we sent"
    return code in (0, -signal.SIGINT, 128 + signal.SIGINT)
