"""Pure planning cores: the initial approach from the cylinder fit, and the regrasp policies."""
