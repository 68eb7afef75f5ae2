"""Where the package's data lives: the repository (development) or the ament share dir (robot)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from . import PACKAGE_NAME

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


@cache
def share_dir() -> Path:
    """Folder holding config/ and launch/: the source tree if present, else the installed share."""
    if (_SOURCE_ROOT / "config").is_dir() and (_SOURCE_ROOT / "package.xml").is_file():
        return _SOURCE_ROOT
    try:
        from ament_index_python.packages import get_package_share_directory
    except ImportError as exc:  # pragma: no cover
        raise RuntimeError("visuotactile_grasp is installed without its config/ (no ament index)") from exc
    return Path(get_package_share_directory(PACKAGE_NAME))


def config_dir() -> Path:
    return share_dir() / "config"


def launch_dir() -> Path:
    return share_dir() / "launch"


def models_dir() -> Path:
    """Shipped trained checkpoints (models/<name>/model.safetensors + model.json)."""
    return share_dir() / "models"
