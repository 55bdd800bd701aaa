"""Benchmarks: generated territories and road graphs, and the speed and memory measurements of
``ptce-flows bench`` / ``python benchmarks/run.py`` (see docs/performance.md)."""

from ptce_flows.bench.runner import main

__all__ = ["main"]
