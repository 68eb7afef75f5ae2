"""The paper's robot experiments on the simulated cell: Table II, minimum force, Figs. 4 and 6."""
