"""How the contact threshold's multiple of the noise floor (perception/tactile.NOISE_MULTIPLE) was chosen:
on the training objects' trials of a label-study dataset only (the test objects' are left for the check).

For each multiple, every trial's label contact is read from its recorded gels with detect_contact at that
multiple of each gel's noise floor, and counted against the simulator's truth: held grasps without contact
on both gels, and contact on both gels without a held grasp. Trials the simulator crushed are left out
(their label turns on the refit, not on contact).

    .venv/bin/python docs/results/label_agreement_v2_noise/choose_noise_multiple.py data/label_study_v2cal
"""
import sys

import numpy as np

from visuotactile_grasp.data.store import DatasetReader
from visuotactile_grasp.perception.tactile import NOISE_MULTIPLE, detect_contact
from visuotactile_grasp.sim.mujoco_gels import contact_threshold

MULTIPLES = np.arange(1.0, 4.01, 0.25)


def main(path: str) -> None:
    reader = DatasetReader(path)
    held_no_contact, contact_not_held, n = np.zeros(len(MULTIPLES), int), np.zeros(len(MULTIPLES), int), 0
    for i, entry in enumerate(reader.entries):
        if entry["kind"] != "grasp" or not entry["object_id"].startswith("train_"):
            continue
        r = reader.load(i)
        if r.ground_truth_damaged:
            continue
        n += 1
        floors = [contact_threshold(g) / NOISE_MULTIPLE for g in r.gel_ids]
        for j, k in enumerate(MULTIPLES):
            contact = all(detect_contact(r.images[f"gel_{s}_after"], r.images[f"gel_{s}_before"], k * f).in_contact
                          for s, f in zip(("left", "right"), floors, strict=True))
            held_no_contact[j] += r.ground_truth_success and not contact
            contact_not_held[j] += contact and not r.ground_truth_success
    print(f"{n} training-object trials of {path} not crushed by the simulator\n")
    print("| multiple of the noise floor | held, no contact | contact, not held |\n|---|---|---|")
    for k, a, b in zip(MULTIPLES, held_no_contact, contact_not_held, strict=True):
        print(f"| {k:.2f}{' (chosen)' if k == NOISE_MULTIPLE else ''} | {a} | {b} |")


if __name__ == "__main__":
    main(sys.argv[1])
