"""Pure perception cores: cylinder fitting from depth, tactile contact from GelSight images."""
