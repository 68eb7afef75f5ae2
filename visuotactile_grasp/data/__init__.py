"""Grasp-trial datasets: an append-only, crash-safe store of self-contained trial records."""
