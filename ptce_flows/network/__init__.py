"""Network layer: the road graph and its distance matrices."""

from ptce_flows.network.geo import haversine_km, project_km
from ptce_flows.network.roads import RoadNetwork

__all__ = ["RoadNetwork", "haversine_km", "project_km"]
