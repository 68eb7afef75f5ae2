"""vtg bench planner: where the planning time goes (image features, candidate scoring, end to end).

Random weights: timing does not depend on what the network learned. Each figure is the median of
--repeats runs after --warmup runs.
"""
from __future__ import annotations

import statistics
import time
from ..devices.gelsight.sources import GELSIGHT_FPS, GELSIGHT_HEIGHT, GELSIGHT_WIDTH
from ..planning.planner_defaults import CANDIDATES, FORCE_SWEEP, SEARCHES

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


def bench_planner(backbones=("resnet50", "resnet18", "small"), devices=None, candidates: int = CANDIDATES,
                  repeats: int = 5, warmup: int = 2, channels_last: bool = True,
                  searches=SEARCHES) -> list[dict]:
    import torch

    from ..model.network import GraspSuccessNet, ModelConfig
    from ..planning.regrasp import CandidateConfig, LearnedPolicy
    from ..sim.cell import front_camera_model

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
        for device, search in ((d, s) for d in devices for s in searches):
            model = GraspSuccessNet(cfg).eval().to(device)
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
            policy = LearnedPolicy(model, {"platt": [1.0, 0.0]}, CandidateConfig(
                n_random=candidates - FORCE_SWEEP, n_force_sweep=FORCE_SWEEP, search=search, lift_rule="paper"),
                device=device, camera=front_camera_model(320, 240))  # untrained: only the timing counts
            sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
            plans = []

            def end_to_end(policy=policy, plans=plans):
                plans.append(policy.plan(rgb, diff, diff, pose, 10.0, rng))
            total = _median_s(end_to_end, repeats, warmup, sync)
            timings = plans[-repeats:]
            rows.append({"backbone": backbone, "device": device, "search": search,
                         "candidates": len(timings[-1].candidates),
                         "images_s": statistics.median(p.timings["images"] for p in timings),
                         "scoring_s": statistics.median(p.timings["scoring"] for p in timings),
                         "total_s": total, "threads": torch.get_num_threads()})
    return rows


def _train_step(model, opt, inputs, idx, rng, stacks=None) -> None:
    """One optimiser step on the examples idx: from the images (random crops), or from cached stack features."""
    import torch

    from ..model.inputs import to_tensor_images

    labels, actions = torch.from_numpy(inputs.labels[idx]), torch.from_numpy(inputs.actions[idx])
    if stacks is None:
        images = [to_tensor_images(a[idx], 224, rng, diff=d) for a, d in
                  ((inputs.rgb, False), (inputs.gel_left, True), (inputs.gel_right, True))]
        logits = model(*images, actions)
    else:
        logits = model(None, None, None, actions, stacks=stacks[torch.from_numpy(idx)])
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()


def bench_train(backbones=("efficientnet_lite0",), examples: int = 128, iterations: int = 6,
                batch: int = 16) -> list[dict]:
    """Training speed of the paper's network shape (224 px, action MLP 2 x 1024, fusion 1024) on this
    machine, on synthetic 256 px inputs: fine-tuning everything (examples/s), and with frozen stacks
    (each image's features once, images/s; then the heads alone, examples/s)."""
    import torch

    from ..model import frozen_features
    from ..model.inputs import Inputs
    from ..model.network import ACTION_DIM, GraspSuccessNet, ModelConfig

    rng = np.random.default_rng(0)
    side = 256
    inputs = Inputs(*(rng.integers(0, 255, (examples, side, side, 3), dtype=np.uint8) for _ in range(3)),
                    rng.standard_normal((examples, ACTION_DIM)).astype(np.float32),
                    rng.integers(0, 2, examples).astype(np.float32), np.array(["o"] * examples),
                    np.array(["grasp"] * examples))
    device, rows = torch.device("cpu"), []
    for backbone in backbones:
        cfg = ModelConfig(backbone=backbone, image_size=224)
        model = GraspSuccessNet(cfg).to(device).train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        _train_step(model, opt, inputs, rng.integers(0, examples, batch), rng)  # warm-up
        t0 = time.perf_counter()
        for _ in range(iterations):
            _train_step(model, opt, inputs, rng.integers(0, examples, batch), rng)
        finetune = iterations * batch / (time.perf_counter() - t0)
        frozen_features.freeze_stacks(model)
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        frozen_features.forget()
        t0 = time.perf_counter()
        table = frozen_features.stack_feature_table(model, inputs, device)
        images_s = 3 * examples / (time.perf_counter() - t0)
        _train_step(model, opt, inputs, rng.integers(0, examples, batch), rng, table)
        t0 = time.perf_counter()
        for _ in range(20 * iterations):
            _train_step(model, opt, inputs, rng.integers(0, examples, batch), rng, table)
        heads = 20 * iterations * batch / (time.perf_counter() - t0)
        rows.append({"backbone": backbone, "finetune_examples_s": finetune, "feature_images_s": images_s,
                     "heads_examples_s": heads, "threads": torch.get_num_threads()})
    return rows


