"""Hostile servers and broken PCs: every class of fault, from a raw socket up."""
