"""The node graph of each mode, defined once; launch files and `vtg run` both build from it."""
from .modes import MODES, build_graph
from .spec import Graph, NodeSpec

__all__ = ["MODES", "Graph", "NodeSpec", "build_graph"]
