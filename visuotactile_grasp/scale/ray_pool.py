"""Independent tasks on Ray actors, results in completion order: the one fan-out of this package.

Each actor is a worker process that runs `init(*init_args)` once (if given) (a simulated cell, models) and then
`work(task)` for every task it is handed; `init` and `work` are module-level functions (Ray pickles
them by reference), so module globals hold a worker's state exactly as in a process pool. A task's
result must depend on the task alone (its randomness keyed on (seed, trial) or (seed, object, k)),
which is what makes results identical for any number of workers.

- workers == 1 without an address: everything runs here, in this process (no Ray instance at all);
- workers > 1 without an address: a local Ray instance, started here and stopped on return, that
  listens on 127.0.0.1 only (Ray's single-machine mode, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, set
  before Ray is imported) and whose processes never outlive this one (scale/reaper.py);
- an address (`ray start --head` on one machine, `ray start --address HEAD:6379` on the others):
  `workers` actors on that cluster, which must run this package at the same commit.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

LOOPBACK_ONLY_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray's node ip is the loopback address
OBJECT_STORE_BYTES = 512 * 2**20  # results stream through it one at a time; Ray's default is 30% of RAM


def map_unordered(work: Callable, tasks: Iterable, workers: int, address: str = "", init: Callable | None = None,
                  init_args: tuple = ()) -> Iterator:
    """work(task) for every task, yielded as each finishes, on `workers` actors (see the module)."""
    tasks = list(tasks)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1 and not address:
        if init is not None:
            init(*init_args)
        yield from (work(t) for t in tasks)
        return
    with ray_instance(workers, address) as instance:
        from ray.util import ActorPool

        worker_class = instance.ray.remote(num_cpus=1)(_Worker)
        source = source_digest()
        actors = [worker_class.remote(init, init_args, work, source) for _ in range(min(workers, max(len(tasks), 1)))]
        yield from ActorPool(actors).map_unordered(lambda actor, task: actor.run.remote(task), tasks)


class _Worker:
    def __init__(self, init: Callable | None, init_args: tuple, work: Callable, driver_source: str) -> None:
        here = source_digest()
        if here != driver_source:  # on a cluster: another commit, or local edits, on this machine
            raise RuntimeError(f"this worker's visuotactile_grasp ({here}) is not the driver's ({driver_source}): "
                               "run the same commit on every machine")
        if init is not None:
            init(*init_args)
        self.work = work

    def run(self, task):
        return self.work(task)


def source_digest() -> str:
    """sha256 (12 hex) of this package's Python source: equal on the driver and its workers, or they
    would not run the same trials."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class RayInstance:
    ray: ModuleType  # the ray module, connected
    folder: str  # a local instance's own temporary folder (sessions, sockets, logs); "" on a cluster


@contextmanager
def ray_instance(workers: int, address: str = ""):
    """Ray connected to the cluster at `address`, or to a new loopback-only local instance with
    `workers` CPUs; shut down (and a local instance stopped) on exit."""
    if address:
        import ray

        ray.init(address=address, log_to_driver=False, configure_logging=False)
        try:
            yield RayInstance(ray, "")
        finally:
            ray.shutdown()
        return
    if "ray" in sys.modules and os.environ.get(LOOPBACK_ONLY_ENV) != "0":
        raise RuntimeError("ray was imported before a local instance was asked for: its node address "
                           "would not be the loopback one; import it only through scale.ray_pool")
    os.environ[LOOPBACK_ONLY_ENV] = "0"  # read once, when ray is imported (so kept); inherited by its processes
    from .reaper import start_reaper

    folder = tempfile.mkdtemp(prefix="vtg_ray_")  # this instance's sessions, sockets and logs only
    reaper = start_reaper(folder)
    try:
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 object_store_memory=OBJECT_STORE_BYTES, _temp_dir=folder)
        try:
            yield RayInstance(ray, folder)
        finally:
            ray.shutdown()
    finally:
        reaper.stop()
