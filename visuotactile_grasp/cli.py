"""vtg: run the node graph on the simulated cell, and the offline jobs.

    vtg demo                     the main job: grasp graph on the simulated cell, a few attempts, tables
    vtg run MODE [--check]       start the grasp/collect/replay graph here (each node its own process)
    vtg graph MODE               print the nodes, parameter files and edges of a graph
    vtg collect --sim ...        self-supervised trials into a crash-safe dataset (+ dataset card)
    vtg train --data DIR ...     train f(s, a) (safetensors checkpoint, Platt-calibrated; --nproc N: DDP;
                                 --data A --data B: several datasets as one)
    vtg calibrate RUN --data DIR calibrate a trained checkpoint again (Platt, reachable lift threshold)
    vtg crossval --data DIR      3-fold by-object cross-validation of every variant (Table I)
    vtg evaluate --sim ...       grasping experiments on unseen objects (Table II, minimum force, figures)
    vtg graph-check ...          the same attempts through the grasp graph and on bare cells, compared
    vtg gels                     simulated GelSight images beside real and published references
    vtg objects --library v2     every object's parameters (generated from its id) as a markdown table
    vtg object-calibration       the object sets against the paper's baseline, best constant force, oracle
    vtg bench planner            image-feature, candidate-scoring and end-to-end planning times
    vtg bench search             random shooting vs cross-entropy method: best predicted success per evaluations
    vtg bench gelsight           two GelSight nodes at 1280x960, 30 Hz: frames delivered and latency
    vtg bench graph              sensor-to-goal latency through the running grasp graph
    vtg bench train --backbones efficientnet_lite0   training examples/s: fine-tuning vs frozen stacks
    vtg replay BAG --checkpoint  re-plan a bag's decision points with a model, compare with the recording
"""
from __future__ import annotations

import argparse
import importlib
import sys


def _cmd_graph(args) -> int:
    from .graph import build_graph
    from .paths import config_dir

    graph = build_graph(args.mode, sim=not args.robot, bag=args.bag or "")
    print(f"{args.mode} graph ({'robot' if args.robot else 'simulated cell'}):")
    for spec in graph.nodes:
        print(f"  {spec.name:18s} {spec.executable:22s} params: {', '.join(spec.parameter_files)}")
    print("edges:")
    for topic, msg_type, pubs, subs in graph.edges():
        print(f"  {topic:38s} {msg_type:42s} {','.join(pubs)} -> {','.join(subs)}")
    missing = [str(p) for s in graph.nodes for p in s.parameter_paths(config_dir()) if not p.exists()]
    if missing:
        print(f"missing parameter files: {missing}", file=sys.stderr)
        return 1
    return 0


def _cmd_run(args) -> int:
    from .tools.graph_session import GraphSession

    with GraphSession(args.mode, sim=not args.robot, bag=args.bag or "", log_dir=args.log_dir,
                      record=args.record or "") as session:
        port = f", simulated WSG-50 on port {session.wsg_port}" if getattr(session, "wsg_port", None) else ""
        print(f"started {len(session.graph.nodes)} nodes (ROS_DOMAIN_ID={session.env['ROS_DOMAIN_ID']}{port}); "
              f"logs in {session.log_dir}")
        if not session.wait_until_up(args.startup_timeout):
            print(session.monitor.report())
            print("not every node came up", file=sys.stderr)
            return 1
        if args.check and args.mode != "replay":
            outcome = session.execute_grasp("train_000", "cylinder_baseline")
            print(f"check attempt: success={outcome.success} force={outcome.grip_force:.1f} N "
                  f"{outcome.failure_reason}")
            session.spin_for(1.0)
            print(session.monitor.report())
            silent = session.monitor.silent_edges()
            if silent:
                print(f"edges that carried no message: {silent}", file=sys.stderr)
                return 1
            lacking = session.monitor.undeclared()
            if lacking:
                print(f"endpoints not declared in graph/interfaces.py: {lacking}", file=sys.stderr)
                return 1
            return 0
        try:
            session.spin_for(args.duration if args.duration > 0 else float("inf"))
        except KeyboardInterrupt:
            pass
        print(session.monitor.report())
    return 0


def _cmd_demo(args) -> int:
    from .tools.demo import run_demo

    return run_demo(attempts=args.attempts, objects=args.objects, out=args.out, policy=args.policy,
                    checkpoint=args.checkpoint or "", compare_trials=args.compare_trials)


