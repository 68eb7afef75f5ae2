"""Training with DDP: two CPU processes (gloo) follow the single process's loss curve and end at its
weights for the same global batch; rank 0 alone writes the run; a rank that dies ends the launch at
once, and the run resumes from its checkpoint on both ranks; `vtg train --nproc 2` runs end to end."""
import json
import shutil
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch.multiprocessing.spawn import ProcessExitedException

from test_model import SMALL, synthetic_inputs
from visuotactile_grasp.cli import main
from visuotactile_grasp.data.records import TrialRecord
from visuotactile_grasp.data.store import DatasetWriter
from visuotactile_grasp.model import checkpoint, distributed
from visuotactile_grasp.model import train as train_module
from visuotactile_grasp.model.network import ModelConfig
from visuotactile_grasp.model.train import TrainConfig, train

# both image stacks, so eight BatchNorm layers whose statistics must span the ranks
MODEL = ModelConfig(variant="tactile_vision", **SMALL)
SCHEDULE = TrainConfig(iterations=6, batch_size=8, lr=1e-3, lr_drop_at=4, checkpoint_every=1)
# Both runs compute in float64, so what is compared is the arithmetic: DDP sums two half-batch
# gradients where one process sums eight rows, and BatchNorm's sums are split the same way, which
# changes only the rounding (measured: 2e-15 on the losses, 6e-13 on the weights). In float32 the
# losses agree to 1e-7 but that rounding reaches 2e-5 to 5e-5 on a conv weight after 6 steps (Adam
# divides near-zero gradients by their own size), too close to a real error to test against. Ranks
# that normalised over their own 4 rows (plain BatchNorm under DDP) miss by 0.1 on the loss.
RTOL, ATOL = 1e-9, 1e-10


def _float64():
    torch.set_default_dtype(torch.float64)
    to_tensor = train_module.to_tensor_images
    train_module.to_tensor_images = lambda *args, **kwargs: to_tensor(*args, **kwargs).double()


def _inputs():
    inputs = synthetic_inputs()
    inputs.actions, inputs.labels = inputs.actions.astype(np.float64), inputs.labels.astype(np.float64)
    return inputs


def _refuse_writes_under(run_dir: str):
    def hook(event, args):
        path = args[0] if args else None
        if not isinstance(path, (str, bytes, os.PathLike)) or not os.fsdecode(path).startswith(run_dir):
            return
        mode, flags = (args[1], args[2]) if event == "open" else (None, 0)
        writing = event in ("os.rename", "os.remove", "os.mkdir") or (
            event == "open" and (any(c in (mode or "") for c in "wax+") or (mode is None and flags & (
                os.O_WRONLY | os.O_RDWR | os.O_CREAT))))
        if writing:
            raise PermissionError(f"rank {torch.distributed.get_rank()} wrote {path} ({event})")
    sys.addaudithook(hook)
    with pytest.raises(PermissionError):  # the hook is live
        open(os.path.join(run_dir, "probe"), "w")


def _rank(inputs, run_dir: str, resume: bool, die_after_step: int) -> None:
    """One rank of the launch: ranks other than 0 may not write under run_dir at all (an audit hook
    makes such a write fail the run); rank 0 exits hard right after checkpointing die_after_step."""
    _float64()
    if torch.distributed.get_rank() != 0:
        _refuse_writes_under(run_dir)
    elif die_after_step:
        save = checkpoint.save

        def save_then_die(run_dir, model, meta, *args, **kwargs):
            save(run_dir, model, meta, *args, **kwargs)
            if meta["step"] == die_after_step:
                os._exit(3)
        checkpoint.save = save_then_die
    train(inputs, MODEL, SCHEDULE, run_dir, resume=resume, progress=False)


