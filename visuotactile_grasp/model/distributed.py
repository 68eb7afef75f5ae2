"""Data-parallel training on one machine: torch DistributedDataParallel, gloo on CPU, nccl on GPU.

Every rank draws the same global batch (model/train.py) and trains on its slice; DDP averages the
gradients, so an update is the single-process one up to float reduction order. BatchNorm would break
that (each rank would normalise over its slice only), so its training statistics are taken over all
ranks: torch.nn.SyncBatchNorm on GPU. On CPU torch's SyncBatchNorm refuses to run (torch 2.14 raises
"SyncBatchNorm expected input tensor to be on GPU or XPU", and torch.batch_norm_stats, which it
calls, has no CPU kernel), so CpuSyncBatchNorm2d below does the same arithmetic over gloo.

Two ways in: `vtg train --nproc N` spawns the ranks here (launch: torch.multiprocessing.spawn and a
TCPStore on 127.0.0.1 held by the parent), and `torchrun --nproc-per-node N -m visuotactile_grasp.cli
train ...` sets RANK/WORLD_SIZE/MASTER_ADDR for the env:// init (process_group).
"""
from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from datetime import timedelta
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn

# A rank that stops answering (alive but stuck) fails the others' collectives after this instead of
# hanging them; a rank that dies is noticed at once (spawn's join, torchrun's agent, gloo's sockets).
TIMEOUT_S = 600.0


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def under_torchrun() -> bool:
    return "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ


@contextmanager
def process_group(device_name: str = "auto", store: dist.Store | None = None, rank: int | None = None,
                  world: int | None = None, timeout_s: float = TIMEOUT_S):
    """This process as one rank (env:// from torchrun when no store is given); torn down on exit."""
    local_rank = int(os.environ.get("LOCAL_RANK", rank or 0))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world or 1))
    cuda = device_name.startswith("cuda") or (device_name == "auto" and torch.cuda.is_available())
    if cuda and ":" in device_name:
        raise ValueError(f"each rank takes the GPU of its local rank: use --device cuda, not {device_name}")
    if cuda:
        torch.cuda.set_device(local_rank)  # train.pick_device's plain "cuda" is then this rank's GPU
    elif "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))  # ranks share the cores
    dist.init_process_group("nccl" if cuda else "gloo", store=store, rank=-1 if rank is None else rank,
                            world_size=-1 if world is None else world, timeout=timedelta(seconds=timeout_s))
    try:
        yield
    finally:
        dist.destroy_process_group()


def launch(nproc: int, fn, *args, device_name: str = "auto", timeout_s: float = TIMEOUT_S) -> None:
    """fn(*args) in nproc new processes, the ranks of one process group; returns when all are done.

    A rank that fails or dies makes spawn terminate the others and raise here with its traceback;
    ranks get SIGINT when this process dies (spawn sets PR_SET_PDEATHSIG), so none outlives it."""
    import torch.multiprocessing as mp

    # the store listens on a socket bound here to loopback with a port from the kernel: no free port
    # to race for, nothing reachable from off the machine (TCPStore alone listens on every interface)
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    store = dist.TCPStore("127.0.0.1", port, is_master=True, wait_for_workers=False,
                          master_listen_fd=sock.detach(), timeout=timedelta(seconds=timeout_s))
    try:
        mp.spawn(_rank_main, args=(nproc, port, device_name, timeout_s, fn, args), nprocs=nproc, join=True)
    finally:
        del store