def _cmd_collect(args) -> int:
    from .collection.on_policy import EXPLORE
    from .tools.collect import run_collect

    if not args.sim:
        print("vtg collect runs on the simulated cell (--sim); on the robot use "
              "`ros2 launch visuotactile_grasp collect.launch.py dataset_dir:=DIR`", file=sys.stderr)
        return 2
    if args.explore is not None and not args.policy:
        print("--explore applies to --policy collection only", file=sys.stderr)
        return 2
    return run_collect(args.out, args.trials, args.objects, args.resume, args.direct, args.workers, args.seed,
                       record=args.record or "", gel_model=args.gel_model, ray_address=args.ray_address,
                       gel_change_every=args.gel_change_every, object_library=args.objects_library,
                       policy=args.policy or "", explore=EXPLORE if args.explore is None else args.explore,
                       first_force=args.first_force)


TOOL_VERBS = (  # verb, module in tools/, its run function, help
    ("evaluate", "evaluate", "run_evaluate", "the paper's grasping experiments on the simulated cell"),
    ("graph-check", "graph_check", "run_graph_check",
     "the same attempts through the grasp graph and on bare cells: do the two agree?"),
    ("gels", "gel_figures", "run_gels", "simulated GelSight images beside real and published references (figure)"),
    ("objects", "object_table", "run_objects", "every object's parameters, generated from its id, as a markdown table"),
    ("object-calibration", "object_calibration", "run_object_calibration",
     "the object sets against the paper: 10 N baseline, best constant force, oracle, each beside its target "
     "(issue 15, item 5)"),
    ("replay", "replay", "run_replay", "offline replay of a bag's decisions with a model (report)"),
    ("label-report", "label_report", "run_label_report",
     "the tactile label against the simulator's truth over a dataset, by cause, gel, material and contact "
     "area (issue 15, item 6)"),
)


