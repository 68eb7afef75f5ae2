"""Checkpoints as safetensors (weights, optimizer moments) plus a JSON sidecar (config, Platt, step).

No pickle anywhere: a checkpoint cannot run code when loaded. Every failure to use one says why:
missing, truncated or corrupt, written for another variant, or missing tensors.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from .network import GraspSuccessNet, ModelConfig

FORMAT = "visuotactile_grasp.model/1"


class CheckpointError(RuntimeError):
    pass


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(run_dir: str | Path, model: GraspSuccessNet, meta: dict, optimizer: torch.optim.Optimizer | None = None,
         name: str = "model") -> Path:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt_meta = None
    if optimizer is not None:
        state = optimizer.state_dict()
        for pid, s in state["state"].items():
            for k, v in s.items():
                tensors[f"optim.{pid}.{k}"] = torch.as_tensor(v).cpu().contiguous()
        opt_meta = {"param_groups": state["param_groups"]}
    weights = run_dir / f"{name}.safetensors"
    data = save_tensors(tensors)
    _atomic(weights, lambda p: p.write_bytes(data))
    # what the stacks were initialised from, as it happened: "pretrained" is true only when ImageNet
    # weights were really loaded (asking for them on a machine without the file gives random weights)
    notes = list(getattr(model, "init_notes", []))
    config = {**model.config.to_dict(), "pretrained": any(n.split(": ", 1)[-1].startswith("ImageNet init")
                                                           for n in notes)}
    sidecar = {"format": FORMAT, "config": config, "initialisation": notes, "optimizer": opt_meta,
               "weights_sha256": hashlib.sha256(data).hexdigest(), **meta}
    _atomic(run_dir / f"{name}.json", lambda p: p.write_text(json.dumps(sidecar, indent=2)))
    return weights


def read_meta(run_dir: str | Path, name: str = "model") -> dict:
    path = Path(run_dir) / f"{name}.json"
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CheckpointError(f"no checkpoint at {path}") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint sidecar {path} is unreadable: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint (format {meta.get('format')!r})")
    return meta


def model_config(meta: dict) -> ModelConfig:
    """The ModelConfig a model.json describes (weights come from the checkpoint, never from ImageNet)."""
    # a model.json from before the front crop names no front_view: its model saw the whole frame
    return ModelConfig(**{"front_view": "full", **meta["config"], "pretrained": False})


def load(run_dir: str | Path, expect_variant: str | None = None, name: str = "model",
         optimizer: torch.optim.Optimizer | None = None) -> tuple[GraspSuccessNet, dict]:
    """The model (eval mode) and its sidecar; optionally restores the optimizer's moments."""
    meta = read_meta(run_dir, name)
    config = model_config(meta)
    if expect_variant and config.variant != expect_variant:
        raise CheckpointError(f"checkpoint in {run_dir} is a {config.variant!r} model, expected {expect_variant!r}")
    weights = Path(run_dir) / f"{name}.safetensors"
    try:
        data = weights.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"checkpoint weights {weights} missing: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != meta.get("weights_sha256"):
        raise CheckpointError(f"checkpoint weights {weights} are corrupt or truncated (checksum mismatch)")
    try:
        tensors = load_tensors(data)  # the bytes just checksummed, not a second read
    except SafetensorError as exc:
        raise CheckpointError(f"checkpoint weights {weights} do not load: {exc}") from exc
    model = GraspSuccessNet(config)
    state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(f"checkpoint {weights} does not fit a {config.variant}/{config.backbone} model: "
                              f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    if optimizer is not None and meta.get("optimizer"):
        opt_state = {"param_groups": meta["optimizer"]["param_groups"], "state": {}}
        for k, v in tensors.items():
            if k.startswith("optim."):
                _, pid, field = k.split(".", 2)
                opt_state["state"].setdefault(int(pid), {})[field] = v
        optimizer.load_state_dict(opt_state)
    model.init_notes = list(meta.get("initialisation", []))  # a resumed run keeps its true origin
    model.eval()
    return model, meta


def update_meta(run_dir: str | Path, entries: dict, name: str = "model") -> dict:
    """Replace entries of a checkpoint's sidecar (calibration done again), keeping its weights and
    everything else it records; the sidecar is rewritten atomically."""
    meta = read_meta(run_dir, name)
    for key in ("format", "config", "initialisation", "weights_sha256", "optimizer"):
        if key in entries:
            raise ValueError(f"{key!r} describes the weights; it is not replaced after training")
    meta.update(entries)
    _atomic(Path(run_dir) / f"{name}.json", lambda p: p.write_text(json.dumps(meta, indent=2)))
    return meta
