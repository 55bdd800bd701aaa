"""The scenario format as strict, frozen pydantic models (the ``*Spec`` classes).

Rules that hold everywhere: unknown keys are errors (``extra="forbid"``), numbers must be
finite, ids are short words (letters, digits, ``_`` and ``-``) used unchanged as graph nodes and
in every table, and units live in key names (``capacity_t_per_day``, ``speed_kmh``). Defaults
come from :mod:`ptce_flows.scenario.defaults`. Checks that need the whole scenario (does this
material exist? can a truck carry it?) live in :mod:`ptce_flows.scenario.checks`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainValidator,
    StringConstraints,
    field_validator,
    model_validator,
)

from ptce_flows.scenario.balance_schema import (  # noqa: E402
    DISPOSAL_COST_KEYS as DISPOSAL_COST_KEYS,
)
from ptce_flows.scenario.balance_schema import (
    TRANSFER_COST_KEYS as TRANSFER_COST_KEYS,
)
from ptce_flows.scenario.balance_schema import (
    TREATMENT_COST_KEYS as TREATMENT_COST_KEYS,
)
from ptce_flows.scenario.balance_schema import (
    ClimateDisposalSpec as ClimateDisposalSpec,
)
from ptce_flows.scenario.balance_schema import (
    ClimateProcessSpec as ClimateProcessSpec,
)
from ptce_flows.scenario.balance_schema import (
    ClimateProductSpec as ClimateProductSpec,
)
from ptce_flows.scenario.balance_schema import (
    ClimateSpec as ClimateSpec,
)
from ptce_flows.scenario.balance_schema import (
    CostsSpec as CostsSpec,
)
from ptce_flows.scenario.balance_schema import (
    FleetCostSpec as FleetCostSpec,
)
from ptce_flows.scenario.balance_schema import (
    ProductCostSpec as ProductCostSpec,
)
from ptce_flows.scenario.balance_schema import (
    SiteCostSpec as SiteCostSpec,
)
from ptce_flows.scenario.balance_schema import (
    central as central,
)
from ptce_flows.scenario.balance_schema import (
    factor as factor,
)
from ptce_flows.scenario.defaults import default
from ptce_flows.scenario.spec_base import (  # noqa: E402 (re-exported: the format's vocabulary)
    DayOfYear,
    DisposalType,
    Fraction,
    Id,
    Location,
    ProcessType,
    Spec,
)


def _check_label(value: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        if not value.strip() or len(value) > 200:
            raise ValueError("a label is a non-empty text of at most 200 characters")
        return value
    if isinstance(value, dict) and value:
        for lang, text in value.items():
            if lang not in ("en", "fr"):
                raise ValueError(f"unknown language '{lang}' in the label (allowed: en, fr)")
            if not isinstance(text, str) or not text.strip() or len(text) > 200:
                raise ValueError(f"label.{lang} must be a non-empty text of at most 200 characters")
        return dict(value)
    raise ValueError("a label is a text, or one text per language: {en: ..., fr: ...}")


#: a display name, either one text or one per language: ``{en: Farms, fr: Exploitations}``
Label = Annotated[Any, PlainValidator(_check_label)]


#: Bounds of the numbers (docs/scenario-format.md lists each key with its range). They keep a
#: scenario within what describes a territory and its trucks: beyond them a value is a typo or
#: an attack, and it would make the run misleading or endless (a 1e-6 t payload is a million
#: trips per tonne). Combinations of valid values are bounded by ``scenario.budget``.
MAX_T_PER_DAY = 100_000.0            # t/day from one source or into one site (36.5 Mt/year)
MAX_T_PER_YEAR = MAX_T_PER_DAY * 365
MIN_CAPACITY_T_PER_DAY = 0.01        # 10 kg/day: below it a load books the site for years
MAX_STORAGE_T = 10_000_000.0
Tonnes = Annotated[float, Field(ge=0.0, le=MAX_T_PER_YEAR)]
MAX_DESCRIPTION = 5000


def _check_description(value: Any) -> str | dict[str, str]:
    if isinstance(value, str):
        if len(value) > MAX_DESCRIPTION:
            raise ValueError(f"a description is a text of at most {MAX_DESCRIPTION} characters")
        return value
    if isinstance(value, dict) and value:
        for lang, text in value.items():
            if lang not in ("en", "fr"):
                raise ValueError(f"unknown language '{lang}' in the description (allowed: en, fr)")
            if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
                raise ValueError(f"description.{lang} must be a text of at most {MAX_DESCRIPTION} characters")
        return dict(value)
    raise ValueError("a description is a text, or one text per language: {en: ..., fr: ...}")


#: a text, either one or one per language: ``{en: ..., fr: ...}`` (``i18n.label_text`` picks one)
Description = Annotated[Any, PlainValidator(_check_description)]


class MaterialSpec(Spec):
    description: Description = ""
    label: Label | None = None


class JobsSpec(Spec):
    fixed_fte: Annotated[float, Field(ge=0.0, le=10_000.0)] = default("processes.*.jobs.fixed_fte")
    fte_per_kt: Annotated[float, Field(ge=0.0, le=1_000.0)] = default("processes.*.jobs.fte_per_kt")
    insertion_share: Fraction = default("processes.*.jobs.insertion_share")


class ProcessSpec(Spec):
    description: Description = ""
    type: ProcessType | None = None
    inputs: Annotated[list[Id], Field(min_length=1)]
    outputs: dict[Id, Fraction] = Field(default_factory=dict)
    residence_days: Annotated[float, Field(ge=0.0, le=3650.0)]
    jobs: JobsSpec = Field(default_factory=JobsSpec)

    @field_validator("outputs")
    @classmethod
    def _outputs_conserve_mass(cls, outputs: dict[str, float]) -> dict[str, float]:
        total = sum(outputs.values())
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"output coefficients sum to {total:.4g} > 1: a process cannot create mass "
                "(the sum must be at most 1; the rest counts as process losses)"
            )
        return outputs

    @field_validator("inputs")
    @classmethod
    def _inputs_unique(cls, inputs: list[str]) -> list[str]:
        if len(set(inputs)) != len(inputs):
            raise ValueError("inputs are listed twice (each material once)")
        return inputs


class VariabilitySpec(Spec):
    distribution: Literal["gamma", "lognormal", "normal"] = default(
        "sites.*.supply.*.variability.distribution"
    )
    cv: Annotated[float, Field(ge=0.0, le=3.0)]


class SupplySpec(Spec):
    """How much of one material a source makes. Give exactly one rate."""

    t_per_day: Annotated[float, Field(ge=0.0, le=MAX_T_PER_DAY)] | None = None
    t_per_year: Tonnes | None = None
    kg_per_capita_year: Annotated[float, Field(ge=0.0, le=5_000.0)] | None = None
    capture_rate: Fraction = default("sites.*.supply.*.capture_rate")
    seasonality: Annotated[list[Annotated[float, Field(ge=0.0, le=100.0)]],
                           Field(min_length=12, max_length=12)] | None = None
    variability: VariabilitySpec | None = None
    #: disposal site receiving the residual (the potential not captured); default: the nearest
    #: disposal site accepting the material
    residual_to: Id | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> SupplySpec:
        given = [k for k in ("t_per_day", "t_per_year", "kg_per_capita_year") if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one rate (found {found}; allowed: t_per_day, t_per_year, "
                "or kg_per_capita_year with the site's population)"
            )
        if self.seasonality is not None and sum(self.seasonality) <= 0:
            raise ValueError("seasonality factors are all zero (give 12 monthly factors, not all 0)")
        return self


class CollectionSpec(Spec):
    every_days: Annotated[int, Field(ge=1, le=365)] = default("sites.*.collection.every_days")
    full_loads_only: bool = default("sites.*.collection.full_loads_only")
    #: km driven per load while collecting, before the haul (a round through the streets)
    round_km: Annotated[float, Field(ge=0.0, le=1_000.0)] | None = default("sites.*.collection.round_km")
    #: hours spent collecting per load, in place of the fleet's loading_h
    round_h: Annotated[float, Field(ge=0.0, le=24.0)] | None = default("sites.*.collection.round_h")
    #: collection points visited per pass, and the area they are spread over: the round's
    #: km by the Beardwood-Halton-Hammersley estimate when round_km is not known
    stops: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    area_km2: Annotated[float, Field(gt=0.0, le=100_000.0)] | None = None

    @model_validator(mode="after")
    def _round_estimate(self) -> CollectionSpec:
        if (self.stops is None) != (self.area_km2 is None):
            raise ValueError("give both stops and area_km2 (the Beardwood-Halton-Hammersley estimate "
                             "of the round needs both), or neither")
        if self.stops is not None and self.round_km is not None:
            raise ValueError("give round_km or stops with area_km2 (its estimate), not both")
        return self


class SiteBase(Spec):
    label: Label | None = None
    location: Location


class SourceSpec(SiteBase):
    kind: Literal["source"]
    population: Annotated[int, Field(ge=0, le=20_000_000)] | None = None
    supply: Annotated[dict[Id, SupplySpec], Field(min_length=1)]
    collection: CollectionSpec = Field(default_factory=CollectionSpec)
    deliver_to: list[Id] | None = None


class TreatmentSiteSpec(SiteBase):
    kind: Literal["treatment"]
    #: a site that could be built: not in the base layout (``ptce-flows optimise`` chooses)
    candidate: bool = False
    process: Id
    capacity_t_per_day: Annotated[float, Field(ge=MIN_CAPACITY_T_PER_DAY, le=MAX_T_PER_DAY)] | None = None
    capacity_t_per_year: Annotated[float, Field(ge=MIN_CAPACITY_T_PER_DAY * 365, le=MAX_T_PER_YEAR)] | None = None
    storage_t: Annotated[float, Field(gt=0.0, le=MAX_STORAGE_T)]
    reception_days: Annotated[int, Field(ge=0, le=30)] = default("sites.*.reception_days")
    jobs: JobsSpec | None = None
    overflow_to: Id | None = None

    @model_validator(mode="after")
    def _one_capacity(self) -> TreatmentSiteSpec:
        if (self.capacity_t_per_day is None) == (self.capacity_t_per_year is None):
            raise ValueError(
                "give exactly one intake capacity (capacity_t_per_day or capacity_t_per_year, > 0)"
            )
        return self

    @property
    def capacity_per_day(self) -> float:
        if self.capacity_t_per_day is not None:
            return self.capacity_t_per_day
        return self.capacity_t_per_year / 365.0


Window = tuple[DayOfYear, DayOfYear]


class DemandSpec(Spec):
    """What a farm or outlet takes of one product. Without a rate, it takes everything."""

    t_per_year: Tonnes | None = None
    area_ha: Annotated[float, Field(gt=0.0, le=1_000_000.0)] | None = None
    t_per_ha: Annotated[float, Field(gt=0.0, le=1_000.0)] | None = None
    every_years: Annotated[float, Field(ge=1.0, le=100.0)] = default("sites.*.demand.*.every_years")
    windows: Annotated[list[Window], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _rate(self) -> DemandSpec:
        by_area = self.area_ha is not None or self.t_per_ha is not None
        if by_area and (self.area_ha is None or self.t_per_ha is None):
            raise ValueError("give both area_ha and t_per_ha, or t_per_year alone")
        if by_area and self.t_per_year is not None:
            raise ValueError("give t_per_year or area_ha with t_per_ha, not both")
        return self

    @property
    def annual_t(self) -> float | None:
        """Demand in t/year, or None when unlimited."""
        if self.t_per_year is not None:
            return self.t_per_year
        if self.area_ha is not None:
            return self.area_ha * self.t_per_ha / self.every_years
        return None


class DemandSiteSpec(SiteBase):
    kind: Literal["farm", "outlet"]
    demand: Annotated[dict[Id, DemandSpec], Field(min_length=1)]


class DisposalSpec(SiteBase):
    kind: Literal["disposal"]
    type: DisposalType | None = None
    accepts: Annotated[list[Id], Field(min_length=1)]
    jobs: JobsSpec | None = None
    #: tonnes it takes per year (each 365 simulated days); None: no limit
    capacity_t_per_year: Annotated[float, Field(gt=0.0, le=MAX_T_PER_YEAR)] | None = None
    #: the disposal site taking what this one refuses when full
    overflow_to: Id | None = None


class TransferSpec(SiteBase):
    """A transfer station: receives loads, bulks them, forwards them; diverts nothing itself."""

    kind: Literal["transfer"]
    #: a station that could be built: not in the base layout (a variant builds it)
    candidate: bool = False
    capacity_t_per_day: Annotated[float, Field(ge=MIN_CAPACITY_T_PER_DAY, le=MAX_T_PER_DAY)]
    storage_t: Annotated[float, Field(gt=0.0, le=MAX_STORAGE_T)]
    forward_to: Annotated[list[Id], Field(min_length=1)] | None = None
    max_wait_days: Annotated[int, Field(ge=0, le=60)] = default("sites.*.max_wait_days")
    jobs: JobsSpec | None = None


SiteSpec = Annotated[
    SourceSpec | TreatmentSiteSpec | DemandSiteSpec | DisposalSpec | TransferSpec,
    Field(discriminator="kind"),
]

Road = tuple[Id, Id, Annotated[float, Field(ge=0.0, le=5_000.0)]]  # 0 km: two places on one plot


#: a data file named in a scenario, relative to the scenario file (``scenario.inputs``)
DataFile = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class NetworkSpec(Spec):
    circuity: Annotated[float, Field(ge=1.0, le=5.0)] = default("network.circuity")
    fallback: Literal["great_circle", "none"] = default("network.fallback")
    #: a table of origin, destination, km (CSV or XLSX); its pairs take precedence
    distances: DataFile | None = None
    #: the pairs of ``distances`` hold one way only (otherwise both ways)
    directed: bool = False
    #: a road network as osmnx.save_graphml writes it (edges' ``length`` in metres)
    graphml: DataFile | None = None


class MapSpec(Spec):
    #: GeoJSON layers drawn under the flows (boundaries, rivers), in order
    background: Annotated[list[DataFile], Field(max_length=20)] = Field(default_factory=list)


class FleetSpec(Spec):
    label: Label | None = None
    carries: Annotated[list[Id], Field(min_length=1)]
    vehicles: Annotated[int, Field(ge=1, le=10_000)]
    payload_t: Annotated[float, Field(ge=0.05, le=50.0)]
    speed_kmh: Annotated[float, Field(ge=1.0, le=130.0)]
    co2_kg_per_km: Annotated[float, Field(ge=0.0, le=10.0)]
    co2_kg_per_km_empty: Annotated[float, Field(ge=0.0, le=10.0)] | None = None
    loading_h: Annotated[float, Field(ge=0.0, le=24.0)] = default("fleets.*.loading_h")
    unloading_h: Annotated[float, Field(ge=0.0, le=24.0)] = default("fleets.*.unloading_h")
    shift_h: Annotated[float, Field(ge=0.5, le=24.0)] = default("fleets.*.shift_h")
    crew: Annotated[int, Field(ge=1, le=10)] = default("fleets.*.crew")
    insertion_share: Fraction = default("fleets.*.insertion_share")
    depot: Id | None = None
    serves: list[Id] | None = None

    @property
    def co2_empty(self) -> float:
        return self.co2_kg_per_km if self.co2_kg_per_km_empty is None else self.co2_kg_per_km_empty


class OutageSpec(Spec):
    """A treatment site closed for some days: it accepts and processes nothing."""

    kind: Literal["outage"]
    site: Id
    start_day: Annotated[int, Field(ge=0, le=36500)]
    days: Annotated[int, Field(ge=1, le=36500)]
    description: Description = ""


class FleetUnavailableSpec(Spec):
    """A share of a fleet's vehicles out of service for some days."""

    kind: Literal["fleet_unavailable"]
    fleet: Id
    share: Annotated[float, Field(gt=0.0, le=1.0)]
    start_day: Annotated[int, Field(ge=0, le=36500)]
    days: Annotated[int, Field(ge=1, le=36500)]
    description: Description = ""


