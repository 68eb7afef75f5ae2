"""Training f(s, a) with the paper's schedule, a by-object validation split and Platt scaling.

Defaults are the paper's: batch 16, 9,000 iterations, learning rate /10 after 7,000. A run folder
holds model.safetensors + model.json (config, Platt parameters, metrics, step) and metrics.jsonl;
a run that is stopped resumes from its last checkpoint with the same batches it would have drawn.
Inside a process group (model/distributed.py) each rank trains on its slice of the same global batch,
and rank 0 alone writes the run.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checkpoint, distributed
from .calibration import fit_platt, metrics, sigmoid
from .frozen_features import freeze_stacks, stack_feature_table
from .inputs import Inputs, to_tensor_images
from .lift_calibration import planner_sweep, reachable_lift
from .network import GraspSuccessNet, ModelConfig
from .tensorboard_log import LOG_EVERY, TrainLog


@dataclass
class TrainConfig:
    iterations: int = 9000
    batch_size: int = 16
    lr: float = 1e-4
    lr_drop_at: int = 7000  # learning rate / 10 from here on
    weight_decay: float = 1e-4
    val_fraction: float = 0.15  # of the training objects, held out for Platt scaling and model choice
    lift_quantile: float = 0.5  # the reachable lift threshold: this quantile of keep p on held validation grasps
    checkpoint_every: int = 500
    # the image stacks keep their initial (ImageNet) weights and each image's features are computed once;
    # only the action MLP and fusion layers train (model/frozen_features.py: the CPU default for ImageNet stacks)
    frozen_stacks: bool = False
    seed: int = 0  # the validation split by object, and (unless init_seed) initialisation and batch order
    # another initialisation and batch order on the same split: the run-to-run spread of a model; None: seed
    init_seed: int | None = None
    device: str = "auto"
    processes: int = 1  # DDP ranks the global batch was split over; recorded by train()
    backend: str = "none"  # their torch.distributed backend (gloo, nccl)


HOW_IT_RAN = ("device", "processes", "backend")  # not what a run computes: a run may resume with others


def pick_device(name: str) -> torch.device:
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())  # a DDP rank's own GPU (set_device)
    return device


def split_by_object(object_ids: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Masks (train, validation) with whole objects on one side only."""
    objects = np.array(sorted(set(object_ids.tolist())))
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(len(objects) * fraction))) if len(objects) > 1 and fraction > 0 else 0
    val_objects = set(rng.choice(objects, n_val, replace=False).tolist()) if n_val else set()
    val = np.array([o in val_objects for o in object_ids])
    return ~val, val


def batch_tensors(model: GraspSuccessNet, inputs: Inputs, idx, crop: int, rng, device, part=slice(None)):
    """The rows `part` of the batch idx; crops are drawn for all of idx, so that every DDP rank's rng
    stays in step and its slice is the one a single process would have cropped."""
    cfg = model.config

    def images(array, diff):
        return to_tensor_images(array[idx], crop, rng, diff=diff)[part].to(device)
    rgb = images(inputs.rgb, False) if cfg.uses_vision else None
    gl = gr = None
    if cfg.uses_tactile:
        gl, gr = images(inputs.gel_left, True), images(inputs.gel_right, True)
    return rgb, gl, gr, torch.from_numpy(inputs.actions[idx[part]]).to(device)


@torch.inference_mode()
def predict_logits(model: GraspSuccessNet, inputs: Inputs, batch: int = 128, frozen: bool = False) -> np.ndarray:
    """The model's logits for every example (centre crops, eval mode). frozen: its stacks are those
    it was trained with frozen, so their features come from the cache (frozen_features), not again."""
    model.eval()
    device = next(model.parameters()).device
    table = stack_feature_table(model, inputs, device) if frozen and len(inputs) else None
    out = []
    for start in range(0, len(inputs), batch):
        idx = np.arange(start, min(start + batch, len(inputs)))
        if table is not None:
            out.append(model(None, None, None, torch.from_numpy(inputs.actions[idx]).to(device),
                             stacks=table[torch.from_numpy(idx)]).float().cpu())
        else:
            out.append(model(*batch_tensors(model, inputs, idx, model.config.image_size, None, device)).float().cpu())
    return torch.cat(out).numpy() if out else np.zeros(0)


