"""--workers and --ray-address, the same for every command that fans trials out (scale/ray_pool.py)."""


import argparse


def positive_int(text: str) -> int:
    """--workers: refused by the parser (before a dataset folder or a Ray instance exists) below 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_worker_args(p, what: str, default: int = 2) -> None:
    p.add_argument("--workers", type=positive_int, default=default,
                   help=f"{what} in parallel: 1 runs them here; more start a local Ray instance (127.0.0.1 only) "
                        "with one simulated cell per worker, or that many workers on --ray-address")
    p.add_argument("--ray-address", default="",
                   help="join an existing Ray cluster (`ray start --head` on one machine, `ray start --address "
                        "HEAD:6379` on the others, this package at the same commit on each) instead of a local one")
