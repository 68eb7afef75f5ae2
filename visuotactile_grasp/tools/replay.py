"""vtg replay BAG: re-plan every decision point of a recorded bag with a model; report and compare."""
from __future__ import annotations

import sys


def run_replay(args) -> int:
    from ..bags.reader import BagReadError, summarize
    from ..bags.replay import replay_decisions, write_report
    from ..model import checkpoint
    from ..planning.regrasp import CandidateConfig, LearnedPolicy

    try:
        summary = summarize(args.bag)
        print(f"bag {args.bag}: {len(summary.topics)} readable topics, {summary.duration_s:.1f} s")
        for problem in summary.problems:
            print(f"  problem: {problem}")
        model, meta = checkpoint.load(args.checkpoint, expect_variant=args.policy)
        policy = LearnedPolicy(model, meta, CandidateConfig(n_random=args.candidates - 100))
        rows, problems = replay_decisions(args.bag, policy, seed=args.seed)
    except (BagReadError, checkpoint.CheckpointError) as exc:
        print(f"vtg replay: {exc}", file=sys.stderr)
        return 2
    path = write_report(rows, problems, args.out, args.bag, f"{args.policy} ({args.checkpoint})")
    print(path.read_text())
    return 0


def add_args(p) -> None:
    p.add_argument("bag", help="bag folder (MCAP or sqlite3, from --record or `ros2 bag record`)")
    p.add_argument("--checkpoint", required=True, help="run folder of the model to replay with")
    p.add_argument("--policy", default="tactile_vision")
    p.add_argument("--candidates", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="out/replay")