class BreakdownSpec(Spec):
    """Random truck breakdowns: a Poisson rate per vehicle, each repair a fixed duration."""

    kind: Literal["breakdowns"]
    fleet: Id
    per_vehicle_per_year: Annotated[float, Field(gt=0.0, le=365.0)]
    repair_days: Annotated[float, Field(ge=0.01, le=365.0)]
    description: Description = ""


DisruptionSpec = Annotated[
    OutageSpec | FleetUnavailableSpec | BreakdownSpec, Field(discriminator="kind")
]


class DeliveriesSpec(Spec):
    """How products are allocated to farms and outlets (sim.allocation)."""

    rule: Literal["planned", "first_come"] = default("deliveries.rule")


class VariantSpec(Spec):
    description: Description = ""
    label: Label | None = None
    extends: Id | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)


class ReferenceSpec(Spec):
    publisher: Description   # a text, or {en: ..., fr: ...}
    title: str = ""
    year: Annotated[int, Field(ge=1800, le=2100)] | None = None
    url: str = ""
    note: Description = ""   # a text, or {en: ..., fr: ...}


class ScenarioSpec(Spec):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    label: Label | None = None
    description: Description = ""
    horizon_days: Annotated[int, Field(ge=1, le=36500)] = default("horizon_days")
    warmup_days: Annotated[int, Field(ge=0, le=3650)] = default("warmup_days")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = default("seed")
    start_day_of_year: DayOfYear = default("start_day_of_year")
    materials: Annotated[dict[Id, MaterialSpec], Field(min_length=1)]
    processes: dict[Id, ProcessSpec] = Field(default_factory=dict)
    sites: Annotated[dict[Id, SiteSpec], Field(min_length=1)]
    nodes: dict[Id, Location] = Field(default_factory=dict)
    roads: list[Road] = Field(default_factory=list)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    map: MapSpec = Field(default_factory=MapSpec)
    fleets: Annotated[dict[Id, FleetSpec], Field(min_length=1)]
    disruptions: list[DisruptionSpec] = Field(default_factory=list)
    deliveries: DeliveriesSpec = Field(default_factory=DeliveriesSpec)
    variants: dict[Id, VariantSpec] = Field(default_factory=dict)
    references: dict[Id, ReferenceSpec] = Field(default_factory=dict)
    climate: ClimateSpec = Field(default_factory=ClimateSpec)
    costs: CostsSpec = Field(default_factory=CostsSpec)

    def sites_of(self, *kinds: str) -> dict[str, Any]:
        """Sites of the given kinds, in file order."""
        return {sid: s for sid, s in self.sites.items() if s.kind in kinds}
