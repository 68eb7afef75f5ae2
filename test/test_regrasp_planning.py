"""The learned regrasp policy: candidates within the paper's ranges and the workspace, lift and
minimum-force choices on hand-made probabilities, and a real (small, trained) network planning a
state within the limits."""
import math

import numpy as np
import pytest

from visuotactile_grasp.devices.sawyer.limits import WORKSPACE_LOWER, WORKSPACE_UPPER
from visuotactile_grasp.planning.regrasp import CandidateConfig, LearnedPolicy, choose, sample_candidates


def test_candidates_stay_in_range_and_in_the_workspace():
    cfg = CandidateConfig()
    pose = np.array([0.6, 0.0, 0.05, 0.3])
    cands = sample_candidates(pose, 12.0, np.random.default_rng(0), cfg)
    assert len(cands) == 5000
    assert np.all(np.abs(cands[:, :3]) <= 0.02) and np.all(np.abs(cands[:, 3]) <= math.radians(17) + 1e-12)
    forces = 12.0 + cands[:, 4]
    assert forces.min() >= 5.0 - 1e-9 and forces.max() <= 40.0 + 1e-9
    sweep = cands[-100:]
    assert np.all(sweep[:, :4] == 0) and np.allclose(np.sort(12.0 + sweep[:, 4]), np.linspace(5, 40, 100))
    near_floor = sample_candidates(np.array([0.6, 0.0, 0.005, 0.0]), 12.0, np.random.default_rng(0), cfg)
    assert np.all(0.005 + near_floor[:, 2] >= 0.0) and len(near_floor) < 5000  # below-table targets dropped


def _cands():
    # two keep-the-grasp candidates (10 N, 30 N) and two regrasps
    return np.array([[0, 0, 0, 0, 0.0], [0, 0, 0, 0, 20.0], [0.01, 0, 0, 0, 5.0], [0, 0.01, 0, 0, -5.0]])


def test_lifts_when_keeping_the_grasp_is_likely_enough():
    cfg = CandidateConfig()
    d = choose(_cands(), np.array([0.5, 0.95, 0.97, 0.2]), 10.0, cfg, minimum_force=False)
    assert d.lift and d.force == pytest.approx(30.0) and np.all(d.action[:4] == 0)


def test_regrasps_to_the_most_probable_action_otherwise():
    d = choose(_cands(), np.array([0.5, 0.6, 0.8, 0.2]), 10.0, CandidateConfig(), minimum_force=False)
    assert not d.lift and d.action[0] == pytest.approx(0.01) and d.force == pytest.approx(15.0)


def test_minimum_force_takes_the_least_force_above_threshold_and_falls_back():
    cfg = CandidateConfig()
    d = choose(_cands(), np.array([0.93, 0.99, 0.97, 0.2]), 10.0, cfg, minimum_force=True)
    assert d.lift and d.force == pytest.approx(10.0)
    d = choose(_cands(), np.array([0.3, 0.4, 0.6, 0.2]), 10.0, cfg, minimum_force=True)
    assert not d.lift and d.probability == pytest.approx(0.6)  # none above 0.9: the most probable


def test_a_trained_network_plans_within_limits(tmp_path):
    from test_model import SMALL, synthetic_inputs
    from visuotactile_grasp.model import checkpoint
    from visuotactile_grasp.model.network import ModelConfig
    from visuotactile_grasp.model.train import TrainConfig, train
    from visuotactile_grasp.sim.cell import front_camera_model

    train(synthetic_inputs(), ModelConfig(variant="tactile_vision", **SMALL),
          TrainConfig(iterations=10, batch_size=8, lr=1e-3, lr_drop_at=8, checkpoint_every=10), tmp_path,
          progress=False)
    model, meta = checkpoint.load(tmp_path, expect_variant="tactile_vision")
    assert model.config.front_view == "object"  # model.json names the view; loading keeps it
    cfg = CandidateConfig(force_range=(5.0, 20.0), lift_rule="paper")  # the threshold alone: no calibration here
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    diff = np.full((240, 320, 3), 128, np.uint8)
    blind = LearnedPolicy(model, meta, cfg)  # the model crops the front image around the grasp: it needs the camera
    with pytest.raises(ValueError, match="no camera model"):
        blind.plan(rgb, diff, diff, np.array([0.6, 0.0, 0.05, 0.0]), 10.0, rng)
    policy = LearnedPolicy(model, meta, cfg, camera=front_camera_model(320, 240))
    plan = policy.plan(rgb, diff, diff, np.array([0.6, 0.0, 0.05, 0.0]), 10.0, rng)
    assert len(plan.probabilities) == len(plan.candidates) == 5000
    assert np.all((plan.probabilities >= 0) & (plan.probabilities <= 1))
    assert 5.0 <= plan.decision.force <= 20.0
    assert plan.timings["scoring"] > 0 and plan.timings["images"] > 0
    cem = LearnedPolicy(model, meta, CandidateConfig(force_range=(5.0, 20.0), search="cem", lift_rule="paper"),
                        camera=front_camera_model(320, 240))
    plan = cem.plan(rgb, diff, diff, np.array([0.6, 0.0, 0.05, 0.0]), 10.0, rng, minimum_force=True)
    assert len(plan.candidates) == 600 and 5.0 <= plan.decision.force <= 20.0
    assert np.all(np.abs(plan.candidates[:, :3]) <= 0.02 + 1e-12)


