"""The lifecycle every device driver shares (devices/__init__.py says what each one adds)."""
from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Device(Protocol):
    @property
    def connected(self) -> bool: ...

    def connect(self) -> None:
        """Open the device; raises the driver's error with the reason when it cannot."""

    def disconnect(self) -> None:
        """Release the device; safe to call twice, or when connect failed."""
