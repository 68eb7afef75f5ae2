"""vtg replay BAG: re-plan every decision point of a recorded bag with a model; report and compare."""
from __future__ import annotations

import sys
from ..planning.planner_defaults import LIFT_RULES


def run_replay(args) -> int:
    from ..bags.reader import BagReadError, summarize
    from ..bags.replay import replay_decisions, write_report
    from ..model import checkpoint
    from ..planning.regrasp import CandidateConfig, LearnedPolicy, planner_candidates

    try:
        summary = summarize(args.bag)
        print(f"bag {args.bag}: {len(summary.topics)} readable topics, {summary.duration_s:.1f} s")
        for problem in summary.problems:
            print(f"  problem: {problem}")
        model, meta = checkpoint.load(args.checkpoint, expect_variant=args.policy)
        if args.graph:
            rows, problems = replay_through_graph(args), summary.problems
        else:
            planner = planner_candidates()  # the planner node's settings, with --candidates in all
            planner["n_random"] = args.candidates - planner["n_force_sweep"]
            if planner["n_random"] < 0:
                raise ValueError(f"--candidates {args.candidates} is fewer than the force sweep's "
                                 f"{planner['n_force_sweep']}")
            if args.lift_rule:
                planner["lift_rule"] = args.lift_rule
            policy = LearnedPolicy(model, meta, CandidateConfig(**planner))
            rows, problems = replay_decisions(args.bag, policy, seed=args.seed)
    except (BagReadError, checkpoint.CheckpointError, ValueError) as exc:
        print(f"vtg replay: {exc}", file=sys.stderr)
        return 2
    how = "through the replay graph" if args.graph else "offline"
    path = write_report(rows, problems, args.out, args.bag, f"{args.policy} ({args.checkpoint}), {how}")
    print(path.read_text())
    return 0


def replay_through_graph(args) -> list:
    """Play the bag's inputs into the replay graph (bag player, cylinder fitter, planner with the
    model) at --rate and compare the live planner's goals with the recorded ones."""
    from pathlib import Path

    from .. import topics as t
    from ..bags.replay import NEEDED, recorded_decisions, rows_from_live
    from .graph_session import GraphSession

    requests, recorded = recorded_decisions(args.bag)
    inputs = sorted(set(NEEDED) | {t.GRIPPER_STATUS, t.KINECT_DEPTH, t.KINECT_DEPTH_INFO})  # never the old goals
    # the player starts once the planner and our monitor both subscribe to the plan requests
    overrides = {"bag_player": {"rate": args.rate, "topics": inputs, "request_subscribers": 2},
                 "regrasp_planner": {"policy": args.policy, "checkpoint": str(Path(args.checkpoint).resolve()),
                                     "candidates": args.candidates, "seed": args.seed}}
    if args.lift_rule:
        overrides["regrasp_planner"]["lift_rule"] = args.lift_rule
    with GraphSession("replay", sim=False, bag=str(Path(args.bag).resolve()), overrides=overrides) as session:
        sent, live = session.watch_decisions()
        player = session.runner.procs["bag_player"]
        session.spin_until(lambda: player.poll() is not None, args.timeout)
        session.spin_until(lambda: len(live) >= len(requests), 10.0)  # the last answers
    return rows_from_live(requests, recorded, live, sent)


def add_args(p) -> None:
    p.add_argument("bag", help="bag folder (MCAP or sqlite3, from --record or `ros2 bag record`)")
    p.add_argument("--checkpoint", required=True, help="run folder of the model to replay with")
    p.add_argument("--policy", default="tactile_vision")
    p.add_argument("--candidates", type=int, default=5000, help="candidates per decision, the force sweep included")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lift-rule", choices=LIFT_RULES, default=None,
                   help="default: the regrasp_planner parameters (reachable needs a calibrated checkpoint)")
    p.add_argument("--out", default="out/replay")
    p.add_argument("--graph", action="store_true",
                   help="play the bag into the replay graph's nodes instead of re-planning offline")
    p.add_argument("--rate", type=float, default=1.0, help="--graph: playback speed (0: as fast as possible)")
    p.add_argument("--timeout", type=float, default=600.0, help="--graph: longest playback (s)")
