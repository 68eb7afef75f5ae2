"""Statistics for grasp experiments: intervals on success rates and tests on paired attempts.

- Wilson score interval for one success rate (good at small n and near 0 or 1, unlike the
  normal approximation).
- Paired difference of two policies with a percentile bootstrap over objects: objects, not
  attempts, are the unit that generalises (attempts on one object are correlated).
- Exact sign-flip permutation test on the per-object differences (all 2^n sign patterns for n
  objects): the test of a difference that generalises to new objects, used for "significant", with
  Holm's correction over every comparison a table reports.
- Exact McNemar test on the discordant pairs (attempt k on object o, same situation for both
  policies), reported too: it treats attempts as independent, so it speaks only of these objects.
- Set-level success rates get a bootstrap interval over objects (attempts on one object are
  correlated; a Wilson interval over pooled attempts would be too narrow).
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a binomial proportion; (nan, nan) when n == 0."""
    if n == 0:
        return float("nan"), float("nan")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside [0, {n}]")
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: b pairs where only the first policy held, c where only the second."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    # integers divided exactly (2.0 ** n overflows a float beyond 1,023 discordant pairs: Table I has more)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2.0 * tail)


def cluster_interval(per_object: list[list[bool]], n_boot: int = 4000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of a pooled success rate, resampling objects."""
    if not per_object:
        return float("nan"), float("nan")
    held = np.array([sum(v) for v in per_object], float)
    counts = np.array([len(v) for v in per_object], float)
    idx = np.random.default_rng(seed).integers(0, len(held), size=(n_boot, len(held)))
    rates = held[idx].sum(axis=1) / counts[idx].sum(axis=1)
    return float(np.percentile(rates, 2.5)), float(np.percentile(rates, 97.5))


EXACT_SIGN_FLIP_MAX = 16  # objects; above, 200,000 random sign patterns (Monte Carlo, seeded)


def sign_flip_p(differences, draws: int = 200_000, seed: int = 0) -> float:
    """Two-sided permutation p-value of a zero mean, flipping the sign of each object's mean
    difference (objects whose difference is 0 contribute nothing): exact up to 16 objects, a seeded
    Monte-Carlo estimate (hits + 1) / (draws + 1) above (Table I has 65 objects)."""
    d = np.asarray([x for x in differences if x != 0.0], float)
    if len(d) == 0:
        return 1.0
    observed = abs(d.sum()) - 1e-12
    if len(d) <= EXACT_SIGN_FLIP_MAX:
        signs = 1 - 2 * ((np.arange(2 ** len(d))[:, None] >> np.arange(len(d))) & 1)
        return float(np.mean(np.abs((signs * d).sum(axis=1)) >= observed))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, draws, 20_000):
        signs = rng.choice([-1.0, 1.0], size=(min(20_000, draws - start), len(d)))
        hits += int(np.count_nonzero(np.abs(signs @ d) >= observed))
    return (hits + 1) / (draws + 1)


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted p-values (family-wise error over the list), in the input order."""
    order = np.argsort(p_values)
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def pair_outcomes(rows: list[dict], policy_a: str, policy_b: str, objects) -> list[tuple[str, bool, bool]]:
    """(object, a held, b held) for every (object, attempt) both policies completed."""
    by_key = defaultdict(dict)
    wanted = set(objects)
    for r in rows:
        if "success" in r and r["object_id"] in wanted and r["policy"] in (policy_a, policy_b):
            by_key[(r["object_id"], r["trial"])][r["policy"]] = bool(r["success"])
    return [(key[0], v[policy_a], v[policy_b]) for key, v in sorted(by_key.items())
            if policy_a in v and policy_b in v]


def paired_comparison(rows: list[dict], policy_a: str, policy_b: str, objects, n_boot: int = 4000,
                      seed: int = 0) -> dict:
    """a minus b: the mean paired difference in success, its 95% bootstrap interval over objects,
    the discordant counts and the exact McNemar p-value."""
    pairs = pair_outcomes(rows, policy_a, policy_b, objects)
    if not pairs:
        return {"a": policy_a, "b": policy_b, "n": 0, "difference": float("nan"), "ci": (float("nan"),) * 2,
                "only_a": 0, "only_b": 0, "p_mcnemar": float("nan"), "p_objects": float("nan"),
                "p_holm": float("nan")}
    per_object = defaultdict(list)
    for obj, a, b in pairs:
        per_object[obj].append(float(a) - float(b))
    sums = np.array([sum(v) for v in per_object.values()])
    counts = np.array([len(v) for v in per_object.values()])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    boot = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)  # attempts pooled within each resample
    only_a = sum(1 for _, a, b in pairs if a and not b)
    only_b = sum(1 for _, a, b in pairs if b and not a)
    p_objects = sign_flip_p(sums / counts)
    return {"a": policy_a, "b": policy_b, "n": len(pairs), "objects": len(sums),
            "difference": float(sums.sum() / counts.sum()),
            "ci": (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))),
            "only_a": only_a, "only_b": only_b, "p_mcnemar": mcnemar_exact(only_a, only_b),
            "p_objects": p_objects, "p_holm": p_objects}  # p_holm: set by the table over its comparisons


def significant(comparison: dict, alpha: float = 0.05) -> bool:
    """The per-object permutation test rejects at alpha after Holm's correction over the table."""
    return comparison["n"] > 0 and comparison["p_holm"] < alpha
