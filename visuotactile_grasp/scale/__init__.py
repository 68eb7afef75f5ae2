"""Fan-out of independent work (collection trials, evaluation attempts, record decoding) on Ray."""
