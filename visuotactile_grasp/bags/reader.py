"""Reading rosbag2 bags (MCAP or sqlite3, from here or from `ros2 bag record`) with clear errors.

Read what is readable: a topic whose serialization is not CDR or whose embedded schema does not
parse is left out with a problem noted, the rest of the bag still reads. What cannot be read at
all (missing, truncated, not a bag), and topics a job needs that the bag lacks, end in
BagReadError naming it. Timestamps going backwards and metadata counts that the file does not
hold are noted as problems, never a hang.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .typestore import project_typestore


class BagReadError(RuntimeError):
    pass


@dataclass
class BagSummary:
    path: Path
    topics: dict[str, tuple[str, int]]  # readable topic -> (type, message count from the metadata)
    duration_s: float
    problems: list[str] = field(default_factory=list)  # topics left out and why, oddities seen


class Bag:
    """An open bag: readable connections, a typestore that knows their types, and the problems."""

    def __init__(self, path: str | Path) -> None:
        from rosbags.rosbag2 import Reader

        self.path = Path(path)
        if not self.path.exists():
            raise BagReadError(f"bag {self.path} does not exist")
        try:
            self.reader = Reader(self.path)
            self.reader.open()
        except Exception as exc:  # rosbags raises many kinds for damaged or foreign files
            raise BagReadError(f"cannot open bag {self.path}: {type(exc).__name__}: {exc}") from exc
        self.typestore = _copy(project_typestore())
        self.own_stores: dict = {}  # connection id -> a typestore with the bag's own definitions
        self.problems: list[str] = []
        self.connections = [c for c in self.reader.connections if self._usable(c)]

    def _usable(self, conn) -> bool:
        from rosbags.typesys import get_types_from_msg

        fmt = conn.ext.serialization_format
        if fmt != "cdr":
            self.problems.append(f"{conn.topic}: serialization format {fmt!r} is not CDR; left out")
            return False
        if conn.msgtype in self.typestore.fielddefs:
            try:
                theirs = get_types_from_msg(conn.msgdef.data, conn.msgtype) if conn.msgdef.data else {}
            except Exception:  # noqa: BLE001 - no usable schema in the bag: ours it is
                theirs = {}
            if any(self.typestore.fielddefs.get(name, d) != d for name, d in theirs.items()):
                # recorded with another version of the message (a field added since): read it as recorded
                self.own_stores[conn.id] = _copy(self.typestore, replace=theirs)
                self.problems.append(f"{conn.topic}: recorded with another definition of {conn.msgtype}; "
                                     "read with the bag's own (fields added since are absent)")
            return True
        try:
            self.typestore.register(get_types_from_msg(conn.msgdef.data, conn.msgtype))
        except Exception as exc:
            self.problems.append(f"{conn.topic}: schema of {conn.msgtype} does not parse "
                                 f"({type(exc).__name__}); left out")
            return False
        return True

    def summary(self) -> BagSummary:
        topics = {c.topic: (c.msgtype, c.msgcount) for c in self.connections}
        r = self.reader
        duration = (r.end_time - r.start_time) * 1e-9 if r.message_count else 0.0
        return BagSummary(self.path, topics, duration, list(self.problems))

    def messages(self, topics: set[str]):
        """(topic, bag time ns, message) in bag order for the readable topics asked for."""
        conns = [c for c in self.connections if c.topic in topics]
        last, seen = None, 0
        try:
            for conn, stamp, raw in self.reader.messages(connections=conns):
                if last is not None and stamp < last:
                    self.problems.append(f"timestamps go backwards on {conn.topic} at {stamp} ns")
                last = stamp
                seen += 1
                store = self.own_stores.get(conn.id, self.typestore)
                yield conn.topic, stamp, store.deserialize_cdr(raw, conn.msgtype)
        except Exception as exc:
            raise BagReadError(f"bag {self.path} is unreadable part-way ({type(exc).__name__}: {exc}); "
                               f"is it truncated?") from exc
        listed = sum(c.msgcount for c in conns)
        if seen < listed:
            self.problems.append(f"metadata lists {listed} messages on {sorted(topics & {c.topic for c in conns})} "
                                 f"but the file holds {seen}")

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> Bag:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _copy(store, replace: dict | None = None):
    """A typestore of our own, so types registered from one bag never leak into the shared one;
    replace: definitions that take the place of the store's own under the same names."""
    from rosbags.typesys import Stores, get_typestore

    replace = replace or {}
    fresh = get_typestore(Stores.EMPTY)
    fresh.register({name: d for name, d in store.fielddefs.items() if name not in replace})
    fresh.register(replace)
    return fresh


def summarize(path: str | Path) -> BagSummary:
    with Bag(path) as bag:
        return bag.summary()


def require_topics(summary: BagSummary, needed: dict[str, str]) -> None:
    """needed: topic -> type. Raise naming every missing topic or wrong type."""
    missing = [t for t in needed if t not in summary.topics]
    wrong = [f"{t} is {summary.topics[t][0]}, expected {m}" for t, m in needed.items()
             if t in summary.topics and summary.topics[t][0] != m]
    if missing or wrong:
        have = ", ".join(sorted(summary.topics)) or "no readable topics"
        raise BagReadError(f"bag {summary.path} cannot be replayed: "
                           + "; ".join(([f"missing topics {missing}"] if missing else []) + wrong)
                           + f" (readable: {have})")
