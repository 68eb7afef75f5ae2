"""Grasps the inspection could not find after the put-down, in a dataset's trials, against the simulator's truth.

Reads only each grasp record's metadata (one per trial). Usage: python scan.py DATASET [DATASET ...]
"""
import collections
import json
import sys
import zipfile

import numpy as np


def scan(root: str) -> collections.Counter:
    counts = collections.Counter()
    for line in open(f"{root}/index.jsonl"):
        entry = json.loads(line)
        if entry["kind"] != "grasp":
            continue
        with zipfile.ZipFile(f"{root}/records/{entry['file']}") as z, z.open("metadata.npy") as f:
            meta = json.loads(np.lib.format.read_array(f).tobytes())
        if meta.get("damaged") is None and meta["success"]:  # labelled held, nothing found after the put-down
            counts["crushed" if meta.get("ground_truth_damaged") else "intact"] += 1
            counts[f"{entry['object_id']} {'crushed' if meta.get('ground_truth_damaged') else 'intact'}"] += 1
    return counts


if __name__ == "__main__":
    for root in sys.argv[1:]:
        c = scan(root)
        print(f"{root}: crushed {c['crushed']}, intact {c['intact']};",
              ", ".join(f"{k} {v}" for k, v in c.most_common() if " " in k))
