"""Simulator speed: full scripted trials per second on one core, with and without rendering,
and the time of each sensor frame.

A trial is the paper's: place the object, approach, close, lift 10 cm, hold 4 s (about 8 s of
simulated time). "With rendering" captures what the dataset records: the front RGB-D image and
both GelSight images before, in contact, after the lift and after the hold.

    .venv/bin/python benchmarks/sim_trials.py [--trials 30] [--gel-width 320] [--gel-model calibrated]
        [--gel-change-every N]   (new gels every N trials, as vtg collect --gel-change-every N)
        [--objects v2]

The process pins itself to one CPU first: Mesa's software GL (no GPU here) otherwise rasterises on
every core, and the figure would not be per core. Ten trials vary by about 20% from run to run on
this machine; 30 by a few percent.
"""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before Mesa starts its rendering threads

import numpy as np  # noqa: E402

from visuotactile_grasp.sim.cell import CellConfig  # noqa: E402
from visuotactile_grasp.sim.gel_inventory import scheduled_gels  # noqa: E402
from visuotactile_grasp.sim.mujoco_cell import MujocoCell  # noqa: E402
from visuotactile_grasp.sim.objects import LIBRARIES, object_ids  # noqa: E402
from visuotactile_grasp.sim.scripted_trial import run_trial  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--gel-width", type=int, default=320)
    parser.add_argument("--camera-width", type=int, default=320)
    parser.add_argument("--gel-model", default="legacy", choices=("legacy", "calibrated"))
    parser.add_argument("--objects", default="v1", choices=LIBRARIES)
    parser.add_argument("--gel-change-every", type=int, default=0, help="0: the cell's own gels throughout")
    args = parser.parse_args()
    config = CellConfig(camera_width=args.camera_width, camera_height=args.camera_width * 3 // 4,
                        gel_width=args.gel_width, gel_height=args.gel_width * 3 // 4, gel_model=args.gel_model,
                        objects=args.objects)
    cell = MujocoCell(config, object_id="train_000")
    rng = np.random.default_rng(0)
    ids = object_ids("train")
    try:
        for render in (False, True):
            held, sim_s = 0, 0.0
            t0 = time.perf_counter()
            for i in range(args.trials):
                if args.gel_change_every:
                    cell.mount_gels(scheduled_gels(0, i + 1, args.gel_change_every))
                r = run_trial(cell, ids[i % len(ids)], force=float(rng.uniform(5, 40)),
                              offset=rng.uniform(-0.01, 0.01, 2), z_frac=float(rng.uniform(0.2, 0.9)),
                              yaw=float(rng.uniform(-1.5, 1.5)), render=render)
                held += r.held
                sim_s += r.sim_seconds
            wall = time.perf_counter() - t0
            print(f"{'with' if render else 'without'} rendering: {args.trials / wall:.2f} trials/s on one core "
                  f"({wall / args.trials:.2f} s each, {sim_s / wall:.1f}x real time, {held}/{args.trials} held)")
        t0 = time.perf_counter()
        for _ in range(10):
            cell.render_camera()
        camera = (time.perf_counter() - t0) / 10
        t0 = time.perf_counter()
        for _ in range(10):
            cell.render_gel("left")
        gel = (time.perf_counter() - t0) / 10
        t0 = time.perf_counter()
        for _ in range(10):
            cell.gel_height_map("left")
        depth = (time.perf_counter() - t0) / 10
        print(f"front RGB + depth frame ({args.camera_width} px wide): {camera * 1e3:.1f} ms")
        print(f"GelSight frame ({args.gel_width} px wide): {gel * 1e3:.1f} ms, of which gel depth render "
              f"{depth * 1e3:.1f} ms and image formation {(gel - depth) * 1e3:.1f} ms")
        per_trial = 6450 / 2 / (args.trials / wall)
        print(f"paper scale (6,450 trials) on 2 cores at this rate: {per_trial / 3600:.2f} h")
    finally:
        cell.close()


if __name__ == "__main__":
    main()
