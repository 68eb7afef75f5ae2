"""On-policy collection (collection/on_policy.py, vtg collect --policy): the regrasp is the learned
model's most probable candidate, or with probability `explore` the trial's random one; records say which."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.collection.on_policy import OnPolicyChooser
from visuotactile_grasp.collection.trial import CollectConfig, TrialPlan, collected_region
from visuotactile_grasp.procedure.attempt import Fit

VTG = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "vtg")


class _Scored:
    def __init__(self, candidates, probabilities):
        self.candidates, self.probabilities = candidates, probabilities


class _StubPolicy:
    """Scores three fixed candidates; remembers the region it was asked to stay in."""
    def __init__(self):
        self.regions = []

    def plan(self, rgb, diff_left, diff_right, pose, force, rng, region=None):
        self.regions.append(region)
        cands = np.array([[0.01, 0, 0, 0, 2.0], [0, -0.01, 0.005, 0.1, 5.0], [0, 0, 0, 0, -3.0]])
        return _Scored(cands, np.array([0.2, 0.9, 0.5]))


def _inputs():
    plan = TrialPlan(np.array([0.6, 0.0, 0.05, 0.2]), 12.0, np.array([0.61, 0.01, 0.06, 0.3]), 20.0)
    frame = np.full((24, 32, 3), 100, np.uint8)
    snap = type("S", (), {"rgb": frame, "gel_left": frame, "gel_right": frame})()
    return plan, snap, snap, Fit(np.array([0.6, 0.0, 0.0]), 0.12)


def test_the_policy_takes_its_most_probable_candidate_and_exploration_keeps_the_random_one():
    plan, first, background, fit = _inputs()
    stub = _StubPolicy()
    chosen, by = OnPolicyChooser(stub, CollectConfig(), explore=0.0)(plan, first, background, fit,
                                                                     np.random.default_rng(0))
    assert by == "policy"
    np.testing.assert_allclose(chosen.regrasp, plan.grasp + [0, -0.01, 0.005, 0.1])
    assert chosen.regrasp_force == pytest.approx(17.0) and chosen.grasp is plan.grasp
    assert stub.regions[0] == collected_region(fit.center, fit.height, CollectConfig())
    kept, by = OnPolicyChooser(stub, CollectConfig(), explore=1.0)(plan, first, background, fit,
                                                                   np.random.default_rng(0))
    assert by == "explore" and kept is plan
    with pytest.raises(ValueError, match="probability"):
        OnPolicyChooser(stub, CollectConfig(), explore=1.5)


def test_vtg_collect_on_policy_records_who_chose_and_refuses_a_mismatched_resume(ros_env, tmp_path):
    from test_model import SMALL, synthetic_inputs
    from visuotactile_grasp.data.store import DatasetReader
    from visuotactile_grasp.model.network import ModelConfig
    from visuotactile_grasp.model.train import TrainConfig, train

    run = tmp_path / "run"
    train(synthetic_inputs(), ModelConfig(variant="tactile_vision", **SMALL),
          TrainConfig(iterations=4, batch_size=8, checkpoint_every=4), run, progress=False)
    out = tmp_path / "onpolicy"
    cmd = [VTG, "collect", "--sim", "--direct", "--workers", "1", "--trials", "4", "--objects", "train_000,train_004",
           "--policy", str(run), "--explore", "0.5", "--out", str(out)]
    result = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    reader = DatasetReader(out)
    assert reader.info["on_policy"]["run"] == str(run) and reader.info["on_policy"]["explore"] == 0.5
    by_trial = {}
    for i in range(len(reader)):
        r = reader.load(i)
        by_trial.setdefault(r.trial_id, set()).add(r.chosen_by)
    assert len(by_trial) == 4 and all(len(v) == 1 for v in by_trial.values())  # a trial's records agree
    assert set().union(*by_trial.values()) <= {"policy", "explore"}
    assert "regrasps chosen by (trials, success rate):" in (out / "card.md").read_text()
    again = subprocess.run([*cmd[:-4], "--explore", "0.2", "--out", str(out), "--resume"], env=ros_env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "--explore" in again.stderr
    # paired with random collection: the same trial up to the regrasp; an exploring trial is the random trial
    random_out = tmp_path / "random"
    plain = [c for c in cmd[:-6]] + ["--out", str(random_out)]
    result = subprocess.run(plain, env=ros_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    mine, theirs = _grasps(out), _grasps(random_out)
    for k, r in mine.items():
        np.testing.assert_allclose(r.ee_pose, theirs[k].ee_pose)
        assert r.grip_force == theirs[k].grip_force and r.object_id == theirs[k].object_id
        if r.chosen_by == "explore":
            np.testing.assert_allclose(r.action, theirs[k].action)
            assert r.success == theirs[k].success
    graph = subprocess.run([VTG, "collect", "--sim", "--policy", str(run), "--out", str(tmp_path / "g")],
                           env=ros_env, capture_output=True, text=True, timeout=60)
    assert graph.returncode == 2 and "--direct" in graph.stderr
    for bad, why in ((["--policy", str(run), "--explore", "1.5"], "probability"), (["--explore", "0.3"], "--policy")):
        refused = subprocess.run([VTG, "collect", "--sim", "--direct", *bad, "--out", str(tmp_path / "bad")],
                                 env=ros_env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and why in refused.stderr and not (tmp_path / "bad").exists()


def _grasps(root):
    from visuotactile_grasp.data.store import DatasetReader

    reader = DatasetReader(root)
    return {e["trial_id"]: reader.load(i, images=False) for i, e in enumerate(reader.entries) if e["kind"] == "grasp"}


def test_evaluation_reads_the_gels_of_a_model_trained_on_several_datasets(monkeypatch):
    """vtg train --data A --data B lists each dataset's collection; evaluation renders their gels, and refuses
    a model whose datasets disagree."""
    from visuotactile_grasp.evaluation.experiments import trained_gel_model
    from visuotactile_grasp.model import checkpoint

    metas = {"both_calibrated": {"data": {"collection": [{"gel_model": "calibrated"}, {"gel_model": "calibrated"}]}},
             "mixed": {"data": {"collection": [{"gel_model": "calibrated"}, {}]}},
             "one": {"data": {"collection": {"gel_model": "calibrated"}}}}
    monkeypatch.setattr(checkpoint, "read_meta", lambda run, name="model": metas[run])
    assert trained_gel_model({"tactile_vision": "both_calibrated", "vision": "one"}) == "calibrated"
    with pytest.raises(ValueError, match="different simulated gels"):
        trained_gel_model({"tactile_vision": "mixed"})
