"""vtg bench planner: where the planning time goes (image features, candidate scoring, end to end).

Random weights: timing does not depend on what the network learned. Each figure is the median of
--repeats runs after --warmup runs.
"""
from __future__ import annotations

import statistics
import time

import numpy as np


def _median_s(fn, repeats: int, warmup: int, sync) -> float:
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_planner(backbones=("resnet50", "resnet18", "small"), devices=None, candidates: int = 5000,
                  repeats: int = 5, warmup: int = 2, channels_last: bool = True) -> list[dict]:
    import torch

    from ..model.network import GraspSuccessNet, ModelConfig
    from ..planning.regrasp import CandidateConfig, LearnedPolicy

    devices = devices or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    rows = []
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    diff = rng.integers(100, 156, (240, 320, 3), dtype=np.uint8)
    pose = np.array([0.6, 0.0, 0.05, 0.0])
    for backbone in backbones:
        small = backbone == "small"
        cfg = ModelConfig(variant="tactile_vision", backbone=backbone, image_size=64 if small else 224,
                          action_hidden=256 if small else 1024, fusion_hidden=256 if small else 1024,
                          pretrained=False)
        for device in devices:
            model = GraspSuccessNet(cfg).eval().to(device)
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
            policy = LearnedPolicy(model, {"platt": [1.0, 0.0]},
                                   CandidateConfig(n_random=candidates - 100, n_force_sweep=100), device=device)
            sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
            plans = []

            def end_to_end(policy=policy, plans=plans):
                plans.append(policy.plan(rgb, diff, diff, pose, 10.0, rng))
            total = _median_s(end_to_end, repeats, warmup, sync)
            timings = plans[-repeats:]
            rows.append({"backbone": backbone, "device": device, "candidates": candidates,
                         "images_s": statistics.median(p.timings["images"] for p in timings),
                         "scoring_s": statistics.median(p.timings["scoring"] for p in timings),
                         "total_s": total, "threads": torch.get_num_threads()})
    return rows


def run_bench(args) -> int:
    if args.what == "planner":
        rows = bench_planner(tuple(args.backbones.split(",")), candidates=args.candidates, repeats=args.repeats)
        print(f"{'backbone':10s} {'device':6s} {'threads':>7s} {'images ms':>10s} {'scoring ms':>11s} "
              f"{'end-to-end ms':>14s}  ({args.candidates} candidates)")
        for r in rows:
            print(f"{r['backbone']:10s} {r['device']:6s} {r['threads']:7d} {1000 * r['images_s']:10.1f} "
                  f"{1000 * r['scoring_s']:11.1f} {1000 * r['total_s']:14.1f}")
        return 0
    raise ValueError(f"unknown benchmark {args.what!r}")
