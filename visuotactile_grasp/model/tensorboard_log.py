"""TensorBoard event files of a training run and of a cross-validation (`tensorboard --logdir runs/`).

A run folder's tensorboard/ holds the training curves (the global batch's loss and accuracy, each a
mean over the last LOG_EVERY steps; the learning rate; examples/s) and, once the run is calibrated,
the validation objects' metrics before and after Platt scaling with their reliability diagram (the
calibration curve) as an image. A resumed run drops what an earlier session logged after the step it
resumes from (purge_step), so curves never double back; a recalibration logs the validation
again. Only rank 0 of a process group writes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .calibration import metrics, reliability_figure, sigmoid

LOG_EVERY = 50  # steps per point of the training curves
FOLDER = "tensorboard"


class TrainLog:
    """The training curves of one run (a no-op where enabled is False: ranks other than 0)."""

    def __init__(self, run_dir: Path, first_step: int, enabled: bool = True) -> None:
        self.writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            # events an earlier session logged after the checkpoint we resume from are dropped
            self.writer = SummaryWriter(str(Path(run_dir) / FOLDER), purge_step=first_step + 1 if first_step else None)

    def training(self, step: int, loss: float, accuracy: float, lr: float, examples_per_s: float) -> None:
        if self.writer is None:
            return
        for tag, value in (("loss", loss), ("accuracy", accuracy), ("learning_rate", lr),
                           ("examples_per_s", examples_per_s)):
            self.writer.add_scalar(f"train/{tag}", value, step)

    def validation(self, step: int, run_dir: Path, entries: dict) -> None:
        """Metrics before and after Platt scaling and the reliability diagram, from calibrate()'s
        entries and the validation predictions it saved."""
        predictions = Path(run_dir) / "val_predictions.npz"
        if self.writer is None or entries.get("val_raw") is None or not predictions.exists():
            return
        for name in ("val_raw", "val_calibrated"):
            for key, value in entries[name].items():
                if isinstance(value, (int, float)) and np.isfinite(value):
                    self.writer.add_scalar(f"{name}/{key}", value, step)
        with np.load(predictions) as z:
            logits, labels = z["logits"], z["labels"]
        a, b = entries["platt"]
        self.writer.add_figure("validation/reliability", reliability_figure(
            sigmoid(logits), sigmoid(a * logits + b), labels, "validation objects"), step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def crossval_summary(out: Path, pooled: dict) -> None:
    """Each variant's out-of-fold metrics (pooled over the folds, after Platt scaling) and reliability
    diagram, in out/tensorboard (the folds' own training curves are in out/fold<k>/<variant>/)."""
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(Path(out) / FOLDER)) as writer:
        for variant, p in pooled.items():
            y, cal = np.concatenate(p["y"]), np.concatenate(p["cal"])
            for key, value in metrics(cal, y).items():
                if isinstance(value, (int, float)) and np.isfinite(value):
                    writer.add_scalar(f"crossval/{variant}/{key}", value, 0)
            if p["raw"]:
                writer.add_figure(f"crossval/{variant}/reliability",
                                  reliability_figure(np.concatenate(p["raw"]), cal, y, variant), 0)