def bench_search(checkpoint_dir: str, data: str, states: int = 20, seed: int = 0) -> dict:
    """Best predicted success (as a logit: calibrated probabilities saturate near 1 and hide the
    difference) found against network evaluations: random shooting vs CEM, on recorded states."""
    from ..data.store import DatasetReader
    from ..model import checkpoint
    from ..model.inputs import dataset_camera
    from ..perception.tactile import difference_image
    from ..planning.regrasp import CandidateConfig, LearnedPolicy, cem_search, sample_candidates

    model, meta = checkpoint.load(checkpoint_dir)
    cfg = CandidateConfig()
    reader = DatasetReader(data)
    policy = LearnedPolicy(model, meta, cfg, camera=dataset_camera(reader))
    rng = np.random.default_rng(seed)
    picks = rng.choice([i for i, e in enumerate(reader.entries) if e["kind"] == "grasp"], states, replace=False)
    budgets = (50, 100, 200, 400, 1000, 2000, 5000)
    shooting = {b: [] for b in budgets}
    cem_curves = []
    for i in picks:
        r = reader.load(int(i))
        im = r.images
        score = policy.scorer(im["rgb_before"], difference_image(im["gel_left_during"], im["gel_left_before"]),
                              difference_image(im["gel_right_during"], im["gel_right_before"]), r.ee_pose,
                              r.grip_force, calibrated=False)  # logits: probabilities saturate near 1
        cands = sample_candidates(r.ee_pose, r.grip_force, rng, CandidateConfig(n_random=max(budgets),
                                                                               n_force_sweep=0))
        probs = score(cands)
        for b in budgets:
            shooting[b].append(float(probs[:b].max()))
        cem_curves.append(cem_search(score, r.ee_pose, r.grip_force, rng, cfg)[2])
    cem_points = {}
    for curve in cem_curves:
        for evals, best in curve:
            cem_points.setdefault(evals, []).append(best)
    return {"shooting": {b: float(np.mean(v)) for b, v in shooting.items()},
            "cem": {e: float(np.mean(v)) for e, v in sorted(cem_points.items()) if len(v) == len(cem_curves)}}


