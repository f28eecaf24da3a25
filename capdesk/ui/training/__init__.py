"""The training cluster's banner and its controls (simulated customers, scenarios)."""
