"""Offline and orchestration jobs behind the vtg command."""
