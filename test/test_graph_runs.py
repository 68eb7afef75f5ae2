"""The grasp and collect graphs run here: every node in its own process, a message on every edge,
one grasp attempt through the real nodes, and a clean shutdown."""
import subprocess
import sys
from pathlib import Path

import pytest

VTG = str(Path(sys.executable).parent / "vtg")


@pytest.mark.parametrize("mode", ["grasp", "collect"])
def test_graph_check(mode, ros_env, tmp_path):
    result = subprocess.run([VTG, "run", mode, "--check", "--log-dir", str(tmp_path)], env=ros_env,
                            capture_output=True, text=True, timeout=300)
    print(result.stdout[-3000:], result.stderr[-3000:])
    assert result.returncode == 0
    assert "check attempt:" in result.stdout
    assert "DOWN" not in result.stdout
    n_edges = result.stdout.count(" msgs  /")
    assert f"edges ({n_edges}/{n_edges} carried messages)" in result.stdout
    assert "endpoints: each node's as declared" in result.stdout  # graph/interfaces.py, checked on the running graph


def test_graph_listing_names_existing_files(ros_env):
    for mode in ("grasp", "collect", "replay"):
        result = subprocess.run([VTG, "graph", mode], env=ros_env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "edges:" in result.stdout
