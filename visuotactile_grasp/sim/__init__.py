"""Simulated robot cell: objects, cameras, tactile rendering and the cell's physics."""
