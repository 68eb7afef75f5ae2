"""The object sets' calibration against the paper (issue 15, item 5): the 10 N cylinder-fit baseline,
the best constant force of a centroid sweep and the oracle (evaluation/bare_cell.OraclePolicy), each
per set beside its target, pass or fail. Pure functions of attempt rows (experiments.run_tasks)."""
from __future__ import annotations

import numpy as np

from .experiments import ORACLE, best_constant_force, success_summary

BASELINE = "cylinder_baseline"
PAPER_BASELINE = {"easy": 0.76, "hard": 0.67}  # Table II, summed over its per-object rows: 167/220, 147/220
BASELINE_TOLERANCE = 0.06  # +-6 points
BEST_CONSTANT_MAX = 0.85  # the best constant force must stay below this
ORACLE_MIN = 0.95  # the oracle must reach this
NEAR_ALL, BELOW = 0.9, 0.3  # per-object spread: objects held >= 90% ("near 100%") and < 30%


def per_object_rates(rows: list[dict], policy: str, objects: list[str]) -> dict[str, float]:
    return {o: s["rate"] for o in objects if (s := success_summary(rows, policy, [o]))["n"]}


def calibration(rows: list[dict], policies: list[str], sets: dict[str, list[str]]) -> dict:
    """Per set: measured values and each target's pass/fail."""
    out = {}
    for name, objects in sets.items():
        base = success_summary(rows, BASELINE, objects)
        rates = per_object_rates(rows, BASELINE, objects)
        best = best_constant_force(rows, policies, objects)
        best_s = success_summary(rows, best, objects) if best else None
        oracle = success_summary(rows, ORACLE, objects)
        near, low = sum(r >= NEAR_ALL for r in rates.values()), sum(r < BELOW for r in rates.values())
        paper = PAPER_BASELINE.get(name)
        checks = {
            "baseline_within_6_points": None if paper is None or not base["n"]
            else bool(abs(base["rate"] - paper) <= BASELINE_TOLERANCE + 1e-12),
            "spread_some_near_100_some_below_30": bool(near >= 1 and low >= 1) if rates else None,
            "best_constant_below_85": None if best_s is None else bool(best_s["rate"] < BEST_CONSTANT_MAX),
            "oracle_at_least_95": bool(oracle["rate"] >= ORACLE_MIN) if oracle["n"] else None,
        }
        out[name] = {"baseline": base, "paper_baseline": paper, "per_object_baseline": rates,
                     "objects_near_100": near, "objects_below_30": low, "best_constant": best,
                     "best_constant_summary": best_s, "oracle": oracle,
                     "sweep": {p: success_summary(rows, p, objects)["rate"] for p in policies if p != ORACLE},
                     # the simulator's truth (held and not damaged) beside the robot's label, which the checks use
                     "ground_truth": {p: success_summary(rows, p, objects, "ground_truth")["rate"]
                                      for p in policies if p in (BASELINE, best, ORACLE)},
                     "checks": checks}
    return out


def _rate(s: dict | None, truth: float | None = None) -> str:
    if not s or not s["n"]:
        return "-"
    lo, hi = s["ci95"]
    gt = "" if truth is None or not np.isfinite(truth) else f"; ground truth {100 * truth:.1f}%"
    return f"{100 * s['rate']:.1f}% [{100 * lo:.0f}, {100 * hi:.0f}] ({s['held']}/{s['n']}){gt}"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "**FAIL**")


def markdown(cal: dict) -> str:
    lines = ["| set | quantity | measured | target | verdict |", "|---|---|---|---|---|"]
    for name, c in cal.items():
        ch = c["checks"]
        gt = c.get("ground_truth", {})
        paper = "-" if c["paper_baseline"] is None else f"{100 * c['paper_baseline']:.0f}% +- 6 pts"
        gap = "" if c["paper_baseline"] is None or not c["baseline"]["n"] else \
            f"; {100 * (c['baseline']['rate'] - c['paper_baseline']):+.1f} pts from the paper"
        lines += [
            f"| {name} | baseline (centroid, 10 N) | {_rate(c['baseline'], gt.get(BASELINE))}{gap} | {paper} | "
            f"{_verdict(ch['baseline_within_6_points'])} |",
            f"| {name} | spread over objects (baseline) | {c['objects_near_100']} of {len(c['per_object_baseline'])} "
            f">= 90%, {c['objects_below_30']} < 30% | some near 100%, some < 30% | "
            f"{_verdict(ch['spread_some_near_100_some_below_30'])} |",
            f"| {name} | best constant force ({c['best_constant']}) | "
            f"{_rate(c['best_constant_summary'], gt.get(c['best_constant']))} | < 85% | "
            f"{_verdict(ch['best_constant_below_85'])} |",
            f"| {name} | oracle (true mass, friction, crush force) | {_rate(c['oracle'], gt.get(ORACLE))} | >= 95% | "
            f"{_verdict(ch['oracle_at_least_95'])} |"]
    policies = list(next(iter(cal.values()))["sweep"]) if cal else []
    lines += ["", "Centroid force sweep (success rate per set):", "", "| set | " + " | ".join(policies) + " |",
              "|---" * (len(policies) + 1) + "|"]
    for name, c in cal.items():
        lines.append(f"| {name} | " + " | ".join(
            "-" if not np.isfinite(c["sweep"][p]) else f"{100 * c['sweep'][p]:.0f}%" for p in policies) + " |")
    return "\n".join(lines)


def per_object_markdown(rows: list[dict], cal: dict, sets: dict[str, list[str]], library: str) -> str:
    """Each object's spec (what the oracle knows) beside the baseline, best constant and oracle rates;
    'crushed': attempts the simulator saw damaged, of the baseline's."""
    from ..sim.objects import make_object
    from .bare_cell import oracle_force, oracle_hold_force

    lines = ["| set | object | material | mass (g) | friction | crush (N) | oracle force (N) | hold needs (N) | "
             "baseline | baseline crushed | best constant | oracle |", "|---" * 12 + "|"]
    for name, objects in sets.items():
        best = cal[name]["best_constant"]
        for o in objects:
            spec = make_object(o, library)
            rate = {p: success_summary(rows, p, [o]) for p in (BASELINE, best, ORACLE) if p}
            crushed = sum(bool(r.get("ground_truth_damaged")) for r in rows
                          if r.get("policy") == BASELINE and r["object_id"] == o)
            cell = {p: f"{s['held']}/{s['n']}" if s["n"] else "-" for p, s in rate.items()}
            crush = f"{spec.crush_force:.1f}" if spec.fragile else "-"
            lines.append(f"| {name} | {o} | {spec.material or '-'} | {1000 * spec.mass:.0f} | {spec.friction:.2f} | "
                         f"{crush} | {oracle_force(spec):.1f} | {oracle_hold_force(spec):.1f} | {cell[BASELINE]} | "
                         f"{crushed} | {cell.get(best, '-')} | {cell[ORACLE]} |")
    return "\n".join(lines)