def build_parser() -> argparse.ArgumentParser:
    from .planning.planner_defaults import SEARCH, SEARCHES
    from .collection.on_policy import EXPLORE
    from .sim.cell import DEFAULT_GEL_MODEL, GEL_MODELS
    from .sim.objects import DEFAULT_LIBRARY, LIBRARIES

    parser = argparse.ArgumentParser(prog="vtg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    demo = verbs.add_parser("demo", help="grasp graph on the simulated cell: attempts, outcome and graph tables")
    demo.add_argument("--attempts", type=int, default=1, help="grasp attempts per object")
    demo.add_argument("--objects", default="easy_00,easy_01,hard_00,hard_01", help="comma-separated object ids")
    demo.add_argument("--out", default="out/demo", help="folder for logs and the report")
    demo.add_argument("--policy", default="tactile_vision", help="planner policy through the graph "
                      "(tactile_vision, vision, cylinder_baseline)")
    demo.add_argument("--checkpoint", help="run folder of the policy's model (default: the shipped models/)")
    demo.add_argument("--compare-trials", type=int, default=5,
                      help="paired bare-cell attempts per object and policy after the graph run (0: skip)")
    demo.set_defaults(func=_cmd_demo)

    run = verbs.add_parser("run", help="start a mode's node graph here, each node in its own process")
    run.add_argument("mode", choices=("grasp", "collect", "replay"))
    run.add_argument("--robot", action="store_true", help="no simulator: hardware parameters (needs the robot)")
    run.add_argument("--bag", help="replay: the bag to play")
    run.add_argument("--check", action="store_true", help="run one attempt, require a message on every edge and "
                     "only declared endpoints (graph/interfaces.py), exit")
    run.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0: until Ctrl-C)")
    run.add_argument("--startup-timeout", type=float, default=60.0)
    run.add_argument("--log-dir", help="per-node logs (default: a temporary folder)")
    run.add_argument("--record", help="record every topic the graph publishes to this new bag folder (MCAP)")
    run.set_defaults(func=_cmd_run)

    graph = verbs.add_parser("graph", help="print a mode's nodes, parameter files and edges")
    graph.add_argument("mode", choices=("grasp", "collect", "replay"))
    graph.add_argument("--robot", action="store_true")
    graph.add_argument("--bag")
    graph.set_defaults(func=_cmd_graph)
    collect = verbs.add_parser("collect", help="self-supervised grasp trials into a dataset")
    collect.add_argument("--sim", action="store_true", help="on the simulated cell (the only choice here)")
    collect.add_argument("--trials", type=int, default=20, help="trials in the whole dataset (a resume counts "
                         "those already there)")
    collect.add_argument("--objects", default="train", help="train, easy, hard, all, or comma-separated ids")
    collect.add_argument("--out", required=True, help="dataset folder")
    collect.add_argument("--resume", action="store_true", help="continue the dataset in --out")
    collect.add_argument("--direct", action="store_true",
                         help="bulk mode: the same trials on bare MuJoCo cells (--workers), no ROS graph")
    from .tools.worker_args import add_worker_args

    add_worker_args(collect, "--direct trials")
    collect.add_argument("--seed", type=int, default=0)
    collect.add_argument("--gel-model", default=DEFAULT_GEL_MODEL, choices=GEL_MODELS,
                         help="simulated GelSight images (sim/mujoco_gels.py); recorded in dataset.json")
    collect.add_argument("--gel-change-every", type=int, default=None, metavar="N",
                         help="--direct: new gels every N trials from the training inventory (sim/gel_inventory.py); "
                         "0: the cell's own pair; default: the data_collector parameters; recorded in dataset.json")
    collect.add_argument("--first-force", type=float, default=None, metavar="N",
                         help="every first grasp at N newtons (where evaluation's learned policies start); "
                         "0: random in the force range (the paper's); default: the data_collector parameters; "
                         "recorded in dataset.json when not 0")
    collect.add_argument("--objects-library", default=DEFAULT_LIBRARY, choices=LIBRARIES,
                         help="object library (sim/objects.py; v2: materials, fragile objects that crush, each trial "
                         "inspected for damage after the hold); recorded in dataset.json when not v1")
    collect.add_argument("--record", help="also record every topic of the collect graph to this new bag folder")
    collect.add_argument("--policy", metavar="RUN", help="--direct: on-policy collection, the regrasp chosen by this "
                         "trained model (its most probable candidate in the collected region; collection/on_policy.py)")
    collect.add_argument("--explore", type=float, default=None, help="--policy: probability that a trial keeps its "
                         f"random regrasp instead (default {EXPLORE}; records say which: chosen_by)")
    collect.set_defaults(func=_cmd_collect)

    from .tools.learn import add_model_args, add_train_args, run_calibrate, run_crossval, run_train

    train = verbs.add_parser("train", help="train the grasp-success model on a dataset")
    add_model_args(train)
    train.add_argument("--model", default="tactile_vision",
                       choices=("tactile_vision", "vision", "tactile", "tactile_vision_no_action"))
    train.add_argument("--out", required=True, help="run folder")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    add_train_args(train)
    train.set_defaults(func=run_train)

    calibrate = verbs.add_parser("calibrate", help="Platt and lift calibration of a trained checkpoint again, "
                                 "on its validation objects (weights untouched)")
    calibrate.add_argument("run", help="run folder (vtg train --out)")
    calibrate.add_argument("--data", required=True, action="append",
                           help="the dataset it was trained on (repeated, as for vtg train)")
    calibrate.add_argument("--workers", type=int, default=2, help="processes decoding the dataset (first use only)")
    calibrate.set_defaults(func=run_calibrate)

    crossval = verbs.add_parser("crossval", help="K-fold cross-validation by object of every variant")
    add_model_args(crossval)
    crossval.add_argument("--folds", type=int, default=3)
    crossval.add_argument("--out", default="out/crossval")
    crossval.set_defaults(func=run_crossval)

    # the tools that declare their own arguments (tools/<module>.add_args) and run with tools/<module>.<run>
    for verb, module, run, text in TOOL_VERBS:
        tool = importlib.import_module(f".tools.{module}", __package__)
        sub = verbs.add_parser(verb, help=text)
        tool.add_args(sub)
        sub.set_defaults(func=getattr(tool, run))

    from .tools.bench import run_bench

    bench = verbs.add_parser("bench", help="benchmarks that print figures")
    bench.add_argument("what", choices=("planner", "search", "gelsight", "graph", "train"))
    bench.add_argument("--attempts", type=int, default=2, help="graph: grasp attempts to time")
    bench.add_argument("--search", default=SEARCH, choices=SEARCHES, help="graph: planner search")
    bench.add_argument("--seconds", type=float, default=15.0, help="gelsight: measuring time")
    bench.add_argument("--checkpoint", help="search: run folder of a trained model")
    bench.add_argument("--data", help="search: dataset whose states to plan from")
    bench.add_argument("--states", type=int, default=20)
    bench.add_argument("--backbones", default="resnet50,resnet18,small")
    bench.add_argument("--candidates", type=int, default=5000)
    bench.add_argument("--repeats", type=int, default=5)
    bench.set_defaults(func=run_bench)
    return parser


def main(argv=None) -> int:
    from .data.store import DatasetError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DatasetError as exc:  # a folder that is not a whole dataset: the user's input, said in one line
        print(f"vtg {args.verb}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
