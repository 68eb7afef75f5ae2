"""ImageNet initialisation from a local file only (this machine cannot download weights)."""
from __future__ import annotations

import os
from pathlib import Path


def weights_file(weights_enum) -> Path | None:
    """The torchvision cache file for these weights, or $VTG_IMAGENET_DIR/<same name>, if present."""
    name = Path(weights_enum.url).name
    candidates = []
    if os.environ.get("VTG_IMAGENET_DIR"):
        candidates.append(Path(os.environ["VTG_IMAGENET_DIR"]) / name)
    import torch

    candidates.append(Path(torch.hub.get_dir()) / "checkpoints" / name)
    return next((p for p in candidates if p.is_file()), None)


def load_imagenet_weights(net, weights_enum) -> str:
    path = weights_file(weights_enum)
    if path is None:
        return (f"random init: ImageNet weights {Path(weights_enum.url).name} not on this machine (put the file in "
                f"the torch hub cache or $VTG_IMAGENET_DIR to start from ImageNet as the paper does)")
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)  # tensors only, no code
    net.load_state_dict(state)
    return f"ImageNet init from {path}"


def imagenet_available(backbone: str) -> bool:
    """Whether this machine has the ImageNet weights of backbone (so a 'pretrained' stack really starts
    from ImageNet rather than from random weights)."""
    if backbone == "efficientnet_lite0":
        from .efficientnet_lite import weights_path

        return weights_path() is not None
    if backbone in ("resnet50", "resnet18"):
        import torchvision

        enum = {"resnet50": torchvision.models.ResNet50_Weights, "resnet18": torchvision.models.ResNet18_Weights}
        return weights_file(enum[backbone].IMAGENET1K_V1) is not None
    return False
