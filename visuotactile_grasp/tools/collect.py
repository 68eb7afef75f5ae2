"""vtg collect: self-supervised trials into a dataset, through the node graph or on bare cells.

Trial i grasps object i mod len(objects), so a resumed run picks up exactly the trials that never
reached the dataset. On bare cells each trial starts from a rebuilt cell whose object placement,
gels (sim/gel_inventory.scheduled_gels), gel noise and grasp plan derive from (seed, i) and the
settings alone (MujocoCell.start_episode), so trial i gives the same record whichever worker runs it
and however many there are.
"""
from __future__ import annotations

import contextlib
import json
from functools import partial
import sys
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from ..data.store import DatasetReader, DatasetWriter
from ..collection.trial import NOT_RECORDED
from ..perception.tactile import CONTACT_DETECTOR, UNRECORDED_DETECTOR
from ..procedure.outcome import INSPECTION_RULE, OLD_INSPECTION_RULE
from ..sim.cell import DEFAULT_GEL_MODEL, label_thresholds
from ..sim.objects import DEFAULT_LIBRARY, object_ids
from ..streams import keyed_rng


def resolve_objects(spec: str) -> list[str]:
    """'train', 'easy', 'hard', 'all', or comma-separated object ids."""
    if spec in ("train", "easy", "hard", "all"):
        return object_ids(spec)
    ids = [o.strip() for o in spec.split(",") if o.strip()]
    known = set(object_ids("all"))
    unknown = [o for o in ids if o not in known]
    if unknown:
        raise ValueError(f"unknown object ids {unknown}")
    return ids


def pending_trials(out: Path, trials: int, objects: list[str]) -> list[tuple[int, str]]:
    """(trial_id, object_id) of the schedule's trials that have no records yet (trial ids start at 1)."""
    done = set()
    if (out / "dataset.json").exists():
        done = {e["trial_id"] for e in DatasetReader(out).entries}
    return [(i, objects[(i - 1) % len(objects)]) for i in range(1, trials + 1) if i not in done]


def in_trial_order(stream, trial_ids: list[int]):
    """The stream's (trial_id, ...) items in the order of trial_ids, each as soon as every earlier one
    has come: workers finish in any order, the dataset is written in trial order (the same record ids
    and index for any number of workers). A killed run loses the unfinished trials and the finished
    ones waiting behind them (a few per worker); --resume runs them again."""
    position = {trial_id: k for k, trial_id in enumerate(trial_ids)}
    waiting, next_position = {}, 0
    for item in stream:
        waiting[position[item[0]]] = item
        while next_position in waiting:
            yield waiting.pop(next_position)
            next_position += 1


# bare-cell workers ---------------------------------------------------------------------------
_cell = _config = _chooser = None  # each worker's own cell, the collector's settings and chooser, made once


def _worker_init(seed: int, gel_model: str, config, objects: str = DEFAULT_LIBRARY, policy: str = "",
                 explore: float = 0.0) -> None:
    global _cell, _config, _chooser
    from ..sim.cell import CellConfig, deployed_workspace
    from ..sim.mujoco_cell import MujocoCell

    _cell = MujocoCell(CellConfig(seed=seed, gel_model=gel_model, objects=objects, workspace=deployed_workspace()))
    _config = config  # the driver's CollectConfig: the data_collector parameters, as the collector node reads it
    _chooser = on_policy_chooser(policy, explore, _cell, config) if policy else None


def on_policy_chooser(run: str, explore: float, cell, config):
    """The learned planner of run folder `run` choosing regrasps (the planner node's candidate settings)."""
    from dataclasses import replace

    import torch

    from ..collection.on_policy import OnPolicyChooser
    from ..model import checkpoint
    from ..param_files import node_params
    from ..planning.regrasp import CandidateConfig, LearnedPolicy, planner_candidates

    torch.set_num_threads(1)
    model, meta = checkpoint.load(run)
    # collection always regrasps and then lifts: the lift rule is not used, so a model needs no lift calibration;
    # no force-only sweep: random collection never keeps the grasp, so the model never saw such actions
    planner = CandidateConfig(**planner_candidates(node_params("regrasp_planner")))
    cfg = replace(planner, n_random=planner.n_random + planner.n_force_sweep, n_force_sweep=0, lift_rule="paper")
    return OnPolicyChooser(LearnedPolicy(model, meta, cfg, camera=cell.front_camera()), config, explore)