def test_cem_finds_the_optimum_of_a_known_score_with_few_evaluations():
    from visuotactile_grasp.planning.regrasp import cem_search

    target = np.array([0.012, -0.008, 0.004, 0.2, 7.0])
    scale = np.array([0.01, 0.01, 0.01, 0.2, 10.0])

    def score(c):
        return np.exp(-np.sum(((c - target) / scale) ** 2, axis=1))
    rng = np.random.default_rng(0)
    cfg = CandidateConfig()
    best, best_p, curve, _, _ = cem_search(score, np.array([0.6, 0.0, 0.1, 0.0]), 10.0, rng, cfg)
    shooting = score(sample_candidates(np.array([0.6, 0.0, 0.1, 0.0]), 10.0, rng, cfg)).max()
    assert curve[-1][0] <= 500 and best_p >= shooting  # as good as 5,000 random samples with a tenth of them


class _WildPolicy:
    """A stand-in for a network that says anything: a huge force and a target far outside the workspace."""
    name = "wild"

    def __init__(self, action, force):
        self.action, self.force = np.asarray(action, float), force

    def plan(self, rgb, left, right, pose, force, rng, minimum_force=False, region=None):
        from visuotactile_grasp.planning.policies import Decision
        from visuotactile_grasp.planning.regrasp import Plan

        return Plan(Decision(self.action, self.force, False, 0.5), np.zeros(1), np.zeros((1, 5)))


def test_the_planning_step_enforces_the_limits_whatever_the_policy_says():
    from visuotactile_grasp.planning.step import StepLimits, StepRejected, plan_step

    limits = StepLimits(5.0, 40.0, WORKSPACE_LOWER, WORKSPACE_UPPER)
    images = {"rgb": np.zeros((8, 8, 3), np.uint8), "gel_left": np.zeros((6, 8, 3), np.uint8),
              "gel_right": np.zeros((6, 8, 3), np.uint8)}
    pose = np.array([0.6, 0.0, 0.1, 0.0])
    step = plan_step(_WildPolicy([5.0, 0.0, -1.0, 0.2, 490.0], 500.0), pose, 10.0, limits, images)
    assert step.decision.force == 40.0 and step.decision.action[4] == pytest.approx(30.0)
    np.testing.assert_allclose(step.target, [0.9, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(pose + step.decision.action[:4], step.target)
    step = plan_step(_WildPolicy([math.nan, 0.0, 0.0, 0.0, math.nan], math.nan), pose, 12.0, limits, images)
    assert step.decision.force == 12.0 and np.all(np.isfinite(step.target))  # NaN: keep, never guess
    with pytest.raises(StepRejected, match="finite"):
        plan_step(_WildPolicy(np.zeros(5), 10.0), [0.6, math.nan, 0.1, 0.0], 10.0, limits, images)
    with pytest.raises(StepRejected, match="gel_right"):
        plan_step(_WildPolicy(np.zeros(5), 10.0), pose, 10.0, limits, {**images, "gel_right": None})
    with pytest.raises(StepRejected, match="differ in shape"):
        plan_step(_WildPolicy(np.zeros(5), 10.0), pose, 10.0, limits, {**images, "gel_right": np.zeros((4, 4, 3))})
    with pytest.raises(ValueError, match="below"):
        StepLimits(40.0, 5.0)
