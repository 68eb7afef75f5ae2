"""f(s, a): probability that the grasp succeeds after action a from visuo-tactile state s (paper Fig. 3).

Image stacks: the front camera, and the two GelSights through one shared stack fed after-minus-before
difference images. An action MLP (2 x 1024 in the paper) embeds the 5-D action, the 4-D end-effector
pose and the motion in the gripper frame. The stacks' outputs are concatenated and a 2-layer fusion
MLP gives one logit.

For planning, the first fusion layer is split: W [f_img; f_act] = W_img f_img + W_act f_act, so the
image part is computed once per state and only the action part for each of thousands of candidates.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..perception.front_view import FRONT_VIEW_EXTENT_M, FRONT_VIEWS

VARIANTS = ("tactile_vision", "vision", "tactile", "tactile_vision_no_action")
BACKBONES = ("resnet50", "resnet18", "efficientnet_lite0", "small")
ACTION_DIM = 13  # action 5 + end-effector pose 4 + motion in the gripper frame 3 + current grip force 1


@dataclass(frozen=True)
class ModelConfig:
    variant: str = "tactile_vision"
    backbone: str = "resnet50"
    image_size: int = 224  # crop fed to the stacks (256 resized, 224 cropped in the paper)
    action_hidden: int = 1024
    fusion_hidden: int = 1024
    pretrained: bool = True  # ImageNet weights where they are on the machine
    # the front image: a crop around the grasp point ("object": perception/front_view.py) or the whole
    # frame squashed to a square ("full": what the models trained before the crop saw; their model.json
    # does not name it and loads as "full")
    front_view: str = "object"
    front_extent_m: float = FRONT_VIEW_EXTENT_M

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {self.backbone!r}")
        if self.front_view not in FRONT_VIEWS:
            raise ValueError(f"front_view must be one of {FRONT_VIEWS}, got {self.front_view!r}")
        if not 0.02 <= self.front_extent_m <= 2.0:
            raise ValueError(f"front_extent_m must be 0.02-2 m, got {self.front_extent_m}")

    @property
    def uses_vision(self) -> bool:
        return self.variant in ("tactile_vision", "vision", "tactile_vision_no_action")

    @property
    def uses_tactile(self) -> bool:
        return self.variant in ("tactile_vision", "tactile", "tactile_vision_no_action")

    @property
    def uses_action(self) -> bool:
        return self.variant != "tactile_vision_no_action"

    def to_dict(self) -> dict:
        return asdict(self)


def small_cnn() -> tuple[nn.Module, int]:
    """Four strided conv blocks and global pooling: CPU-sized (about 0.1 M parameters)."""
    layers, c = [], 3
    for out in (16, 32, 64, 128):
        layers += [nn.Conv2d(c, out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
        c = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()), c


def make_backbone(name: str, pretrained: bool, inputs: str = "rgb") -> tuple[nn.Module, int, str]:
    """(feature extractor, feature size, note on initialisation). inputs: rgb (ImageNet-normalised
    frames) or diff (gel difference images, normalised as (x - 0.5) / 0.25: model/inputs.py)."""
    if name == "small":
        net, dim = small_cnn()
        return net, dim, "random init (small CNN)"
    if name == "efficientnet_lite0":
        from .efficientnet_lite import make_lite_backbone

        return make_lite_backbone(pretrained, inputs)
    import torchvision

    builder = getattr(torchvision.models, name)
    weights_enum = {"resnet50": torchvision.models.ResNet50_Weights,
                    "resnet18": torchvision.models.ResNet18_Weights}[name].IMAGENET1K_V1
    net, note = builder(weights=None), "random init"
    if pretrained:
        from .pretrained import load_imagenet_weights

        note = load_imagenet_weights(net, weights_enum)
    dim = net.fc.in_features
    net.fc = nn.Identity()
    return net, dim, note


class GraspSuccessNet(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.init_notes: list[str] = []
        img_dim = 0
        if config.uses_vision:
            self.vision, dim, note = make_backbone(config.backbone, config.pretrained)
            img_dim += dim
            self.init_notes.append(f"vision: {note}")
        if config.uses_tactile:
            self.tactile, dim, note = make_backbone(config.backbone, config.pretrained, "diff")  # both gels
            img_dim += 2 * dim
            self.init_notes.append(f"tactile: {note}")
        self.image_dim = img_dim
        act_dim = 0
        if config.uses_action:
            h = config.action_hidden
            self.action_mlp = nn.Sequential(nn.Linear(ACTION_DIM, h), nn.ReLU(inplace=True), nn.Linear(h, h),
                                            nn.ReLU(inplace=True))
            act_dim = h
        self.fuse_image = nn.Linear(img_dim, config.fusion_hidden)
        self.fuse_action = nn.Linear(act_dim, config.fusion_hidden, bias=False) if act_dim else None
        self.head = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(config.fusion_hidden, 1))

    def stack_features(self, rgb: torch.Tensor | None, gel_left: torch.Tensor | None,
                       gel_right: torch.Tensor | None) -> torch.Tensor:
        """The image stacks' outputs, concatenated (B, image_dim); inputs are normalised images. With the
        stacks frozen (model/frozen_features.py) these are computed once per image and cached."""
        feats = []
        if self.config.uses_vision:
            feats.append(self.vision(rgb))
        if self.config.uses_tactile:
            both = self.tactile(torch.cat([gel_left, gel_right], dim=0))
            left, right = both.chunk(2, dim=0)
            feats += [left, right]
        return torch.cat(feats, dim=1)

    def image_features(self, rgb: torch.Tensor | None, gel_left: torch.Tensor | None,
                       gel_right: torch.Tensor | None) -> torch.Tensor:
        """The image part of the first fusion layer, (B, fusion_hidden); inputs are normalised images."""
        return self.fuse_image(self.stack_features(rgb, gel_left, gel_right))

    def score(self, image_part: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """Logits for actions (N, ACTION_DIM) given the image part of one state (1 or N, fusion_hidden)."""
        h = image_part
        if self.fuse_action is not None:
            h = h + self.fuse_action(self.action_mlp(actions))
        return self.head(h).squeeze(-1)

    def forward(self, rgb, gel_left, gel_right, actions, stacks: torch.Tensor | None = None) -> torch.Tensor:
        """Logits; stacks: the stacks' outputs already computed (frozen stacks), instead of the images."""
        if stacks is None:
            stacks = self.stack_features(rgb, gel_left, gel_right)
        return self.score(self.fuse_image(stacks), actions)

    def image_stacks(self) -> list[nn.Module]:
        return [m for m in (getattr(self, "vision", None), getattr(self, "tactile", None)) if m is not None]
