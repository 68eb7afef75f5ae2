"""Collection throughput for 1 and 2 workers on this machine: trials/hour and parallel efficiency.

Runs `vtg collect --sim --direct` end to end (cells built, trials simulated, rendered, encoded and
written by the one writer) into temporary folders; the 2-worker figure includes starting and
stopping the local Ray instance, reported separately as well.

    .venv/bin/python benchmarks/collect_scaling.py [--trials 40] [--workers 1 2]
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VTG = str(Path(sys.executable).parent / "vtg")


def collect_seconds(trials: int, workers: int, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([VTG, "collect", "--sim", "--direct", "--workers", str(workers), "--trials", str(trials),
                    "--objects", "train", "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - t0


def ray_start_stop_seconds(workers: int) -> float:
    code = ("import time\nfrom visuotactile_grasp.scale.ray_pool import ray_instance\nt=time.perf_counter()\n"
            f"with ray_instance({workers}): pass\nprint(time.perf_counter()-t)")
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            wall = collect_seconds(args.trials, workers, Path(tmp) / f"w{workers}")
            rates[workers] = args.trials / wall * 3600
            efficiency = rates[workers] / (workers * rates[args.workers[0]] / args.workers[0])
            print(f"{workers} worker(s): {args.trials} trials in {wall:.0f} s = {rates[workers]:.0f} trials/hour "
                  f"(parallel efficiency {100 * efficiency:.0f}% of {args.workers[0]} worker(s) x {workers})")
    for workers in args.workers:
        if workers > 1:
            seconds = ray_start_stop_seconds(workers)
            print(f"local Ray instance with {workers} CPUs: started and stopped in {seconds:.1f} s")


if __name__ == "__main__":
    main()
