"""Training speed with DDP: examples/s of f(s, a) for 1 and 2 processes on this machine (CPU, gloo).

vtg train's small configuration (tactile_vision, small CNN stacks, 64-px crops, 256-wide MLPs) on
synthetic inputs at the training resolution (their content does not change the speed). The figure is
the training loop's, as model.json records it: global examples per second after start-up. One process
runs on one thread and on torch's default (every core); N processes split the cores between them
(distributed.process_group).

    .venv/bin/python benchmarks/ddp_train.py [--iterations 300] [--batch-size 32] [--nproc 1,2]
"""
import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from visuotactile_grasp.model import distributed
from visuotactile_grasp.model.inputs import Inputs, load_side
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import TrainConfig, train
from visuotactile_grasp.tools.learn import SMALL_HIDDEN


def synthetic(n: int, side: int) -> Inputs:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8) for _ in range(3)]
    return Inputs(*images, rng.normal(size=(n, 13)).astype(np.float32), (rng.random(n) < 0.5).astype(np.float32),
                  np.array([f"train_{i % 20:03d}" for i in range(n)]), np.full(n, "grasp"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--nproc", default="1,2", help="comma-separated process counts")
    args = parser.parse_args()
    model = ModelConfig(variant="tactile_vision", backbone="small", image_size=64, action_hidden=SMALL_HIDDEN,
                        fusion_hidden=SMALL_HIDDEN, pretrained=False)
    schedule = TrainConfig(iterations=args.iterations, batch_size=args.batch_size, lr=1e-3,
                           checkpoint_every=args.iterations, device="cpu")
    inputs = synthetic(512, load_side(model.image_size))
    print(f"{os.cpu_count()} cores, torch {torch.__version__}, batch {args.batch_size}, {args.iterations} iterations")
    every_core = torch.get_num_threads()
    # (processes, threads each): one process on one core too, the baseline that scaling is measured from
    runs = [(n, t) for n in (int(x) for x in args.nproc.split(","))
            for t in (sorted({1, every_core}) if n == 1 else [max(1, (os.cpu_count() or 1) // n)])]
    with tempfile.TemporaryDirectory() as tmp:
        for n, threads in runs:
            run = Path(tmp) / f"{n}x{threads}"
            if n == 1:
                torch.set_num_threads(threads)
                train(inputs, model, schedule, run, progress=False)
                torch.set_num_threads(every_core)
            else:
                distributed.launch(n, train, inputs, model, schedule, run, False, False, device_name="cpu")
            rate = json.loads((run / "model.json").read_text())["examples_per_s"]
            print(f"{n} process{'es' if n > 1 else ''} x {threads} thread{'s' if threads > 1 else ''}: "
                  f"{rate:.0f} examples/s")


if __name__ == "__main__":
    main()
