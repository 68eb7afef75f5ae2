"""Platt scaling and the calibration and ranking metrics (AUC, Brier, ECE, reliability bins), in numpy."""
from __future__ import annotations

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def fit_platt(logits: np.ndarray, labels: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """(a, b) minimising the log loss of sigmoid(a * logit + b), with Platt's smoothed targets (so a
    separable validation set does not push a to infinity), by Newton's method with a backtracking
    line search (a plain Newton step overshoots on the large logits of an overconfident network)."""
    z, y = np.asarray(logits, float), np.asarray(labels, float)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0.5, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(a, b):
        s = a * z + b
        return float(np.sum(np.logaddexp(0.0, s) - t * s))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(iterations):
        p = sigmoid(a * z + b)
        g = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        H = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, g)
        scale = 1.0
        while scale > 1e-8:
            a_new, b_new = a - scale * step[0], b - scale * step[1]
            new = loss(a_new, b_new)
            if new <= current - 1e-4 * scale * float(g @ step):
                break
            scale *= 0.5
        else:
            break  # no decrease along the Newton direction: at the minimum to working precision
        a, b, improvement, current = a_new, b_new, current - new, new
        if improvement < 1e-10 * max(1.0, abs(current)):
            break
    return float(a), float(b)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties counted half)."""
    s, y = np.asarray(scores, float), np.asarray(labels) > 0.5
    if y.all() or (~y).all():
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = y.sum(), (~y).sum()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(probs, labels) -> float:
    return float(np.mean((np.asarray(probs, float) - np.asarray(labels, float)) ** 2))


def reliability(probs, labels, bins: int = 10):
    """(bin centres, mean predicted, observed frequency, counts) over equal-width bins."""
    p, y = np.asarray(probs, float), np.asarray(labels, float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(idx, minlength=bins)
    mean_p = np.bincount(idx, weights=p, minlength=bins) / np.maximum(counts, 1)
    freq = np.bincount(idx, weights=y, minlength=bins) / np.maximum(counts, 1)
    return (np.arange(bins) + 0.5) / bins, mean_p, freq, counts


def ece(probs, labels, bins: int = 10) -> float:
    _, mean_p, freq, counts = reliability(probs, labels, bins)
    return float(np.sum(counts * np.abs(mean_p - freq)) / max(counts.sum(), 1))


def metrics(probs, labels) -> dict:
    p, y = np.asarray(probs, float), np.asarray(labels, float)
    return {"accuracy": float(np.mean((p > 0.5) == (y > 0.5))), "auc": auc(p, y), "brier": brier(p, y),
            "ece": ece(p, y), "n": int(len(y))}


def reliability_figure(raw, cal, y, title: str):
    """Reliability diagram (observed success rate against predicted probability) before and after
    Platt scaling, as a matplotlib figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for probs, label in ((raw, "before Platt"), (cal, "after Platt")):
        _, mean_p, freq, counts = reliability(probs, y)
        keep = counts > 0
        ax.plot(mean_p[keep], freq[keep], "o-", label=f"{label} (ECE {metrics(probs, y)['ece']:.3f})")
    ax.set_xlabel("predicted success probability")
    ax.set_ylabel("observed success rate")
    ax.set_title(f"reliability: {title}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
