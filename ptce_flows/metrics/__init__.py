"""Metrics layer: pure functions on the records of finished runs."""
