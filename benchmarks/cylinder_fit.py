"""Cylinder-fit accuracy and speed on simulated scenes (every object, several placements).

    .venv/bin/python benchmarks/cylinder_fit.py [--noise-mm 2] [--placements 3]
"""
import argparse
import time

import numpy as np

from visuotactile_grasp.perception.cylinder_fit import Intrinsics, fit_cylinder
from visuotactile_grasp.sim.cell import CellConfig
from visuotactile_grasp.sim.kinematic_cell import KinematicCell
from visuotactile_grasp.sim.objects import object_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--noise-mm", type=float, default=2.0, help="Gaussian depth noise (mm)")
    parser.add_argument("--placements", type=int, default=3)
    parser.add_argument("--width", type=int, default=320)
    args = parser.parse_args()
    cell = KinematicCell(CellConfig(camera_width=args.width, camera_height=args.width * 3 // 4))
    K = cell.camera.K
    intr = Intrinsics(K.fx, K.fy, K.cx, K.cy)
    rng = np.random.default_rng(0)
    rows, times, invalid = [], [], 0
    for object_id in object_ids("all"):
        for _ in range(args.placements):
            cell.reset_object(object_id)
            _, depth = cell.render_camera()
            depth = depth + (rng.normal(0, args.noise_mm * 1e-3, depth.shape) * (depth > 0)).astype(np.float32)
            t0 = time.perf_counter()
            fit = fit_cylinder(depth, intr, cell.camera.R, cell.camera.eye)
            times.append(time.perf_counter() - t0)
            if not fit.valid:
                invalid += 1
                continue
            rows.append((np.hypot(*(np.array(fit.center[:2]) - cell.obj_xy)), abs(fit.radius - cell.obj.radius),
                         abs(fit.height - cell.obj.height)))
    err = np.array(rows) * 1e3
    print(f"scenes: {len(times)} ({invalid} without a valid fit), {args.width}x{args.width * 3 // 4} depth, "
          f"{args.noise_mm} mm noise")
    for name, col in zip(("centre", "radius", "height"), err.T, strict=True):
        print(f"  {name:6s} error: mean {col.mean():5.2f} mm, median {np.median(col):5.2f} mm, "
              f"95th pct {np.percentile(col, 95):5.2f} mm")
    print(f"  time per fit: mean {np.mean(times) * 1e3:.1f} ms, 95th pct {np.percentile(times, 95) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
