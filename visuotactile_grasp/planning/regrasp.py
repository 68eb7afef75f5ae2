"""The learned regrasp policy: score thousands of candidate actions with f(s, a) and pick one.

Candidates (paper Sec. VI): 4,900 random actions (translation within +/-2 cm per axis, rotation
within +/-17 degrees, a random absolute force in the gripper's range) plus 100 that keep the grasp
and sweep the force alone. The image features are computed once per state and the candidates
scored in one batch. Lift when the best keep-the-grasp candidate is above the threshold (changing
the force needs no regrasp; under the "reachable" lift rule the threshold is the paper's 0.9 or, for
a model that never says 0.9 about a grasp that held, the lower one measured on its validation
objects: model/lift_calibration.py), or when no regrasp is predicted to beat keeping the grasp by more than
lift_margin (a model whose calibrated probabilities never reach the threshold, e.g. vision alone,
would otherwise regrasp until the cap on every attempt: a rule it can never satisfy); otherwise
regrasp to the most probable action. In minimum-force mode the least force above the threshold is
taken, falling back to the most probable action. Given a GraspRegion, candidates whose target
leaves it are dropped: the model is only asked about grasps like those it was trained on.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..param_files import node_params
from ..model.calibration import sigmoid
from ..model.inputs import FrontView, action_features, state_tensors
from ..perception.camera import CameraModel
from ..devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from ..geometry import to_gripper_frame
from .action_space import GRIP_FORCE_RANGE, MAX_ROTATION_DEG, MAX_TRANSLATION, force_range
from .planner_defaults import (CANDIDATES, FORCE_SWEEP, LIFT_MARGIN, LIFT_RULE, LIFT_RULES, LIFT_THRESHOLD,  # noqa: F401
                               SEARCH)
from .approach import GraspRegion  # noqa: F401 - the planners' argument type, importable from here
from .policies import Decision


@dataclass(frozen=True)
class CandidateConfig:
    n_random: int = CANDIDATES - FORCE_SWEEP
    n_force_sweep: int = FORCE_SWEEP
    max_translation: float = MAX_TRANSLATION  # m per axis
    max_rotation: float = math.radians(MAX_ROTATION_DEG)
    force_range: tuple[float, float] = GRIP_FORCE_RANGE  # N: the forces the model was trained on
    lift_threshold: float = LIFT_THRESHOLD
    lift_margin: float = LIFT_MARGIN
    lift_rule: str = LIFT_RULE  # one of LIFT_RULES
    workspace_lower: tuple[float, float, float] = WORKSPACE_LOWER
    workspace_upper: tuple[float, float, float] = WORKSPACE_UPPER
    search: str = SEARCH  # one of SEARCHES
    cem_iterations: int = 5
    cem_population: int = 100


def _reachable(pose, actions: np.ndarray, cfg: CandidateConfig, region: GraspRegion | None) -> np.ndarray:
    """Mask of candidates whose target is in the workspace (and the region); keeping the grasp always is."""
    target = np.asarray(pose[:3]) + actions[:, :3]
    ok = np.all((target >= cfg.workspace_lower) & (target <= cfg.workspace_upper), axis=1)
    if region is not None:
        ok &= region.contains(target) | np.all(actions[:, :4] == 0.0, axis=1)
    return ok


def sample_candidates(pose, force: float, rng: np.random.Generator, cfg: CandidateConfig,
                      region: GraspRegion | None = None) -> np.ndarray:
    """(N, 5) actions dx, dy, dz (base frame), dyaw, dforce; the last n_force_sweep keep the grasp.
    Candidates whose target leaves the workspace (or the region) are dropped, so none can be chosen."""
    t, lo, hi = cfg.max_translation, cfg.force_range[0], cfg.force_range[1]
    motion = np.column_stack([rng.uniform(-t, t, (cfg.n_random, 3)),
                              rng.uniform(-cfg.max_rotation, cfg.max_rotation, cfg.n_random)])
    forces = np.concatenate([rng.uniform(lo, hi, cfg.n_random), np.linspace(lo, hi, cfg.n_force_sweep)])
    motion = np.vstack([motion, np.zeros((cfg.n_force_sweep, 4))])
    actions = np.column_stack([motion, forces - force])
    return actions[_reachable(pose, actions, cfg, region)]


@dataclass
class Plan:
    decision: Decision
    probabilities: np.ndarray  # per candidate
    candidates: np.ndarray
    timings: dict = field(default_factory=dict)  # seconds: images, scoring, total



def lift_threshold_for(meta: dict, cfg: CandidateConfig) -> float:
    """The threshold this model lifts at under cfg.lift_rule (model.json's "lift" entry: lift_calibration)."""
    if cfg.lift_rule == "paper":
        return cfg.lift_threshold
    if cfg.lift_rule != "reachable":
        raise ValueError(f"lift_rule must be one of {LIFT_RULES}, got {cfg.lift_rule!r}")
    lift = meta.get("lift") or {}
    measured = lift.get("measured") if lift.get("threshold") is not None else None
    if measured is None:
        why = lift.get("why", "model.json has no lift calibration: `vtg calibrate RUN --data DATA` measures it")
        raise ValueError(f"lift_rule 'reachable' needs the model's measured keep probability of validation grasps "
                         f"that held ({why}); use lift_rule 'paper'")
    lo, hi, _ = lift.get("sweep_forces", [None, None, None])
    if (lo, hi) != tuple(cfg.force_range):
        raise ValueError(f"the model's lift threshold was measured over forces {lo}-{hi} N, the planner sweeps "
                         f"{cfg.force_range[0]}-{cfg.force_range[1]} N: `vtg calibrate` again, or lift_rule 'paper'")
    return min(cfg.lift_threshold, float(measured))


class LearnedPolicy:
    def __init__(self, model, meta: dict, cfg: CandidateConfig = CandidateConfig(), device: str = "cpu",
                 camera: CameraModel | None = None) -> None:
        self.model = model.to(device).eval()
        # the front camera's model: a model with the object view crops its image around the grasp with it
        # (the planner node sets it from the camera's CameraInfo and its extrinsics parameters)
        self.camera = camera
        self.name = model.config.variant
        self.platt = meta.get("platt", [1.0, 0.0])
        # the threshold this model really lifts at is fixed here, once; decisions are made with it
        # (cfg.lift_rule still says which rule gave it)
        self.cfg = replace(cfg, lift_threshold=lift_threshold_for(meta, cfg))
        self.device = torch.device(device)

    @property
    def needs_camera(self) -> bool:
        """Whether the model crops its front image around the grasp and no camera model has come yet."""
        return self.model.config.front_view == "object" and self.camera is None

    @torch.inference_mode()
    def scorer(self, rgb, diff_left, diff_right, pose, force: float, calibrated: bool = True):
        """score(actions (N, 5)) -> calibrated probabilities (or raw logits) for one state; the image
        features are computed once."""
        config = self.model.config
        if self.needs_camera:
            raise ValueError("this model sees the front image cropped around the grasp: the planner has no "
                             "camera model for it yet")
        front = FrontView.of(config, self.camera)
        tensors = [t.to(self.device) for t in state_tensors(rgb, diff_left, diff_right, config.image_size, front, pose)]
        image_part = self.model.image_features(*tensors)
        a, b = self.platt

        def score(cands: np.ndarray) -> np.ndarray:
            gripper = to_gripper_frame(cands[:, :3].T, pose[3]).T
            feats = action_features(cands, pose, gripper, np.full(len(cands), force))
            with torch.inference_mode():
                logits = self.model.score(image_part, torch.from_numpy(feats).to(self.device)).float().cpu().numpy()
            return sigmoid(a * logits + b) if calibrated else logits
        return score

    @torch.inference_mode()
    def plan(self, rgb, diff_left, diff_right, pose, force: float, rng: np.random.Generator,
             minimum_force: bool = False, region: GraspRegion | None = None) -> Plan:
        t0 = time.perf_counter()
        score = self.scorer(rgb, diff_left, diff_right, pose, force)  # the image features, once
        t1 = time.perf_counter()
        if self.cfg.search == "cem":  # the force sweep decides lifting; CEM searches the regrasps
            sweep = sample_candidates(pose, force, rng, replace(self.cfg, n_random=0))
            _, _, _, searched, searched_p = cem_search(score, pose, force, rng, self.cfg, self.cfg.cem_iterations,
                                                       self.cfg.cem_population, region=region)
            cands, probs = np.vstack([searched, sweep]), np.concatenate([searched_p, score(sweep)])
        else:
            cands = sample_candidates(pose, force, rng, self.cfg, region)
            probs = score(cands)
        t2 = time.perf_counter()
        decision = choose(cands, probs, force, self.cfg, minimum_force)
        return Plan(decision, probs, cands, {"images": t1 - t0, "scoring": t2 - t1, "total": time.perf_counter() - t0})


def choose(cands: np.ndarray, probs: np.ndarray, force: float, cfg: CandidateConfig, minimum_force: bool) -> Decision:
    keep = np.all(cands[:, :4] == 0.0, axis=1)  # the force-only sweep: lift from the current grasp
    thr = cfg.lift_threshold

    def pick(mask) -> int | None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return None
        if minimum_force:
            above = idx[probs[idx] > thr]
            if len(above):
                return int(above[np.argmin(cands[above, 4])])
        return int(idx[np.argmax(probs[idx])])

    stay, best = pick(keep), pick(np.ones(len(cands), bool))
    no_better = stay is not None and cfg.lift_margin >= 0 and probs[best] <= probs[stay] + cfg.lift_margin
    if stay is not None and (probs[stay] > thr or no_better):
        i, lift = stay, True
    else:
        i, lift = best, False
    new_force = float(np.clip(force + cands[i, 4], *cfg.force_range))
    action = cands[i].copy()
    action[4] = new_force - force
    return Decision(action, new_force, lift, float(probs[i]))


def cem_search(score, pose, force: float, rng: np.random.Generator, cfg: CandidateConfig, iterations: int = 5,
               population: int = 100, elite: int = 10, region: GraspRegion | None = None):
    """Cross-entropy method over the 5-D action: sample, keep the elite, refit a Gaussian, repeat.

    score(actions (N, 5)) -> probabilities. Returns (best action, its probability, [(evaluations
    so far, best probability so far)] to compare with random shooting at equal cost, every
    candidate scored, their probabilities).
    """
    lo = np.array([-cfg.max_translation] * 3 + [-cfg.max_rotation, cfg.force_range[0] - force])
    hi = np.array([cfg.max_translation] * 3 + [cfg.max_rotation, cfg.force_range[1] - force])
    mean, std = (lo + hi) / 2, (hi - lo) / 2
    best, best_p, curve, evals, seen, seen_p = None, -1.0, [], 0, [], []
    for _ in range(iterations):
        cands = np.clip(rng.normal(mean, std, (population, 5)), lo, hi)
        cands = cands[_reachable(pose, cands, cfg, region)]
        if not len(cands):
            continue
        probs = score(cands)
        evals += len(cands)
        seen.append(cands)
        seen_p.append(probs)
        order = np.argsort(probs)[::-1]
        if probs[order[0]] > best_p:
            best, best_p = cands[order[0]].copy(), float(probs[order[0]])
        curve.append((evals, best_p))
        top = cands[order[:elite]]
        mean, std = top.mean(axis=0), top.std(axis=0) + 1e-3 * (hi - lo)
    return (best, best_p, curve, np.vstack(seen) if seen else np.zeros((0, 5)),
            np.concatenate(seen_p) if seen_p else np.zeros(0))


def planner_candidates(p: dict | None = None) -> dict:
    """The planner node's candidate settings (CandidateConfig fields) from its parameters (by default
    the regrasp_planner parameters), so the node, replay and evaluation plan alike."""
    p = node_params("regrasp_planner") if p is None else p
    return {"n_random": int(p["candidates"]) - int(p["force_sweep"]), "n_force_sweep": int(p["force_sweep"]),
            "max_translation": float(p["max_translation"]), "max_rotation": math.radians(p["max_rotation_deg"]),
            "force_range": force_range(p["force_range"]),
            "lift_threshold": float(p["lift_threshold"]), "lift_margin": float(p["lift_margin"]),
            "lift_rule": str(p["lift_rule"]),
            "workspace_lower": tuple(p["workspace_lower"]), "workspace_upper": tuple(p["workspace_upper"]),
            "search": str(p["search"])}
