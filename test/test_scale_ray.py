"""Fan-out on Ray (scale/ray_pool.py): the same results for any number of workers, a local instance
that listens on 127.0.0.1 only, and no Ray process that outlives the command, however it ends."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from visuotactile_grasp.scale.ray_pool import map_unordered, ray_instance
from visuotactile_grasp.scale.reaper import processes_using

TEST_DIR = Path(__file__).parent
sys.path.insert(0, str(TEST_DIR))  # ray_tasks, as the Ray workers import it (PYTHONPATH below)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TEST_DIR), os.environ.get("PYTHONPATH")]))
import ray_tasks  # noqa: E402


def _listening_sockets(pids: list[int]) -> list[str]:
    """Local addresses of the TCP sockets these processes listen on (Linux /proc)."""
    inodes = set()
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.append(fields[1])
    return found


def _is_loopback(hex_address: str) -> bool:
    ip = hex_address.split(":")[0]
    if len(ip) == 8:  # IPv4, little-endian bytes
        return ip == "0100007F"
    # IPv6: ::1, or ::ffff:127.0.0.1 (an IPv4-mapped loopback)
    return ip in ("00000000000000000000000001000000", "0000000000000000FFFF00000100007F")


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_results_are_the_same_for_one_and_two_workers():
    tasks = range(6)
    one = list(map_unordered(ray_tasks.add_remembered, tasks, 1, init=ray_tasks.remember, init_args=(100,)))
    two = list(map_unordered(ray_tasks.add_remembered, tasks, 2, init=ray_tasks.remember, init_args=(100,)))
    assert sorted(r[:2] for r in one) == sorted(r[:2] for r in two) == [(t, 100 + t * t) for t in tasks]
    assert {r[2] for r in one} == {os.getpid()}  # one worker: here, no Ray instance
    assert os.getpid() not in {r[2] for r in two} and len({r[2] for r in two}) == 2


def _descendants(pid: int) -> set[int]:
    """Every live process below pid in the process tree (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_local_instance_listens_on_loopback_only_and_leaves_nothing():
    with ray_instance(2) as instance:
        folder = instance.folder
        worker = instance.ray.remote(num_cpus=1)(ray_tasks.Pid)
        actors = [worker.remote() for _ in range(2)]
        actor_pids = instance.ray.get([a.pid.remote() for a in actors])  # workers up, with their servers
        pids = set(processes_using(folder)) | _descendants(os.getpid())  # the driver's own children too
        assert len(pids) >= 5 and set(actor_pids) <= pids  # GCS, raylet, agents, both workers
        sockets = _listening_sockets(sorted(pids | {os.getpid()}))
        assert sockets and all(_is_loopback(a) for a in sockets), sockets
    assert not processes_using(folder) and not Path(folder).exists()
    assert not [pid for pid in actor_pids if _running(pid)]


def test_a_killed_driver_leaves_no_ray_process(tmp_path):
    short = tempfile.mkdtemp(prefix="r", dir="/tmp")  # Ray's socket paths must stay under 107 characters
    driver = ("import ray_tasks\nfrom visuotactile_grasp.scale.ray_pool import map_unordered\n"
              f"list(map_unordered(ray_tasks.announce_then_sleep, [{str(tmp_path)!r}] * 2, 2))\n")
    proc = subprocess.Popen([sys.executable, "-c", driver], env={**os.environ, "TMPDIR": short},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.iterdir())) < 2:  # both workers are running a task
            assert proc.poll() is None and time.monotonic() < deadline, "the workers never started"
            time.sleep(0.1)
        (folder,) = Path(short).glob("vtg_ray_*")
        tree = _descendants(proc.pid)  # everything the driver started: reaper, GCS, raylet, agents, workers
        workers = {int(p.name) for p in tmp_path.iterdir()}
        assert len(tree) >= 6 and workers <= tree
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        def left():
            return processes_using(str(folder)) + [pid for pid in tree if _running(pid)]

        deadline = time.monotonic() + 30  # the reaper's grace period is 3 s; Ray's own agents take ~60 s
        while left() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left()
        assert not folder.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in processes_using(short):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("workers", [0, -1])
def test_a_worker_count_below_one_is_refused(workers):
    with pytest.raises(ValueError, match="at least 1"):
        list(map_unordered(ray_tasks.add_remembered, [1], workers))


@pytest.mark.parametrize("verb", [["collect", "--sim", "--direct", "--out", "unused"],
                                  ["evaluate", "--sim", "--tactile-vision", "unused"]])
def test_the_command_line_refuses_fewer_than_one_worker_before_doing_anything(verb, capsys):
    from visuotactile_grasp.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(verb + ["--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err