def _worker_trial(task):
    from ..collection.direct import FitFailed, run_trial
    from ..collection.trial import build_records
    from ..data.store import encode_record
    from ..sim.gel_inventory import scheduled_gels

    trial_id, object_id, seed = task
    gels = scheduled_gels(seed, trial_id, _config.gel_change_every)  # None: the cell's own pair
    _cell.start_episode(object_id, (seed, trial_id), gels)  # placement, gels, noise, physics from (seed, i)
    try:
        # the chooser draws from its own stream: a trial is the random one up to the regrasp, whatever it draws
        chooser = partial(_chooser, rng=keyed_rng((seed, trial_id), "on_policy")) if _chooser else None
        obs = run_trial(_cell, object_id, trial_id, keyed_rng((seed, trial_id), "grasp_plan"), _config, chooser)
    except FitFailed as exc:
        return trial_id, object_id, None, str(exc)
    return trial_id, object_id, [encode_record(r) for r in build_records(obs)], ""  # encoded here, not by the writer


def _direct(todo, seed: int, workers: int, gel_model: str, config, ray_address: str = "",
            objects: str = DEFAULT_LIBRARY, policy: str = "", explore: float = 0.0):
    """Yields (trial_id, object_id, records or None, why) from bare MuJoCo cells, one per Ray worker
    (scale/ray_pool.py); the records are written here, by the one writer."""
    from ..scale.ray_pool import map_unordered

    yield from map_unordered(_worker_trial, [(i, o, seed) for i, o in todo], workers, ray_address,
                             init=_worker_init, init_args=(seed, gel_model, config, objects, policy, explore))


def _graph(todo, out: Path, seed: int, log_dir: Path, record: str = "", gel_model: str = DEFAULT_GEL_MODEL,
           objects: str = DEFAULT_LIBRARY, first_force: float = 0.0):
    """Yields (trial_id, object_id, label or None, why) as the graph's data_collector records each trial.
    Object library v2's fragile objects are inspected for damage (put down, refit), as on bare cells."""
    from .graph_session import GraphSession

    # the graph adds what follows from the sim cell's gels and objects (sim/cell.sim_dependent_parameters):
    # the GelSight nodes' calibrated thresholds, and the collector's damage inspection on v2
    overrides = {"data_collector": {"dataset_dir": str(out.resolve()), "seed": seed, "first_force": first_force},
                 "sim_cell": {"gel_model": gel_model, "objects": objects}}
    with GraphSession("collect", sim=True, log_dir=str(log_dir), overrides=overrides, record=record) as session:
        if not session.wait_until_up(90.0):
            raise RuntimeError("not every node of the collect graph came up:\n" + session.monitor.report())
        for trial_id, object_id in todo:
            outcome = session.execute_grasp(object_id, "random_collection", trial_id=trial_id)
            recorded = not outcome.failure_reason.startswith(NOT_RECORDED)
            yield trial_id, object_id, outcome.success if recorded else None, outcome.failure_reason


def simulated_kinect(direct: bool):
    """The Kinect that images a collection: the bare cells' (CellConfig's image size) or the graph's sim cell's
    (its parameters); both are the simulator's fixed camera (sim/cell.front_camera_model)."""
    from ..param_files import node_params
    from ..sim.cell import CellConfig, front_camera_model

    if direct:
        return front_camera_model(CellConfig.camera_width, CellConfig.camera_height)
    p = node_params("sim_cell")
    return front_camera_model(int(p["camera_width"]), int(p["camera_height"]))


