"""Stops a local Ray instance's processes when the process that started it dies, however it dies.

Ray fate-shares its GCS, raylet and workers with the driver through the kernel, but its dashboard
and runtime-env agents only notice a dead raylet by polling, then report to the (dead) GCS and
linger for about a minute (measured: Ray 2.60 after SIGKILL of the driver). Ray rewrites its
processes' titles over their environment, so they are told apart by what they hold open instead:
every process of our local instance writes its logs under the instance's own temporary folder.
This small process reads a pipe from the driver and, at end of file (the driver exited or was
killed), stops every process with a file or working directory in that folder (SIGTERM, then
SIGKILL after a grace period) and removes the folder.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..graph.lifecycle import process_start

GRACE_S = 3.0


def processes_using(folder: str, spare: tuple[int, ...] = (), started_after: int = 0) -> list[int]:
    """Pids of this user's live processes with an open file or working directory under folder
    (this process and those in spare excepted; only those started at or after `started_after`, in
    clock ticks since boot: a shell or viewer opened on the logs before the run is not the run's)."""
    root, found = os.path.realpath(folder) + os.sep, []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (os.getpid(), *spare) and any(
                (p + os.sep).startswith(root) for p in _open_paths(entry)) \
                and (process_start(int(entry)) or 0) >= started_after:
            found.append(int(entry))
    return found


def _open_paths(pid: str) -> list[str]:
    """The working directory and open files of a process (what can be read: fds come and go)."""
    paths = []
    for link in ["cwd"] + [f"fd/{fd}" for fd in _listdir(f"/proc/{pid}/fd")]:
        try:
            paths.append(os.readlink(f"/proc/{pid}/{link}"))
        except OSError:
            continue
    return paths


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:  # gone, or not ours
        return []


def stop_processes_using(folder: str, spare: tuple[int, ...] = (), started_after: int = 0,
                         grace_s: float = GRACE_S) -> list[int]:
    """SIGTERM, a grace period, then SIGKILL for whatever still holds the folder; the pids signalled."""
    signalled = set()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_using(folder, spare, started_after)
        signalled.update(pids)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace_s
        while pids and time.monotonic() < deadline and processes_using(folder, spare, started_after):
            time.sleep(0.05)
    return sorted(signalled)


class Reaper:
    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def stop(self) -> None:
        """After a clean shutdown: close the pipe (the reaper sweeps what is left) and wait for it. A
        sweep that takes too long is left to finish on its own rather than hide the caller's error."""
        self.process.stdin.close()
        try:
            self.process.wait(timeout=GRACE_S * 10)
        except subprocess.TimeoutExpired:
            print(f"the Ray reaper (pid {self.process.pid}) is still stopping processes", file=sys.stderr)


def start_reaper(folder: str) -> Reaper:
    process = subprocess.Popen([sys.executable, "-m", "visuotactile_grasp.scale.reaper", folder],
                               stdin=subprocess.PIPE, cwd="/")
    return Reaper(process)


def main() -> None:
    folder, driver = sys.argv[1], os.getppid()  # a driver still alive (a clean stop) keeps its Ray log open
    driver_start = process_start(driver) or 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the driver, which shuts down first
    sys.stdin.buffer.read()  # returns at end of file: the driver closed the pipe or died
    stop_processes_using(folder, spare=(driver,), started_after=driver_start)
    for _ in range(20):  # a process that was dying may still have written into it while it was removed
        shutil.rmtree(folder, ignore_errors=True)
        if not Path(folder).exists():
            break
        time.sleep(0.1)


if __name__ == "__main__":
    main()
