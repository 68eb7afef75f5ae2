"""Node processes never outlive the run that started them, and runs never share a port or a domain.

Three layers, because no single one covers every way a parent can die:
- the kernel: each node asks for SIGTERM when its parent dies (Linux prctl PR_SET_PDEATHSIG, in
  run_node), which covers SIGKILL of the parent and a closed terminal;
- the node: run_node watches its parent's pid on a steady clock (the portable fallback, and the
  only one on systems without prctl), shuts down when it is gone and exits within 3 s whatever hangs;
- the output folder: a run writes graph.json (its pid, its children, a run id that every child
  carries in its environment); a later run in the same folder that finds the parent dead stops
  the processes that carry that run id, and only those.

Ports and ROS domains are handed out under file locks held by the parent for its lifetime; the
kernel drops them when the parent dies, however it dies.
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import random
import signal
import socket
import tempfile
import time
import uuid
from pathlib import Path

PARENT_PID_ENV = "VTG_PARENT_PID"
RUN_ID_ENV = "VTG_RUN_ID"
STATE_FILE = "graph.json"
_PR_SET_PDEATHSIG = 1
LOCK_DIR = Path(tempfile.gettempdir()) / "vtg_locks"


def ask_kernel_for_parent_death_signal() -> None:
    """SIGTERM this process when its parent dies (Linux prctl; a no-op elsewhere).

    Called by the child itself (run_node) rather than in a Popen preexec_fn: the parent runs DDS
    threads, and code between fork and exec in a threaded process can deadlock. The caller then
    checks that the parent is still the one it expects, which closes the window before the call."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def child_env(env: dict, run_id: str) -> dict:
    """The environment of a node started by this process: who the parent is, which run it belongs to."""
    return {**env, PARENT_PID_ENV: str(os.getpid()), RUN_ID_ENV: run_id}


def parent_gone(expected_parent: int) -> bool:
    """True once the process that started us has died (we were re-parented)."""
    return os.getppid() != expected_parent


def process_run_id(pid: int) -> str | None:
    """The VTG_RUN_ID in a live process's environment (None if unreadable or absent)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    for item in raw.split(b"\0"):
        if item.startswith(RUN_ID_ENV.encode() + b"="):
            return item.split(b"=", 1)[1].decode(errors="replace")
    return None


class StaleGraph(RuntimeError):
    pass


class RunState:
    """graph.json in a run's folder: written at start, removed at a clean stop."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / STATE_FILE
        self.run_id = uuid.uuid4().hex

    def clear_stale(self, grace_s: float = 3.0) -> str:
        """Stop what a dead run in this folder left behind; refuse if that run is still alive.

        Returns a line for the user ('' when there was nothing)."""
        if not self.path.exists():
            return ""
        try:
            old = json.loads(self.path.read_text())
            parent, run_id, nodes = int(old["parent"]), str(old["run_id"]), dict(old["nodes"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.path.unlink(missing_ok=True)
            return f"ignored an unreadable {self.path.name} ({exc})"
        if parent != os.getpid() and process_start(parent) == old.get("parent_start") \
                and any(process_run_id(int(pid)) == run_id for pid in nodes.values()):
            raise StaleGraph(f"another run (pid {parent}) is using {self.path.parent}; stop it first "
                             f"or use another folder")
        ours = {name: int(pid) for name, pid in nodes.items() if process_run_id(int(pid)) == run_id}
        for pid in ours.values():
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(process_run_id(p) == run_id for p in ours.values()):
            time.sleep(0.05)
        for pid in ours.values():
            if process_run_id(pid) == run_id:
                _signal(pid, signal.SIGKILL)
        self.path.unlink(missing_ok=True)
        if not ours:
            return f"a previous run (pid {parent}) ended without cleaning up; none of its nodes was left"
        return f"a previous run (pid {parent}) died and left {len(ours)} node(s) running: stopped {sorted(ours)}"

    def write(self, nodes: dict[str, int], **extra) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"parent": os.getpid(), "parent_start": process_start(os.getpid()),
                                   "run_id": self.run_id, "nodes": nodes, **extra}))
        os.replace(tmp, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a live pid from a reused one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class HeldLock:
    """A flock on a file, held until release() or the process ends (the kernel drops it, however the
    process dies). Exclusive by default; shared locks let several processes hold it together."""

    def __init__(self, path: Path, shared: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            os.fchmod(self.fd, 0o666)  # other users' runs share the lock folder
        except OSError:
            pass
        try:
            fcntl.flock(self.fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise
        self.path = path

    def share(self) -> None:
        """Turn an exclusive lock into a shared one (children that use the same domain may join)."""
        fcntl.flock(self.fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def reserve_domain(lo: int = 1, hi: int = 101, lock_dir: Path = LOCK_DIR) -> tuple[int, HeldLock]:
    """A ROS domain no other live vtg run on this machine uses (1..101 keeps Fast DDS ports valid).

    Taken exclusively, so it is never handed out while anyone holds it, shared or not."""
    candidates = list(range(lo, hi + 1))
    random.SystemRandom().shuffle(candidates)
    for domain in candidates:
        try:
            return domain, HeldLock(lock_dir / f"domain_{domain}.lock")
        except BlockingIOError:
            continue
    raise RuntimeError(f"every ROS domain {lo}..{hi} is held by another vtg run on this machine")


def join_domain(domain: int, lock_dir: Path = LOCK_DIR) -> HeldLock:
    """A domain chosen by the user (ROS_DOMAIN_ID): shared with other runs that chose it too, but
    refused while a vtg run holds it as its own (reserve_domain)."""
    try:
        return HeldLock(lock_dir / f"domain_{domain}.lock", shared=True)
    except BlockingIOError:
        raise RuntimeError(f"ROS domain {domain} is in use by another vtg run on this machine: unset "
                           f"ROS_DOMAIN_ID (each run then reserves a free one) or choose another") from None


def reserve_port(host: str = "127.0.0.1", lock_dir: Path = LOCK_DIR) -> tuple[int, HeldLock]:
    """A free TCP port for a simulated device, held (by lock) for this run.

    The kernel picks a free port; the lock stops a second vtg run from being handed the same
    one between our probe and the child's bind."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        try:
            return port, HeldLock(lock_dir / f"port_{port}.lock")
        except BlockingIOError:
            continue
    raise RuntimeError("could not reserve a free TCP port")


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
