"""Great-circle distances and a local map projection (pure numpy)."""

from __future__ import annotations

import numpy as np

from ptce_flows.units import EARTH_RADIUS_KM


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def project_km(lat, lon, lat0: float | None = None, lon0: float | None = None):
    """Equirectangular projection centred on (lat0, lon0), in km east and north.

    Accurate to well under 1 % over a territory of a few hundred km, which is all a map of a
    PTCE needs; it keeps true proportions (no lat/lon aspect distortion).
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    lat0 = float(np.nanmean(lat)) if lat0 is None else lat0
    lon0 = float(np.nanmean(lon)) if lon0 is None else lon0
    x = np.radians(lon - lon0) * EARTH_RADIUS_KM * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_KM
    return x, y
