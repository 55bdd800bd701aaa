"""The result tables a figure is drawn from, as one plain object (no matplotlib here).

A :class:`ResultSet` holds what a results folder holds (see docs/outputs.md): the summary
document, the flow rows, the daily series, the resolved scenario and the manifest. It is built
from plain data, so tests and other tools can make one without touching the disk; the report
layer reads it from a folder (``ptce_flows.reports.load.load_results``).

The accessors here answer the questions every figure asks (what is the label of this site,
which sites are treatment sites, what is this site's intake capacity) in one place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ptce_flows.i18n import label_text
from ptce_flows.scenario.diagnostics import SITE_KINDS
from ptce_flows.units import DAYS_PER_YEAR



def _capital(text: str) -> str:
    """First letter upper case, the rest as written (labels start a legend entry or a row)."""
    return text[:1].upper() + text[1:]


@dataclass
class Series:
    """Daily series in wide form: ``(site, material, quantity) -> (value, low, high)`` arrays.

    Attributes:
        days: simulation days (0-based), shared by every series.
        data: one entry per (site, material, quantity) of timeseries.csv.
    """

    days: np.ndarray
    data: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[dict]) -> Series:
        """Build from timeseries rows (``time_d, site, material, quantity, value, low, high``)."""
        grouped: dict[tuple[str, str, str], list] = defaultdict(list)
        max_day = -1
        for r in rows:
            day = int(float(r["time_d"]))
            max_day = max(max_day, day)
            grouped[(r["site"], r["material"], r["quantity"])].append(
                (day, float(r["value"]), float(r["low"]), float(r["high"])))
        n = max_day + 1
        data = {}
        for key, items in grouped.items():
            arr = np.zeros((3, n))
            for day, v, lo, hi in items:
                arr[:, day] = (v, lo, hi)
            data[key] = (arr[0], arr[1], arr[2])
        return cls(days=np.arange(n), data=data)

    def _keys(self, site: str, quantity: str) -> list[tuple[str, str, str]]:
        """The keys of ``site``'s ``quantity`` series, in the order of ``data`` (an index built
        once: a territory has thousands of series, and a figure asks about each source)."""
        built_for = (id(self.data), len(self.data))
        if getattr(self, "_index_of", None) != built_for:
            index: dict[tuple[str, str], list] = defaultdict(list)
            for key in self.data:
                index[(key[0], key[2])].append(key)
            self._index, self._index_of = index, built_for
        return self._index.get((site, quantity), [])

    @classmethod
    def from_columns(cls, days: np.ndarray, keys: list[tuple[str, str, str]], value: np.ndarray,
                     low: np.ndarray, high: np.ndarray) -> Series:
        """The same as :meth:`from_rows` from columns (one entry per row; ``days`` whole
        numbers): a table of half a million rows in a fraction of the time."""
        codes: dict[tuple[str, str, str], int] = {}
        code = np.fromiter((codes.setdefault(k, len(codes)) for k in keys), dtype=np.int64, count=len(keys))
        n = max(int(days.max()), -1) + 1 if len(days) else 0
        arr = np.zeros((len(codes), 3, n))
        for i, column in enumerate((value, low, high)):
            arr[code, i, days] = column   # a (site, material, quantity, day) given twice: the last row wins
        return cls(days=np.arange(n), data={k: (arr[c, 0], arr[c, 1], arr[c, 2]) for k, c in codes.items()})

    def materials(self, site: str, quantity: str) -> list[str]:
        """Materials with a series of ``quantity`` at ``site``, sorted."""
        return sorted({m for (_s, m, _q) in self._keys(site, quantity)})

    def get(self, site: str, quantity: str, material: str | None = None):
        """``(value, low, high)`` of one series; ``material=None`` sums every material
        (the band of a sum is approximated by the sum of the bands). None when absent."""
        if material is not None:
            return self.data.get((site, material, quantity))
        parts = [self.data[key] for key in self._keys(site, quantity)]
        if not parts:
            return None
        return tuple(np.sum([p[i] for p in parts], axis=0) for i in range(3))

    def last(self, site: str, quantity: str, material: str | None = None) -> float:
        """Value on the last day (0 when absent)."""
        got = self.get(site, quantity, material)
        return float(got[0][-1]) if got is not None and len(got[0]) else 0.0

    def total(self, site: str, quantity: str, material: str | None = None) -> float:
        """Sum of a daily flow over the horizon (0 when absent)."""
        got = self.get(site, quantity, material)
        return float(got[0].sum()) if got is not None else 0.0


@dataclass
class ResultSet:
    """Everything a report is made from.

    Attributes:
        summary: summary.json as a dict.
        flows: flows.csv rows with numbers as floats.
        series: timeseries.csv as :class:`Series`.
        scenario: scenario.resolved.yaml as plain data.
        manifest: manifest.json as a dict (may be empty).
        source_text: the original scenario file's text when known (its comments hold the
            sources of the figures), else None.
        map_layers: what the map draws under the flows (map_layers.json), or empty.
    """

    summary: dict
    flows: list[dict]
    series: Series
    scenario: dict
    manifest: dict = field(default_factory=dict)
    source_text: str | None = None
    lang: str = "en"   # language of the labels picked from ``{en: ..., fr: ...}`` mappings
    #: map_layers.json (``network.layers``): background layers and road graph, or empty
    map_layers: dict = field(default_factory=dict)
    #: the key path -> line table of ``source_text`` when the run already parsed it (saves a parse)
    source_lines: dict | None = field(default=None, repr=False, compare=False)

    # --- sites -------------------------------------------------------------------------
    @property
    def sites(self) -> dict[str, dict]:
        return self.scenario.get("sites") or {}

    def kind(self, site: str) -> str:
        return (self.sites.get(site) or {}).get("kind", "")

    def site_label(self, site: str) -> str:
        """The site's ``label`` or its id."""
        return label_text((self.sites.get(site) or {}).get("label"), self.lang, site)

    def sites_of(self, *kinds: str) -> list[str]:
        """Site ids of the given kinds, in scenario order."""
        return [sid for sid, s in self.sites.items() if s.get("kind") in kinds]

    def location(self, site: str) -> tuple[float, float] | None:
        """(lat, lon) of a site or road node."""
        if site in self.sites:
            lat, lon = self.sites[site]["location"]
            return float(lat), float(lon)
        node = (self.scenario.get("nodes") or {}).get(site)
        return (float(node[0]), float(node[1])) if node else None

    def capacity_t_per_day(self, site: str) -> float | None:
        s = self.sites.get(site) or {}
        if s.get("capacity_t_per_day"):
            return float(s["capacity_t_per_day"])
        if s.get("capacity_t_per_year"):
            return float(s["capacity_t_per_year"]) / DAYS_PER_YEAR
        return None

    def process_of(self, site: str) -> dict:
        s = self.sites.get(site) or {}
        return (self.scenario.get("processes") or {}).get(s.get("process"), {}) or {}

    # --- materials and fleets ----------------------------------------------------------
    @property
    def materials(self) -> list[str]:
        return list((self.scenario.get("materials") or {}).keys())

    def material_label(self, material: str) -> str:
        m = (self.scenario.get("materials") or {}).get(material) or {}
        return _capital(label_text(m.get("label"), self.lang, material.replace("_", " ")))

    @property
    def fleets(self) -> list[str]:
        return list((self.scenario.get("fleets") or {}).keys())

    def fleet_label(self, fleet: str) -> str:
        f = (self.scenario.get("fleets") or {}).get(fleet) or {}
        return _capital(label_text(f.get("label"), self.lang, fleet.replace("_", " ")))

    # --- run ---------------------------------------------------------------------------
    @property
    def replications(self) -> int:
        return int(self.summary.get("replications", 1))

    @property
    def horizon_days(self) -> int:
        return int(self.summary.get("horizon_days") or self.scenario.get("horizon_days") or len(self.series.days))

    @property
    def start_day_of_year(self) -> int:
        return int(self.scenario.get("start_day_of_year", 1))

    @property
    def title(self) -> str:
        """The scenario's ``label`` (else its name), with the variant's label (else its name)."""
        name = self.summary.get("scenario") or self.scenario.get("name", "")
        text = label_text(self.scenario.get("label"), self.lang, str(name))
        variant = self.summary.get("variant")
        return f"{text} [{self.variant_label}]" if variant else text

    @property
    def variant_label(self) -> str:
        variant = self.summary.get("variant")
        if not variant:
            return ""
        info = (self.scenario.get("variants") or {}).get(variant) or {}
        return label_text(info.get("label") if isinstance(info, dict) else None, self.lang, str(variant))

    @property
    def description(self) -> str:
        """The scenario's description in the report's language (``{en, fr}`` or one text)."""
        text = label_text(self.scenario.get("description") or "", self.lang, "")
        variant = (self.scenario.get("variants") or {}).get(self.summary.get("variant") or "") or {}
        more = label_text(variant.get("description") or "", self.lang, "") if isinstance(variant, dict) else ""
        return f"{text}\n\n{more}".strip() if more else text

    def flow_mass(self, origin: str | None = None, destination: str | None = None,
                  material: str | None = None) -> float:
        """Tonnes shipped, summed over the rows matching the given keys."""
        if origin is not None and destination is None and material is None:
            built_for = (id(self.flows), len(self.flows))
            if getattr(self, "_from_of", None) != built_for:   # rows by origin, in their order
                by_origin: dict[str, list[float]] = defaultdict(list)
                for r in self.flows:
                    by_origin[r["origin"]].append(r["mass_t"])
                self._from, self._from_of = by_origin, built_for
            return float(sum(self._from.get(origin, [])))
        return float(sum(r["mass_t"] for r in self.flows
                         if (origin is None or r["origin"] == origin)
                         and (destination is None or r["destination"] == destination)
                         and (material is None or r["material"] == material)))