def bench_gelsight(seconds: float = 15.0, width: int = GELSIGHT_WIDTH, height: int = GELSIGHT_HEIGHT,
                   rate: float = GELSIGHT_FPS) -> dict:
    """Two GelSight nodes, each capturing width x height frames at `rate` from an image folder (JPEG, as
    a webcam's MJPEG), as separate processes; counts the difference images and contacts delivered to
    another process and their capture-to-delivery latency."""
    import subprocess
    import tempfile
    import threading
    from pathlib import Path

    import cv2
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    from visuotactile_grasp_msgs.msg import TactileContact

    from .. import topics
    from ..graph.lifecycle import child_env
    from ..graph.runner import executable_path
    from ..ros import qos
    from ..ros.clocks import node_now
    from ..ros.dds import apply_localhost_env, localhost_env
    from ..stamps import stamp_seconds

    folder = Path(tempfile.mkdtemp(prefix="vtg_gel_frames_"))
    rng = np.random.default_rng(0)
    base = np.dstack([np.tile(np.linspace(60, 200, width, dtype=np.float32), (height, 1))] * 3)
    for i in range(10):  # a background and a few presses
        frame = base + rng.normal(0, 3, base.shape)
        if i % 3:
            cv2.circle(frame, (width // 2, height // 2), 120 + 20 * i, (255, 90, 40), -1)
        cv2.imwrite(str(folder / f"{i:03d}.jpg"), np.clip(frame, 0, 255).astype(np.uint8))
    env = localhost_env()
    apply_localhost_env(int(env["ROS_DOMAIN_ID"]))
    procs = [subprocess.Popen([executable_path("gelsight_node"), "--ros-args", "-r", f"__node:=gelsight_{side}",
                               "-p", f"side:={side}", "-p", f"source:=folder:{folder}", "-p", f"frame_rate:={rate}",
                               "-p", f"width:={width}", "-p", f"height:={height}"],
                              env=child_env(env, "bench-gelsight"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for side in topics.SIDES]
    rclpy.init()
    node = rclpy.create_node("vtg_bench_gelsight")
    stats = {side: {"diff": 0, "contact": 0, "latency": []} for side in topics.SIDES}
    counting = threading.Event()

    def on_diff(msg, side):
        if counting.is_set():
            s = stats[side]
            s["diff"] += 1
            s["latency"].append(node_now(node) - stamp_seconds(msg.header.stamp))

    def on_contact(_msg, side):
        if counting.is_set():
            stats[side]["contact"] += 1
    for side in topics.SIDES:
        node.create_subscription(Image, topics.gelsight(side, "image_diff"), lambda m, s=side: on_diff(m, s),
                                 qos.IMAGE)
        node.create_subscription(TactileContact, topics.gelsight(side, "contact"),
                                 lambda m, s=side: on_contact(m, s), qos.RELIABLE)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    try:
        end = time.monotonic() + 5.0  # start-up and background capture
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        counting.set()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
        counting.clear()
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        node.destroy_node()
        rclpy.try_shutdown()
    return {side: {"diff_hz": s["diff"] / seconds, "contact_hz": s["contact"] / seconds,
                   "latency_ms_median": 1000 * float(np.median(s["latency"])) if s["latency"] else float("nan"),
                   "latency_ms_p95": 1000 * float(np.percentile(s["latency"], 95)) if s["latency"] else float("nan")}
            for side, s in stats.items()}


def bench_graph(attempts: int = 2, objects=("easy_00", "hard_01"), search: str = "random") -> dict:
    """Sensor-to-goal latency through the running grasp graph with the shipped learned planner:
    for each plan request, the wall time from the newest GelSight difference image (what the
    planner reads) and from the request itself to the GraspGoal arriving back."""
    from sensor_msgs.msg import Image

    from .. import topics
    from ..paths import models_dir
    from ..ros import qos
    from .graph_session import GraphSession

    overrides = {"regrasp_planner": {"policy": "tactile_vision", "search": search,
                                     "checkpoint": str(models_dir() / "tactile_vision_small")},
                 "sim_cell": {"gel_model": "legacy", "objects": "v1"}}  # the small model's own world
    diffs = []
    with GraphSession("grasp", sim=True, overrides=overrides) as session:
        m = session.monitor
        m.create_subscription(Image, topics.gelsight("left", "image_diff"), lambda _m: diffs.append(time.monotonic()),
                              qos.IMAGE)
        requests, goals = session.watch_decisions()
        if not session.wait_until_up(90.0):
            raise RuntimeError("grasp graph did not come up:\n" + m.report())
        for i in range(attempts):
            session.execute_grasp(objects[i % len(objects)], "tactile_vision")
    request_to_goal, sensor_to_goal = [], []
    for k, (_goal, t_goal) in goals.items():
        if k in requests:
            request_to_goal.append(t_goal - requests[k])
            before = [t for t in diffs if t <= requests[k]]
            if before:
                sensor_to_goal.append(t_goal - before[-1])
    return {"decisions": len(request_to_goal),
            "request_to_goal_ms": 1000 * float(np.median(request_to_goal)) if request_to_goal else float("nan"),
            "sensor_to_goal_ms": 1000 * float(np.median(sensor_to_goal)) if sensor_to_goal else float("nan"),
            "sensor_to_goal_ms_max": 1000 * float(np.max(sensor_to_goal)) if sensor_to_goal else float("nan")}


def run_bench(args) -> int:
    if args.what == "train":
        rows = bench_train(tuple(args.backbones.split(",")))
        for r in rows:
            paper = 9000 * 16  # examples the paper's schedule trains on
            hours_ft = paper / r["finetune_examples_s"] / 3600
            hours_fr = (3 * 18070 / r["feature_images_s"] + paper / r["heads_examples_s"]) / 3600
            print(f"{r['backbone']} at 224 px, action MLP 2 x 1024, fusion 1024, batch 16, {r['threads']} threads:\n"
                  f"  fine-tuning everything: {r['finetune_examples_s']:.1f} examples/s "
                  f"(the paper's 9,000 iterations: {hours_ft:.1f} h)\n"
                  f"  frozen stacks: features {r['feature_images_s']:.1f} images/s once, then the heads "
                  f"{r['heads_examples_s']:.0f} examples/s (18,070 examples x 3 images + 9,000 iterations: "
                  f"{hours_fr:.2f} h)")
        return 0
    if args.what == "planner":
        rows = bench_planner(tuple(args.backbones.split(",")), candidates=args.candidates, repeats=args.repeats)
        print(f"{'backbone':10s} {'device':6s} {'search':7s} {'scored':>6s} {'threads':>7s} {'images ms':>10s} "
              f"{'scoring ms':>11s} {'end-to-end ms':>14s}")
        for r in rows:
            print(f"{r['backbone']:10s} {r['device']:6s} {r['search']:7s} {r['candidates']:6d} {r['threads']:7d} "
                  f"{1000 * r['images_s']:10.1f} {1000 * r['scoring_s']:11.1f} {1000 * r['total_s']:14.1f}")
        return 0
    if args.what == "graph":
        r = bench_graph(args.attempts, search=args.search)
        print(f"grasp graph, learned planner ({args.search} search), {r['decisions']} decisions: request -> goal "
              f"median {r['request_to_goal_ms']:.0f} ms; newest GelSight image -> goal median "
              f"{r['sensor_to_goal_ms']:.0f} ms (max {r['sensor_to_goal_ms_max']:.0f} ms)")
        return 0
    if args.what == "gelsight":
        result = bench_gelsight(args.seconds)
        print(f"two GelSight nodes, 1280x960 JPEG frames requested at 30 Hz, {args.seconds:.0f} s:")
        for side, r in result.items():
            print(f"  {side:5s}: difference images {r['diff_hz']:.1f} Hz, contacts {r['contact_hz']:.1f} Hz, "
                  f"capture-to-delivery latency median {r['latency_ms_median']:.0f} ms, "
                  f"95th pct {r['latency_ms_p95']:.0f} ms")
        return 0
    if args.what == "search":
        if not (args.checkpoint and args.data):
            raise SystemExit("vtg bench search needs --checkpoint RUN and --data DATASET")
        result = bench_search(args.checkpoint, args.data, states=args.states)
        print(f"mean best predicted success logit over {args.states} states, against network evaluations")
        print("random shooting: " + ", ".join(f"{b}: {p:.2f}" for b, p in result["shooting"].items()))
        print("CEM:             " + ", ".join(f"{e}: {p:.2f}" for e, p in result["cem"].items()))
        return 0
    raise ValueError(f"unknown benchmark {args.what!r}")
