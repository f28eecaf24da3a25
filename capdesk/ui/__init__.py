"""Widgets only: one widget per module. No HTTP here — widgets call services through tasks."""
