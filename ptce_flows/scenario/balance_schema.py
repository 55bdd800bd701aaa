"""The climate: and costs: blocks of a scenario (issue 13): factors, each a number or a range
``[low, central, high]`` for sensitivity runs (re-exported by :mod:`ptce_flows.scenario.schema`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator

from ptce_flows.scenario.spec_base import Id, Spec


def factor(low: float, high: float) -> Any:
    """A factor: a number within [low, high], or a range ``[low, central, high]`` (for
    sensitivity runs; a run uses the central value, see ``central``)."""

    def check(value: Any) -> float | tuple[float, float, float]:
        allowed = f"a number from {low:g} to {high:g}, or a range [low, central, high]"
        items = value if isinstance(value, list | tuple) else [value]
        if len(items) not in (1, 3) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in items):
            raise ValueError(f"expected {allowed}")
        numbers = [float(v) for v in items]
        for v in numbers:
            if not (low <= v <= high):  # also refuses NaN
                raise ValueError(f"{v:g} is out of bounds ({allowed})")
        if len(numbers) == 1:
            return numbers[0]
        if not numbers[0] <= numbers[1] <= numbers[2]:
            raise ValueError("a range is [low, central, high] with low <= central <= high")
        return (numbers[0], numbers[1], numbers[2])

    return Annotated[Any, PlainValidator(check)]


def central(value: float | tuple[float, float, float] | None) -> float | None:
    """The value a run uses: the number itself, or the middle of a range."""
    return value[1] if isinstance(value, tuple) else value


class ClimateProcessSpec(Spec):
    kg_co2e_per_t_input: factor(0.0, 5000.0) | None = None
    energy_kwh_per_t_input: factor(0.0, 10000.0) | None = None
    avoided_kg_co2e_per_kwh: factor(0.0, 2.0) | None = None


class ClimateDisposalSpec(Spec):
    kg_co2e_per_t: factor(-2000.0, 5000.0) | None = None


class ClimateProductSpec(Spec):
    avoided_kg_co2e_per_t: factor(-5000.0, 50000.0) | None = None
    n_kg_per_t: factor(0.0, 500.0) | None = None
    p2o5_kg_per_t: factor(0.0, 500.0) | None = None
    k2o_kg_per_t: factor(0.0, 500.0) | None = None


class ClimateSpec(Spec):
    processes: dict[Id, ClimateProcessSpec] = Field(default_factory=dict)
    disposals: dict[Id, ClimateDisposalSpec] = Field(default_factory=dict)
    products: dict[Id, ClimateProductSpec] = Field(default_factory=dict)


class FleetCostSpec(Spec):
    eur_per_km: factor(0.0, 100.0) | None = None
    eur_per_h: factor(0.0, 1000.0) | None = None


#: cost keys of a treatment site, a disposal site and a transfer station (scenario.accounting
#: checks which apply)
TREATMENT_COST_KEYS = ("capex_eur", "life_years", "fixed_eur_per_year", "eur_per_t", "energy_eur_per_kwh")
DISPOSAL_COST_KEYS = ("gate_fee_eur_per_t", "tax_eur_per_t")
TRANSFER_COST_KEYS = ("capex_eur", "life_years", "fixed_eur_per_year", "eur_per_t")


class SiteCostSpec(Spec):
    capex_eur: factor(0.0, 1e10) | None = None
    life_years: factor(1.0, 100.0) | None = None
    fixed_eur_per_year: factor(0.0, 1e9) | None = None
    eur_per_t: factor(0.0, 1e4) | None = None
    energy_eur_per_kwh: factor(0.0, 10.0) | None = None
    gate_fee_eur_per_t: factor(0.0, 1e4) | None = None
    tax_eur_per_t: factor(0.0, 1e4) | None = None


class ProductCostSpec(Spec):
    price_eur_per_t: factor(-1e4, 1e4) | None = None


class CostsSpec(Spec):
    discount_rate: factor(0.0, 0.5) | None = None
    year: Annotated[int, Field(ge=2021, le=2100)] = 2025
    fleets: dict[Id, FleetCostSpec] = Field(default_factory=dict)
    sites: dict[Id, SiteCostSpec] = Field(default_factory=dict)
    products: dict[Id, ProductCostSpec] = Field(default_factory=dict)