def train(inputs: Inputs, model_cfg: ModelConfig, cfg: TrainConfig, run_dir: str | Path, resume: bool = False,
          progress: bool = True, data: dict | None = None) -> dict | None:
    """data: what the inputs came from (recorded in model.json as it is). In a process group every
    rank calls this; rank 0 returns model.json's entries, the others None."""
    from tqdm import tqdm

    run_dir = Path(run_dir)
    rank, world = distributed.rank_and_world()
    if cfg.batch_size % world:
        raise ValueError(f"batch size {cfg.batch_size} does not split over {world} processes: "
                         f"use a multiple of {world}")
    cfg = replace(cfg, processes=world, backend=torch.distributed.get_backend() if world > 1 else "none")
    part = slice(rank * cfg.batch_size // world, (rank + 1) * cfg.batch_size // world)
    run_seed = cfg.seed if cfg.init_seed is None else cfg.init_seed
    torch.manual_seed(run_seed)
    device = pick_device(cfg.device)
    train_mask, val_mask = split_by_object(inputs.object_ids, cfg.val_fraction, cfg.seed)
    tr, va = inputs.subset(train_mask), inputs.subset(val_mask)
    resuming = resume and (run_dir / "model.json").exists()
    # a resumed run starts from its checkpoint, not from ImageNet again, and keeps its true origin
    model = GraspSuccessNet(replace(model_cfg, pretrained=False) if resuming else model_cfg).to(device)
    if cfg.frozen_stacks:
        freeze_stacks(model)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr,
                                 weight_decay=cfg.weight_decay)
    step, previous_rate = 0, None
    if resuming:
        check_resumable(run_dir, model_cfg, cfg, data)
        loaded, meta = checkpoint.load(run_dir, expect_variant=model_cfg.variant, optimizer=optimizer)
        model.load_state_dict(loaded.state_dict())
        model.init_notes = list(loaded.init_notes)
        step, previous_rate = meta["step"], meta.get("examples_per_s")
        if step >= cfg.iterations:  # only re-calibrated: it keeps the processes it was trained by, as its speed
            cfg = replace(cfg, **{k: meta.get("train", {}).get(k, v) for k, v in
                                  asdict(TrainConfig()).items() if k in ("processes", "backend")})
    # every rank has loaded the checkpoint before rank 0 can write one: DDP's constructor is a collective
    net = distributed.wrap(model, device) if world > 1 else model
    loss_fn = nn.BCEWithLogitsLoss()
    if rank == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
        log = open(run_dir / "metrics.jsonl", "a")
    board = TrainLog(run_dir, step, enabled=rank == 0)
    table = None
    if cfg.frozen_stacks and step < cfg.iterations:  # after a resume's load: the checkpoint's stacks (the same)
        table = stack_feature_table(model, tr, device, progress=progress and rank == 0)
    t0, seen, running, window = time.monotonic(), 0, [], []
    model.train()
    with tqdm(total=cfg.iterations, initial=step, desc=f"train {model_cfg.variant}", unit="it",
              disable=not progress or rank != 0) as bar:
        while step < cfg.iterations:
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * (0.1 if step >= cfg.lr_drop_at else 1.0)
            rng = np.random.default_rng([run_seed, step])  # the same batch for step k, resumed or not
            idx = rng.integers(0, len(tr), cfg.batch_size)
            labels = torch.from_numpy(tr.labels[idx[part]]).to(device)
            if table is not None:
                actions = torch.from_numpy(tr.actions[idx[part]]).to(device)
                logits = net(None, None, None, actions, stacks=table[torch.from_numpy(idx[part])])
            else:
                logits = net(*batch_tensors(model, tr, idx, model_cfg.image_size, rng, device, part))
            loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seen += cfg.batch_size
            running.append(loss.item())
            window.append((loss.item(), ((logits.detach() > 0) == (labels > 0.5)).float().mean().item()))
            bar.update()
            if step % LOG_EVERY == 0 or step == cfg.iterations:  # every rank: the means are collectives
                loss_w, acc_w = (distributed.mean_over_ranks(float(v), device) for v in np.mean(window, axis=0))
                board.training(step, loss_w, acc_w, optimizer.param_groups[0]["lr"],
                               seen / max(time.monotonic() - t0, 1e-9))
                window = []
            if step % cfg.checkpoint_every == 0 or step == cfg.iterations:
                # the global batch's mean loss (equal slices: the mean of the ranks' means)
                loss_mean = distributed.mean_over_ranks(float(np.mean(running)), device)
                running = []
                if rank == 0:
                    rate = seen / (time.monotonic() - t0)
                    entry = {"step": step, "loss": float(loss_mean), "examples_per_s": rate}
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                    bar.set_postfix(loss=f"{entry['loss']:.3f}", ex_s=f"{rate:.0f}")
                    checkpoint.save(run_dir, model, {"step": step, "train": asdict(cfg), "data": data}, optimizer)
                    model.train()
    if rank != 0:
        return None  # nothing to wait for: rank 0 calibrates alone, with no collective
    log.close()
    # a finished run that is only re-calibrated keeps the speed it was trained at
    rate = seen / max(time.monotonic() - t0, 1e-9) if seen else previous_rate
    meta = finish(model, tr, va, cfg, run_dir, examples_per_s=rate, data=data)
    board.validation(cfg.iterations, run_dir, meta)
    board.close()
    return meta


