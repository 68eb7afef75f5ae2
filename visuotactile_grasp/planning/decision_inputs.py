"""Which messages a decision is planned from: one rule for the planner node and offline replay.

A plan request names the moment its inputs must come from (inputs_after: the grasp as it settled).
The decision uses the first message of each input stamped at or after that moment. Inputs may
reach the planner before or after the request (topics are delivered independently; a bag played
as fast as possible delivers a request before the images recorded after it), so the planner
keeps a short history and waits for what is missing; it never guesses with a pause. Replay
applies the same rule to the bag, so it re-plans from exactly the messages the planner used.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

STAMP_EPS = 1e-6


@dataclass
class InputHistory:
    """Recent (stamp, message) pairs per input, in arrival order, bounded per input."""

    maxlen: int = 64
    per_key: dict = field(default_factory=dict)  # key -> its own bound (a fast stream keeps more)
    _items: dict = field(default_factory=dict)

    def add(self, key: str, stamp: float, msg) -> None:
        self._items.setdefault(key, deque(maxlen=self.per_key.get(key, self.maxlen))).append((stamp, msg))

    def first_at_or_after(self, key: str, t: float):
        for stamp, msg in self._items.get(key, ()):
            if stamp >= t - STAMP_EPS:
                return stamp, msg
        return None

    def newest_stamp(self, key: str) -> float | None:
        items = self._items.get(key)
        return max(s for s, _ in items) if items else None


@dataclass(frozen=True)
class Selection:
    messages: dict  # key -> message; empty unless complete
    stamps: dict  # key -> stamp of the chosen message
    problem: str  # '' when complete and consistent
    final: bool  # True: waiting longer cannot change the answer (complete, or inconsistent)


def select_inputs(history: InputHistory, required: tuple[str, ...], inputs_after: float,
                  max_skew: float) -> Selection:
    chosen, stamps, missing = {}, {}, []
    for key in required:
        hit = history.first_at_or_after(key, inputs_after)
        if hit is None:
            newest = history.newest_stamp(key)
            missing.append(f"{key} (none received)" if newest is None else
                           f"{key} (newest {inputs_after - newest:.2f} s before the request's inputs_after)")
            continue
        stamps[key], chosen[key] = hit
    if missing:
        return Selection({}, stamps, "inputs missing: " + ", ".join(missing), final=False)
    if stamps and max(stamps.values()) - min(stamps.values()) > max_skew:
        spread = {k: round(v - inputs_after, 3) for k, v in stamps.items()}
        return Selection({}, stamps, f"inputs from different moments (s after inputs_after): {spread}", final=True)
    return Selection(chosen, stamps, "", final=True)
