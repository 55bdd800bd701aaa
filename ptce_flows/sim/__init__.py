"""Simulation layer: compile a scenario into a World, run replications with SimPy."""

from ptce_flows.sim.model import Model, simulate
from ptce_flows.sim.world import World, build_world

__all__ = ["Model", "World", "build_world", "simulate"]
