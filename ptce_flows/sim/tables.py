"""The shape of a compiled scenario: the ``World`` and the tables it groups.

A ``World`` is plain data (numpy arrays, lists, small dataclasses): it is built once per
scenario (``sim.world.build_world``), pickled to worker processes, and shared by every
replication. Entries are indexed by small integers: sites in ``World.sites`` order, treatment
and disposal sites in their own lists, one supply entry per source x material, one demand
entry per farm/outlet x material.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ptce_flows.network import RoadNetwork

#: (site or entry index, km), nearest first
Candidates = list[tuple[int, float]]


@dataclass
class FleetInfo:
    id: str
    vehicles: int
    payload_t: float
    speed_kmh: float
    co2_kg_per_km: float
    co2_kg_per_km_empty: float
    loading_h: float
    unloading_h: float
    shift_h: float
    crew: int
    insertion_share: float
    depot: int  # node index in the network, -1 when trucks return to the origin


@dataclass
class TreatmentInfo:
    site: int               # index in World.sites
    process: str
    capacity_t_per_day: float
    storage_t: float
    residence_days: float
    inputs: np.ndarray      # material indices
    out_mats: np.ndarray    # material indices of outputs
    out_coefs: np.ndarray   # t out per t in, aligned with out_mats
    fixed_fte: float
    fte_per_kt: float
    insertion_share: float
    overflow: int = -1      # disposal index for refused waste, or -1 (nearest)
    reception_days: int = 1  # days a load may wait before processing starts

    @property
    def yield_total(self) -> float:
        return float(self.out_coefs.sum())


@dataclass
class DisposalInfo:
    site: int
    accepts: np.ndarray
    fte_per_kt: float
    fixed_fte: float
    insertion_share: float
    capacity_t_per_year: float = float("inf")
    overflow: int = -1      # disposal index taking what this one refuses when full, or -1


@dataclass
class Onward:
    """Where a load leaving a transfer station (forwarded) or a treatment site (a chain
    product) may go: treatment sites in routing order, the fleet, the fallback disposal."""

    candidates: Candidates          # (treatment index, km)
    fleet: int
    disposal: tuple[int, float]     # (disposal index, km) or (-1, inf)


@dataclass
class TransferInfo:
    site: int
    capacity_t_per_day: float
    storage_t: float
    max_wait_days: int
    accepts: np.ndarray             # material indices
    forward: dict[int, Onward]      # material -> where it is forwarded
    fixed_fte: float
    fte_per_kt: float
    insertion_share: float


@dataclass
class SupplyTable:
    """Supply entries (one per source x material), as parallel arrays."""

    site: np.ndarray             # site index
    material: np.ndarray         # material index
    rate: np.ndarray             # mean t/day over the year
    season: np.ndarray           # (E, 12) monthly factors, day-weighted mean 1
    cv: np.ndarray               # coefficient of variation of the daily amount
    dist: np.ndarray             # distribution code (``sim.compile.DIST_CODES``)
    every: np.ndarray            # collection interval, days
    full_only: np.ndarray        # bool: full loads only
    fleet: np.ndarray            # fleet index
    #: (receiver index, km), in routing order; a receiver is a treatment index, or
    #: len(treatments) + transfer index for a transfer station
    candidates: list[Candidates]
    disposal: list[tuple[int, float]]      # (disposal index, km) or (-1, inf)
    residual_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))  # t/day not captured
    residual_disposal: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    round_km: np.ndarray = field(default_factory=lambda: np.zeros(0))      # km per load collecting
    round_h: np.ndarray = field(default_factory=lambda: np.zeros(0))       # h per load collecting

    def __len__(self) -> int:
        return len(self.site)


@dataclass
class DemandTable:
    """Demand entries (one per farm/outlet x material), as parallel arrays."""

    site: np.ndarray
    material: np.ndarray
    annual: np.ndarray           # t/year, nan when unlimited
    rate: np.ndarray             # t/day on window days
    unlimited: np.ndarray        # bool
    window: np.ndarray           # (E, 365) bool, day-of-year 1 at column 0
    last_day: np.ndarray         # (E, 365) bool, last day of a window
    candidates: list[Candidates]           # (treatment index, km), nearest first
    fleet: list[dict[int, int]]            # treatment index -> fleet index

    def __len__(self) -> int:
        return len(self.site)


@dataclass
class Disruptions:
    """Disruptions in simulated days (the warm-up included)."""

    #: treatment index -> [(first day, end day)) when the site is closed
    outages: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    #: fleet index -> [(first day, end day, vehicles out of service)]
    fleet_down: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: fleet index -> (breakdowns per vehicle per day, repair days)
    breakdowns: dict[int, tuple[float, float]] = field(default_factory=dict)


@dataclass
class World:
    """Everything a replication needs, as arrays indexed by small integers."""

    name: str
    horizon_days: int            # reported days
    start_day_of_year: int
    materials: list[str]
    sites: list[str]
    site_kind: list[str]
    #: site labels as the scenario gives them (text or {lang: text}, or None): translated
    #: for display by the presentation layers, never here
    site_labels: list
    site_lat: np.ndarray
    site_lon: np.ndarray
    fleets: list[FleetInfo]
    treatments: list[TreatmentInfo]
    disposals: list[DisposalInfo]
    supply: SupplyTable
    demand: DemandTable
    # residues: (treatment index, material) -> (disposal index, km, fleet index)
    residues: dict[tuple[int, int], tuple[int, float, int]]
    # depot legs: (fleet index, site index) -> km
    depot_km: dict[tuple[int, int], float] = field(default_factory=dict)
    disruptions: Disruptions = field(default_factory=Disruptions)
    transfers: list[TransferInfo] = field(default_factory=list)
    #: chains: (treatment index, material) -> where that product goes on to be treated
    chains: dict[tuple[int, int], Onward] = field(default_factory=dict)
    #: (site index, disposal index) -> km, for loads redirected by a full disposal site
    disposal_km: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    warmup_days: int = 0         # simulated before the reported window (not reported)
    network: RoadNetwork | None = None

    @property
    def total_days(self) -> int:
        """Days simulated: the warm-up, then the reported horizon."""
        return self.warmup_days + self.horizon_days

    @property
    def material_index(self) -> dict[str, int]:
        return {m: i for i, m in enumerate(self.materials)}

    @property
    def site_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.sites)}