def run_collect(out: str, trials: int, objects: str, resume: bool, direct: bool, workers: int, seed: int,
                record: str = "", gel_model: str = DEFAULT_GEL_MODEL, ray_address: str = "",
                gel_change_every: int | None = None, object_library: str = DEFAULT_LIBRARY, policy: str = "",
                explore: float = 0.0, first_force: float | None = None) -> int:
    from ..collection.card import write_card

    out_dir = Path(out)
    if (out_dir / "dataset.json").exists() and not resume:
        print(f"{out_dir} already holds a dataset: pass --resume to continue it, or choose another --out",
              file=sys.stderr)
        return 2
    from ..collection.trial import CollectConfig, checked_first_force

    config = CollectConfig.from_params_file()  # the data_collector parameters, as the collector node reads it
    if gel_change_every is not None:
        config = replace(config, gel_change_every=int(gel_change_every))
    if first_force is not None:  # the graph's collector gets it as its parameter
        try:
            config = replace(config, first_force=checked_first_force(float(first_force),
                                                                     config.approach.force_range))
        except ValueError as exc:
            print(f"--first-force: {exc}", file=sys.stderr)
            return 2
    change_every = config.gel_change_every
    if change_every < 0:
        print(f"gel_change_every must be >= 0, got {change_every}", file=sys.stderr)
        return 2
    # bare cells label as sim/cell.label_thresholds says, and so do the graph's gel nodes (sim_dependent_parameters)
    thresholds = label_thresholds(gel_model)
    chooser = None  # on-policy collection: which model chose the regrasps, as dataset.json records it
    if not 0.0 <= explore <= 1.0:
        print(f"--explore must be a probability, got {explore}", file=sys.stderr)
        return 2
    if policy:
        if not direct:
            print("--policy runs on bare cells: add --direct", file=sys.stderr)
            return 2
        from ..model import checkpoint

        try:
            meta = checkpoint.read_meta(policy)
        except checkpoint.CheckpointError as exc:
            print(f"--policy: {exc}", file=sys.stderr)
            return 2
        chooser = {"run": str(policy), "variant": meta["config"]["variant"],
                   "weights_sha256": meta.get("weights_sha256"), "explore": float(explore)}
    if resume and (out_dir / "dataset.json").exists():
        before = json.loads((out_dir / "dataset.json").read_text()).get("info", {})
        if before.get("on_policy") != chooser:
            print(f"{out_dir} was collected with regrasps chosen by {before.get('on_policy') or 'random'}; resume it "
                  "with the same --policy and --explore", file=sys.stderr)
            return 2
        detector = before.get("contact_detector", UNRECORDED_DETECTOR)
        if detector != CONTACT_DETECTOR:
            print(f"{out_dir} was labelled by the {detector} contact detector; this code reads contact with the "
                  f"{CONTACT_DETECTOR} one: start a new dataset", file=sys.stderr)
            return 2
        if before.get("label_thresholds", "default") != thresholds:
            print(f"{out_dir} was labelled with {before.get('label_thresholds', 'default')} contact thresholds; "
                  f"this code labels with {thresholds} ones: start a new dataset", file=sys.stderr)
            return 2
        if before.get("gel_model", "legacy") != gel_model:
            print(f"{out_dir} was collected with --gel-model {before.get('gel_model', 'legacy')}; resume it with "
                  "the same", file=sys.stderr)
            return 2
        if before.get("object_library", "v1") != object_library:
            print(f"{out_dir} was collected with --objects-library {before.get('object_library', 'v1')}; resume it "
                  "with the same", file=sys.stderr)
            return 2
        if object_library != "v1" and before.get("inspection", OLD_INSPECTION_RULE) != INSPECTION_RULE:
            print(f"{out_dir} was labelled with the inspection rule {before.get('inspection', OLD_INSPECTION_RULE)}; "
                  f"this code labels with {INSPECTION_RULE} (procedure/outcome.py): start a new dataset",
                  file=sys.stderr)
            return 2
        if before.get("first_force", 0.0) != config.first_force:
            print(f"{out_dir} was collected with first_force {before.get('first_force', 0.0)} N (0: random; "
                  "--first-force, default the data_collector parameters); resume it with the same", file=sys.stderr)
            return 2
        if before.get("gel_change_every", 0) != change_every:
            print(f"{out_dir} was collected with gel_change_every {before.get('gel_change_every', 0)} "
                  "(--gel-change-every, default the data_collector parameters); resume it with the same",
                  file=sys.stderr)
            return 2
    if change_every and not direct:
        print("gel_change_every (the data_collector parameters) changes gels on bare cells only: add --direct "
              "(the graph's sim cell keeps its pair)", file=sys.stderr)
        return 2
    ids = resolve_objects(objects)
    todo = pending_trials(out_dir, trials, ids)
    info = {"objects": objects, "trials": trials, "seed": seed, "source": "direct" if direct else "graph",
            "gel_model": gel_model, "gel_change_every": change_every, "contact_detector": CONTACT_DETECTOR,
            "front_camera": simulated_kinect(direct).to_dict()}
    if object_library != "v1":  # v1 datasets keep the info they always had
        info["object_library"] = object_library
        info["inspection"] = INSPECTION_RULE  # how an object not found after the put-down is labelled
    if thresholds != "default":
        info["label_thresholds"] = thresholds
    if chooser:
        info["on_policy"] = chooser
    if config.first_force:  # random first forces (the paper's) keep the info they always had
        info["first_force"] = config.first_force
    if change_every:
        from ..sim.gel_inventory import TRAINING_GELS

        info["gel_inventory"] = list(TRAINING_GELS)
    where = f"bare MuJoCo cells, {workers} workers" + (f" on the Ray cluster at {ray_address}" if ray_address else "")
    print(f"{len(todo)} of {trials} trials to run on {len(ids)} objects -> {out_dir} "
          f"({where if direct else 'the collect node graph'})")
    writer = DatasetWriter(out_dir, resume=True, info=info)  # creates the dataset, or repairs a killed run
    if not direct:
        writer.close()  # the graph's data_collector node writes the records
    t0, done, held, skipped = time.monotonic(), 0, 0, 0
    if record and direct:
        print("--record needs the graph (bare cells publish no topics); drop --direct", file=sys.stderr)
        return 2
    if ray_address and not direct:
        print("--ray-address runs bare cells: add --direct", file=sys.stderr)
        return 2
    stream = (_direct(todo, seed, workers, gel_model, config, ray_address, object_library, policy, explore) if direct
              else _graph(todo, out_dir, seed, out_dir / "logs", record, gel_model, object_library,
                          config.first_force))
    try:
        with contextlib.closing(stream), tqdm(total=len(todo), desc="trials", unit="trial", smoothing=0.05) as bar:
            for trial_id, object_id, result, why in in_trial_order(stream, [i for i, _ in todo]):
                if isinstance(result, list):  # records from a bare cell
                    writer.append_trial(result)
                    result = result[0].success
                if result is None:
                    skipped += 1
                    tqdm.write(f"trial {trial_id} ({object_id}) not recorded: {why}")
                else:
                    held += bool(result)
                done += 1
                bar.update()
                bar.set_postfix(ok=f"{held / max(done - skipped, 1):.2f}", skipped=skipped)
    finally:
        writer.close()  # closing twice is harmless
    wall = time.monotonic() - t0
    rate = done / wall * 3600 if wall > 0 else float("nan")
    card = write_card(out_dir, extra={"this run": f"{done} trials in {wall:.0f} s ({rate:.0f} trials/hour)"})
    print(f"{done} trials in {wall:.0f} s: {rate:.0f} trials/hour; {skipped} skipped; card: {card}")
    return 0
