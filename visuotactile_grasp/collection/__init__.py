"""Self-supervised data collection: the trial plan, its records, and the runners."""