def _losses(run_dir):
    return [json.loads(line)["loss"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_match_one_and_only_rank_0_writes(tmp_path, monkeypatch):
    inputs = _inputs()
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    monkeypatch.setattr(train_module, "to_tensor_images", train_module.to_tensor_images)  # restored after
    try:
        _float64()
        train(inputs, MODEL, SCHEDULE, single, progress=False)
    finally:
        torch.set_default_dtype(torch.float32)

    t0 = time.monotonic()
    with pytest.raises(ProcessExitedException, match="process 0 terminated with exit code 3"):
        distributed.launch(2, _rank, inputs, str(ddp), False, 3, device_name="cpu")
    assert time.monotonic() - t0 < 60, "rank 1 outlived rank 0's death"
    assert checkpoint.read_meta(ddp)["step"] == 3 and len(_losses(ddp)) == 3

    distributed.launch(2, _rank, inputs, str(ddp), True, 0, device_name="cpu")
    np.testing.assert_allclose(_losses(ddp), _losses(single), rtol=RTOL, atol=ATOL)
    ours, theirs = load_file(ddp / "model.safetensors"), load_file(single / "model.safetensors")
    assert ours.keys() == theirs.keys()
    for name in ours:  # weights, Adam moments and BatchNorm running statistics
        torch.testing.assert_close(ours[name], theirs[name], rtol=RTOL, atol=ATOL, msg=name)
    meta = checkpoint.read_meta(ddp)
    assert (meta["step"], meta["train"]["processes"], meta["train"]["backend"]) == (6, 2, "gloo")
    assert sorted(p.name for p in ddp.iterdir()) == sorted(p.name for p in single.iterdir())


def test_a_run_started_on_one_process_resumes_on_two(tmp_path, monkeypatch):
    """The checkpoint does not depend on the process count: 3 steps on one process, 3 more on two,
    equal a 6-step single-process run."""
    inputs = _inputs()
    single, mixed = tmp_path / "single", tmp_path / "mixed"
    monkeypatch.setattr(train_module, "to_tensor_images", train_module.to_tensor_images)  # restored after

    class Stopped(Exception):
        pass

    save = checkpoint.save

    def save_then_stop(run_dir, model, meta, *args, **kwargs):
        save(run_dir, model, meta, *args, **kwargs)
        if Path(run_dir) == mixed and meta["step"] == 3:
            raise Stopped
    monkeypatch.setattr(checkpoint, "save", save_then_stop)
    try:
        _float64()
        train(inputs, MODEL, SCHEDULE, single, progress=False)
        with pytest.raises(Stopped):
            train(inputs, MODEL, SCHEDULE, mixed, progress=False)
    finally:
        torch.set_default_dtype(torch.float32)
    assert checkpoint.read_meta(mixed)["train"]["processes"] == 1
    distributed.launch(2, _rank, inputs, str(mixed), True, 0, device_name="cpu")
    np.testing.assert_allclose(_losses(mixed), _losses(single), rtol=RTOL, atol=ATOL)
    ours, theirs = load_file(mixed / "model.safetensors"), load_file(single / "model.safetensors")
    for name in ours:
        torch.testing.assert_close(ours[name], theirs[name], rtol=RTOL, atol=ATOL, msg=name)
    assert checkpoint.read_meta(mixed)["train"]["processes"] == 2


def test_a_global_batch_must_split_evenly(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "rank_and_world", lambda: (0, 3))
    with pytest.raises(ValueError, match="batch size 8 does not split over 3 processes"):
        train(synthetic_inputs(), MODEL, SCHEDULE, tmp_path, progress=False)


def _dataset(root, n: int):
    from visuotactile_grasp.sim.cell import front_camera_model

    with DatasetWriter(root, info={"front_camera": front_camera_model(32, 24).to_dict()}) as writer:
        for i in range(n):
            rng = np.random.default_rng(i)
            images = {k: rng.integers(0, 255, (24, 32, 3), dtype=np.uint8) for k in (
                "rgb_before", "gel_left_before", "gel_left_during", "gel_right_before", "gel_right_during")}
            writer.append(TrialRecord(
                trial_id=i, object_id=f"train_{i % 4:03d}", kind="grasp", success=bool(i % 3), label_source="tactile",
                ground_truth_success=bool(i % 3), action=rng.uniform(-0.01, 0.01, 5),
                ee_pose=np.array([0.6, 0.0, 0.1, 0.3]), motion_gripper_frame=np.zeros(3), grip_force=12.5,
                gel_ids=(0, 1), stamps={"closed": 1.5, "lifted": 3.0}, images=images))
    return root


def test_vtg_train_nproc(tmp_path):
    data = _dataset(tmp_path / "ds", 24)
    args = ["train", "--data", str(data), "--backbone", "small", "--image-size", "32", "--iterations", "2",
            "--workers", "1"]
    assert main([*args, "--batch-size", "6", "--nproc", "4", "--out", str(tmp_path / "uneven")]) == 2
    # a dataset that does not say which camera took its front images: refused in one line for the object view
    unknown = tmp_path / "unknown"
    shutil.copytree(data, unknown)
    manifest = json.loads((unknown / "dataset.json").read_text())
    (unknown / "dataset.json").write_text(json.dumps({**manifest, "info": {}}))
    assert main(["train", "--data", str(unknown), *args[3:], "--out", str(tmp_path / "unknown_run")]) == 2
    assert main([*args, "--batch-size", "4", "--nproc", "2", "--out", str(tmp_path / "run")]) == 0
    meta = checkpoint.read_meta(tmp_path / "run")
    assert (meta["step"], meta["train"]["processes"], meta["data"]["examples"]) == (2, 2, 24)


def test_vtg_train_on_two_datasets_as_one(tmp_path):
    """The paper retrained on random and on-policy data together: --data A --data B."""
    a, b = _dataset(tmp_path / "a", 12), _dataset(tmp_path / "b", 16)
    assert main(["train", "--data", str(a), "--data", str(b), "--backbone", "small", "--image-size", "32",
                 "--iterations", "2", "--batch-size", "4", "--workers", "1", "--out", str(tmp_path / "run")]) == 0
    data = checkpoint.read_meta(tmp_path / "run")["data"]
    assert data["examples"] == 28 and data["dir"] == f"{a} + {b}" and len(data["collection"]) == 2


def test_vtg_train_under_torchrun(tmp_path):
    """torchrun starts the ranks as `vtg train` processes of its own; each ends through
    distributed.end_rank, and the run is the same as --nproc's: two processes, rank 0 writing it."""
    import subprocess

    data = _dataset(tmp_path / "ds", 24)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "visuotactile_grasp.cli", "train", "--data", str(data), "--backbone", "small", "--image-size", "32",
           "--iterations", "2", "--workers", "1", "--batch-size", "4", "--out", str(tmp_path / "run")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    meta = checkpoint.read_meta(tmp_path / "run")
    assert (meta["step"], meta["train"]["processes"], meta["train"]["backend"]) == (2, 2, "gloo")