def check_resumable(run_dir: Path, model_cfg: ModelConfig, cfg: TrainConfig, data: dict | None) -> None:
    """A run resumes only with the model, schedule and data it started with (a cross-validation fold
    reused under another configuration would be reported as the new one)."""
    meta = checkpoint.read_meta(run_dir)
    # fields a run's file may lack are the values it was trained with (checkpoint.model_config)
    stored = {k: v for k, v in checkpoint.model_config(meta).to_dict().items() if k != "pretrained"}
    wanted = {k: v for k, v in model_cfg.to_dict().items() if k != "pretrained"}
    problems = [f"model {stored} != {wanted}"] if stored != wanted else []

    def schedule(train: dict) -> dict:  # entries a run's file may lack are the defaults they were added with
        return {k: v for k, v in {**asdict(TrainConfig()), **train}.items() if k not in HOW_IT_RAN}
    if meta.get("train") and schedule(meta["train"]) != schedule(asdict(cfg)):
        problems.append(f"training {meta['train']} != {asdict(cfg)}")
    before = meta.get("data") or {}
    same_data = (before.get("dir"), before.get("examples")) == ((data or {}).get("dir"), (data or {}).get("examples"))
    if data is not None and before and not same_data:
        problems.append(f"data {before.get('dir')} ({before.get('examples')} examples) != {data.get('dir')} "
                        f"({data.get('examples')})")
    if problems:
        raise ValueError(f"{run_dir} was started with another setup ({'; '.join(problems)}): use a new output folder")


def finish(model, tr: Inputs, va: Inputs, cfg: TrainConfig, run_dir: Path, examples_per_s: float,
           data: dict | None = None) -> dict:
    """Platt scaling and the reachable lift threshold on the validation objects; metrics before and
    after; the final checkpoint."""
    meta = {"step": cfg.iterations, "train": asdict(cfg), "examples_per_s": examples_per_s, "data": data,
            "train_objects": sorted(set(tr.object_ids.tolist())), "val_objects": sorted(set(va.object_ids.tolist())),
            **calibrate(model, va, cfg, run_dir)}
    checkpoint.save(run_dir, model, meta)
    return meta


def calibrate(model, va: Inputs, cfg: TrainConfig, run_dir: Path) -> dict:
    """model.json's platt, val_raw, val_calibrated and lift entries, from the validation objects."""
    if not (len(va) and 0 < va.labels.mean() < 1):
        return {"platt": [1.0, 0.0], "val_raw": None, "val_calibrated": None,
                "lift": {"rule": "reachable", "threshold": None, "why": "no validation objects with both outcomes"}}
    logits = predict_logits(model, va, frozen=cfg.frozen_stacks)
    a, b = fit_platt(logits, va.labels)
    np.savez(run_dir / "val_predictions.npz", logits=logits, labels=va.labels)
    sweep, paper_threshold = planner_sweep()
    return {"platt": [a, b], "val_raw": metrics(sigmoid(logits), va.labels),
            "val_calibrated": metrics(sigmoid(a * logits + b), va.labels),
            "lift": reachable_lift(model, va, [a, b], sweep, paper_threshold, cfg.lift_quantile,
                                   frozen=cfg.frozen_stacks)}


def recalibrate(run_dir: str | Path, inputs: Inputs) -> dict:
    """Platt and lift calibration of a finished checkpoint again (the same validation split, from its
    model.json); the weights are not touched, only model.json's calibration entries are replaced."""
    run_dir = Path(run_dir)
    model, meta = checkpoint.load(run_dir)
    cfg = TrainConfig(**{**asdict(TrainConfig()), **meta["train"]})
    _, val_mask = split_by_object(inputs.object_ids, cfg.val_fraction, cfg.seed)
    va = inputs.subset(val_mask)
    if sorted(set(va.object_ids.tolist())) != meta.get("val_objects"):
        raise ValueError(f"{run_dir} was validated on {meta.get('val_objects')}, this data splits to "
                         f"{sorted(set(va.object_ids.tolist()))}: not the data it was trained on")
    entries = calibrate(model, va, cfg, run_dir)
    checkpoint.update_meta(run_dir, entries)
    return entries

