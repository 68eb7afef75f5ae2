"""Write rosbag2 bags (MCAP by default) of raw CDR messages, as `ros2 bag record` does."""
from __future__ import annotations

from pathlib import Path

from .typestore import project_typestore


class BagRecorder:
    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer

        plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}.get(storage)
        if plugin is None:
            raise ValueError(f"storage must be mcap or sqlite3, got {storage!r}")
        self.path = Path(path)
        if self.path.exists():
            raise FileExistsError(f"{self.path} exists: rosbag2 writes a new folder per bag")
        self.typestore = project_typestore()
        self.writer = Writer(self.path, version=8, storage_plugin=plugin)
        self.writer.open()
        self.connections = {}
        self.counts: dict[str, int] = {}

    def add_topic(self, topic: str, msgtype: str) -> None:
        if msgtype not in self.typestore.fielddefs:
            raise ValueError(f"cannot record {topic}: type {msgtype} unknown to the typestore")
        self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=self.typestore)
        self.counts[topic] = 0

    def write(self, topic: str, stamp_ns: int, raw: bytes) -> None:
        self.writer.write(self.connections[topic], int(stamp_ns), raw)
        self.counts[topic] += 1

    def close(self) -> None:
        self.writer.close()