def _rank_main(rank: int, nproc: int, port: int, device_name: str, timeout_s: float, fn, args) -> None:
    os.environ.update(LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(nproc))
    # gloo and nccl open sockets of their own on the hostname's address unless told: keep them local too
    if os.path.exists("/sys/class/net/lo"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        os.environ.setdefault("NCCL_SOCKET_IFNAME", "lo")
    store = dist.TCPStore("127.0.0.1", port, is_master=False, timeout=timedelta(seconds=timeout_s))
    with process_group(device_name, store, rank, nproc, timeout_s):
        fn(*args)
    end_rank(0)


def end_rank(code: int) -> NoReturn:
    """End a rank's process once its process group is torn down, without the interpreter's finalization.

    Why: a gloo worker thread drops its reference to a finished collective after the caller's wait has
    returned; when that is the last reference to a tensor whose Python object outlived it, the thread
    needs the GIL to free it. If the main thread has meanwhile reached the interpreter's finalization,
    the GIL is not handed out any more: the thread is made to exit inside the destructor and libstdc++
    aborts the process (std::terminate, SIGABRT after a finished run; pytorch/pytorch#179291). Seen on
    CI and here in 1 of 20-60 runs under a 2-core load (core dump: ProcessGroupGloo::runLoop ->
    ~AsyncAllreduceWork -> decref_pyobject -> take_gil -> pthread_exit). destroy_process_group does not
    stop those threads (the backend stays referenced from C++), so the process ends here: streams
    flushed, then os._exit, skipping atexit handlers and multiprocessing's finalizers. A rank has closed
    its files (metrics, TensorBoard, checkpoints written atomically) and shut its Ray instance down by
    now; nothing else it holds needs finalizing."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: ending matters more than the last line
            pass
    os._exit(code)


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """The model for the training steps: BatchNorm over the whole global batch, gradients averaged.
    The parameters stay the model's own (the optimizer and checkpoints use `model`, not the wrapper)."""
    from torch.nn.parallel import DistributedDataParallel

    # the running statistics come out the same on every rank (from the same pooled batch statistics),
    # so DDP need not broadcast rank 0's before each forward: one wait for the slowest rank fewer
    if device.type == "cuda":
        nn.SyncBatchNorm.convert_sync_batchnorm(model)  # in place below the top module (not a BN)
        return DistributedDataParallel(model, device_ids=[device.index], forward_sync_buffers=False)
    for m in model.modules():
        if type(m) is nn.BatchNorm2d:
            m.__class__ = CpuSyncBatchNorm2d  # same parameters and buffers, only forward differs
    return DistributedDataParallel(model, forward_sync_buffers=False)


def mean_over_ranks(value: float, device: torch.device) -> float:
    if rank_and_world()[1] == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)  # nccl reduces GPU tensors only
    dist.all_reduce(t)
    return t.item() / dist.get_world_size()


class _SumOverRanks(torch.autograd.Function):
    """all_reduce(SUM) with its adjoint: every rank uses the sum, so each input's gradient is the sum
    of all ranks' gradients of it (what SyncBatchNorm's backward all-reduces too)."""

    @staticmethod
    def forward(ctx, x):
        x = x.clone()
        dist.all_reduce(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class CpuSyncBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are over every rank's slice, as one process sees the
    batch. Each rank's mean and variance (two passes) are gathered in one all-reduce and pooled with
    Chan's formula, which stays accurate where E[x^2] - mean^2 would cancel; one collective per layer
    forward and one backward, since each is a wait for the slower rank."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        c, dims, shape = x.shape[1], (0, 2, 3), (1, -1, 1, 1)
        mean_r = x.mean(dims)  # two passes: torch.var_mean over these dims is 5x slower on CPU
        centred = x - mean_r.view(shape)
        var_r = (centred * centred).mean(dims)
        mine = x.new_zeros(dist.get_world_size(), 1)
        mine[dist.get_rank()] = 1.0
        # a summed matrix with this rank's row filled in is an all_gather with all_reduce's adjoint
        rows = _SumOverRanks.apply(mine * torch.cat([mean_r, var_r, x.new_tensor([x.numel() // c])])[None])
        means, variances, counts = rows[:, :c], rows[:, c:2 * c], rows[:, 2 * c:].detach()
        n = counts.sum()
        mean = (counts * means).sum(0) / n
        var = (counts * (variances + (means - mean) ** 2)).sum(0) / n  # biased, for normalising
        # y = x * scale + shift, one pass over x (as torch's CPU kernel) rather than four
        scale = torch.rsqrt(var + self.eps) * (self.weight if self.affine else 1.0)
        shift = (self.bias if self.affine else 0.0) - mean * scale
        y = torch.addcmul(shift.view(shape), x, scale.view(shape))
        if self.track_running_stats:
            with torch.no_grad():  # as nn.BatchNorm2d: momentum (or a cumulative mean), unbiased variance
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / self.num_batches_tracked.item()
                self.running_mean.lerp_(mean, m)
                self.running_var.lerp_(var * n / (n - 1), m)
        return y
