"""Tables derived from a :class:`~ptce_flows.results.resultset.ResultSet` for figures and reports.

Pure functions, no matplotlib: the KPI rows of the summary table, the nodes and links of the
Sankey diagram (a mass balance of every treatment site), job and transport rows, and the
spreading windows that concern a treatment site. The report writers use the same rows for
their HTML and PDF tables, so a figure and its table never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ptce_flows.i18n import activity_label, fmt_number, fmt_pct, fmt_qty, tr
from ptce_flows.results.resultset import ResultSet
from ptce_flows.units import DAYS_PER_YEAR, day_of_year

#: KPIs of the summary table, in order, with their unit and decimals (None = automatic)
KPI_TABLE: list[tuple[str, str, int | None]] = [
    ("generated_t", "t", 0),
    ("residual_t", "t", 0),
    ("collected_t", "t", 0),
    ("transferred_t", "t", 0),
    ("diverted_t", "t", 0),
    ("chained_t", "t", 0),
    ("disposed_t", "t", 0),
    ("disposal_refused_t", "t", 0),
    ("diversion_rate", "%", 1),
    ("produced_t", "t", 0),
    ("delivered_t", "t", 0),
    ("process_losses_t", "t", 0),
    ("residues_disposed_t", "t", 0),
    ("unmet_demand_t", "t", 0),
    ("stock_end_t", "t", 0),
    ("trips", "", 0),
    ("vehicle_km", "km", 0),
    ("round_km", "km", 0),
    ("tonne_km", "t.km", 0),
    ("co2_t", "t CO2e", 1),
    ("jobs_fte", "FTE", 1),
    ("insertion_fte", "FTE", 1),
]


#: rows of the KPI table shown only when not zero (features a scenario may not use)
OPTIONAL_KPIS = frozenset(("residual_t", "transferred_t", "chained_t", "disposal_refused_t", "round_km"))


@dataclass(frozen=True)
class KpiRow:
    key: str
    label: str
    value: str
    interval: str      # "" without replications
    indent: bool = False


def kpi_rows(results: ResultSet, lang: str = "en") -> list[KpiRow]:
    """The KPI table: label, formatted mean and, with replications, the 95 % interval."""
    kpis = results.summary.get("kpis", {})
    unc = results.summary.get("uncertainty", {})
    rows = []
    for key, unit, decimals in KPI_TABLE:
        if key not in kpis or (key in OPTIONAL_KPIS and not kpis[key]):
            continue
        value = fmt_qty(kpis[key], unit, lang, decimals)
        interval = ""
        if key in unc:
            low, high = unc[key]["ci95"]
            if unit == "%":
                interval = f"{fmt_pct(low, lang, decimals)} – {fmt_pct(high, lang, decimals)}"
            else:
                interval = f"{fmt_number(low, lang, decimals)} – {fmt_qty(high, unit, lang, decimals)}"
        rows.append(KpiRow(key, tr(f"kpi.{key}", lang), value, interval, key in ("insertion_fte", "round_km")))
        if key == "stock_end_t" and results.summary.get("start_stock_t"):
            start = sum(results.summary["start_stock_t"].values())
            rows.insert(len(rows) - 1, KpiRow("stock_start_t", tr("kpi.stock_start_t", lang),
                                              fmt_qty(start, unit, lang, decimals), "", False))
    return rows


# --- Sankey -----------------------------------------------------------------------------

@dataclass
class SankeyNode:
    id: str
    label: str
    #: 0 sources, 1 treatment, 2 products/losses, 3 destinations; with transfer stations,
    #: 1 transfers and the others one to the right
    column: int
    kind: str            # site kind, or "loss", "stock" for terminal nodes
    order: float = 0.0   # position hint inside the column (smaller = higher)


@dataclass
class SankeyLink:
    source: str
    target: str
    value: float         # t
    material: str        # material id, or "" for losses and stocks


@dataclass
class SankeyGraph:
    nodes: dict[str, SankeyNode] = field(default_factory=dict)
    links: list[SankeyLink] = field(default_factory=list)

    def node_value(self, nid: str) -> float:
        inflow = sum(link.value for link in self.links if link.target == nid)
        outflow = sum(link.value for link in self.links if link.source == nid)
        return max(inflow, outflow)

    def add(self, source: str, target: str, value: float, material: str) -> None:
        if value > 0:
            self.links.append(SankeyLink(source, target, float(value), material))


def _merge_small(graph: SankeyGraph, column: int, keep: int, label_key: str, lang: str) -> None:
    """Merge the smallest nodes of ``column`` into one node when there are more than ``keep``."""
    ids = [n.id for n in graph.nodes.values() if n.column == column and n.kind not in ("loss", "stock")]
    if len(ids) <= keep:
        return
    ids.sort(key=lambda nid: -graph.node_value(nid))
    small = set(ids[keep - 1:])
    kind = graph.nodes[ids[-1]].kind
    other = f"_other_{column}"
    graph.nodes[other] = SankeyNode(other, tr(label_key, lang, n=len(small)), column, kind, order=1e6)
    merged: dict[tuple[str, str, str], float] = {}
    for link in graph.links:
        s = other if link.source in small else link.source
        t = other if link.target in small else link.target
        merged[(s, t, link.material)] = merged.get((s, t, link.material), 0.0) + link.value
    graph.links = [SankeyLink(s, t, v, m) for (s, t, m), v in merged.items()]
    for nid in small:
        del graph.nodes[nid]


def _site_nodes(g: SankeyGraph, results: ResultSet, c_treat: int, c_dest: int) -> None:
    """One node per site: sources, transfer stations, treatment sites, destinations."""
    for column, kind in ((0, "source"), (1, "transfer"), (c_treat, "treatment")):
        for i, sid in enumerate(results.sites_of(kind)):
            g.nodes[sid] = SankeyNode(sid, results.site_label(sid), column, kind, i)
    dest_kinds = {"farm": 0, "outlet": 1, "disposal": 2}
    for sid in results.sites_of("farm", "outlet", "disposal"):
        g.nodes[sid] = SankeyNode(sid, results.site_label(sid), c_dest, results.kind(sid),
                                  100 * dest_kinds[results.kind(sid)])


def _transfer_links(g: SankeyGraph, results: ResultSet, transfers: list[str], at_transfer: str) -> None:
    """Transfer stations forward to treatment (or, when full, disposal); what waits at the end."""
    for r in results.flows:
        if r["origin"] in transfers:
            g.add(r["origin"], r["destination"], r["mass_t"], r["material"])
    for k in transfers:
        for m in results.series.materials(k, "transfer_stock"):
            g.add(k, at_transfer, results.series.last(k, "transfer_stock", m), m)


def sankey_graph(results: ResultSet, lang: str = "en", max_per_column: int = 9,
                 min_share: float = 0.001) -> SankeyGraph:
    """Nodes and links of the material-flow Sankey, in tonnes over the horizon.

    Columns: 0 sources; 1 treatment sites (and waste not yet collected at the end);
    2 products and residues by material, process losses, material in process at the end;
    3 farms, outlets, disposal sites and products in store at the end. Waste that no
    treatment site could take goes from column 0 straight to its disposal site.

    Each treatment site balances: what arrived = outputs (matured input x coefficient) +
    losses (matured input x (1 - sum of coefficients)) + what is in process or on the road at
    the end. After a warm-up, what was in process or in store when the reported period opened
    enters from a "stocks at start" node in column 0, and a source's links (shipped + waiting
    at the end) include what was already waiting at it at the start. Columns with more than ``max_per_column`` sites keep the largest and merge the
    rest; links below ``min_share`` of the total are dropped (invisible at any print size).
    """
    g = SankeyGraph()
    sources = results.sites_of("source")
    treatments = results.sites_of("treatment")
    transfers = results.sites_of("transfer")
    flows = results.flows
    # with transfer stations, they take column 1 and the later columns move right by one
    c_treat = 2 if transfers else 1
    c_prod, c_dest = c_treat + 1, c_treat + 2
    _site_nodes(g, results, c_treat, c_dest)
    # sources -> treatment / disposal
    for r in flows:
        if r["origin"] in sources:
            g.add(r["origin"], r["destination"], r["mass_t"], r["material"])
    not_collected, at_transfer = "_not_collected", "_at_transfer"
    _transfer_links(g, results, transfers, at_transfer)
    for s in sources:
        for m in results.series.materials(s, "source_stock"):
            g.add(s, not_collected, results.series.last(s, "source_stock", m), m)
    # treatment balances; with a warm-up, what was in process or in store when the reported
    # period opened enters from a "stocks at start" node, so that every site still balances
    start = results.summary.get("start_stock_by_site_t") or {}
    losses, in_process, at_start = "_losses", "_in_process", "_at_start"
    for t in treatments:
        proc = results.process_of(t)
        coefs = {m: float(c) for m, c in (proc.get("outputs") or {}).items()}
        inflow = sum(r["mass_t"] for r in flows if r["destination"] == t)
        intake = results.series.total(t, "intake")
        pending = results.series.last(t, "in_process")
        pending_start = float(((start.get("in_process") or {}).get(t) or {}).get("all", 0.0))
        transit = inflow - intake  # on the road at the end, less on the road at the start
        g.add(at_start, t, pending_start + max(0.0, -transit), "")
        matured = max(0.0, intake + pending_start - pending)
        for m, c in coefs.items():
            g.add(t, f"_mat_{m}", matured * c, m)
        g.add(t, losses, matured * max(0.0, 1.0 - sum(coefs.values())), "")
        g.add(t, in_process, pending + max(0.0, transit), "")
    # products -> destinations, and products in store (at the end; at the start with a warm-up)
    stored, chained = "_stored", "_chained"
    for r in flows:  # a product another treatment site takes on (a chain) ends in "treated again"
        if r["origin"] in treatments:
            target = chained if r["destination"] in treatments else r["destination"]
            g.add(f"_mat_{r['material']}", target, r["mass_t"], r["material"])
    for t in treatments:
        for m in results.series.materials(t, "stored"):
            g.add(f"_mat_{m}", stored, results.series.last(t, "stored", m), m)
        for m, value in ((start.get("stored") or {}).get(t) or {}).items():
            g.add(at_start, f"_mat_{m}", float(value), m)
    for i, m in enumerate(results.materials):
        g.nodes[f"_mat_{m}"] = SankeyNode(f"_mat_{m}", results.material_label(m), c_prod, "material", i)
    for nid, key, column, kind, order in (
            (not_collected, "not_collected", 1, "stock", 1e7), (at_transfer, "at_transfer", c_treat, "stock", 1e7),
            (losses, "losses", c_prod, "loss", 1e7), (in_process, "in_process", c_prod, "stock", 1e7 + 1),
            (stored, "stored", c_dest, "stock", 1e7), (chained, "chained", c_dest, "stock", 1e7 + 1),
            (at_start, "at_start", 0, "stock", 1e7)):
        g.nodes[nid] = SankeyNode(nid, tr(f"sankey.{key}", lang), column, kind, order)
    total = sum(link.value for link in g.links if g.nodes.get(link.source) and g.nodes[link.source].column == 0)
    g.links = [link for link in g.links if link.value >= min_share * max(total, 1e-9)]
    used = {link.source for link in g.links} | {link.target for link in g.links}
    g.nodes = {nid: n for nid, n in g.nodes.items() if nid in used}
    _merge_small(g, 0, max_per_column, "sankey.other_sources", lang)
    _merge_small(g, c_dest, max_per_column, "sankey.other_sites", lang)
    return g


# --- jobs and transport -------------------------------------------------------------------

@dataclass(frozen=True)
class JobRow:
    key: str
    label: str
    fte: float
    insertion_fte: float


def jobs_by_site(results: ResultSet) -> list[JobRow]:
    """Jobs at each site, then in each fleet (labelled by fleet), largest first in each group."""
    jobs = results.summary.get("jobs", {})
    sites = [JobRow(k, results.site_label(k), v["fte"], v["insertion_fte"])
             for k, v in (jobs.get("by_site") or {}).items()]
    fleets = [JobRow(k, results.fleet_label(k), v["fte"], v["insertion_fte"])
              for k, v in (jobs.get("by_fleet") or {}).items()]
    return (sorted(sites, key=lambda r: -r.fte) + sorted(fleets, key=lambda r: -r.fte))


def jobs_by_activity(results: ResultSet, lang: str = "en") -> list[JobRow]:
    jobs = results.summary.get("jobs", {})
    rows = [JobRow(k, activity_label(k, lang), v["fte"], v["insertion_fte"])
            for k, v in (jobs.get("by_activity") or {}).items()]
    return sorted(rows, key=lambda r: -r.fte)


TRANSPORT_METRICS = ("tonne_km", "vehicle_km", "co2_t")


def transport_rows(results: ResultSet) -> list[tuple[str, str, dict[str, float]]]:
    """(fleet id, label, metrics) for each fleet that made at least one trip."""
    by_fleet = results.summary.get("by_fleet") or {}
    return [(f, results.fleet_label(f), m) for f, m in by_fleet.items() if m.get("trips", 0) > 0]


# --- windows ------------------------------------------------------------------------------

def demand_window_mask(results: ResultSet, sites: list[str], materials: list[str]) -> np.ndarray | None:
    """(365,) bool over day-of-year (index doy-1): True inside a window of any limited demand
    of ``sites`` for ``materials``. None when no such demand has windows."""
    mask = np.zeros(DAYS_PER_YEAR, dtype=bool)
    found = False
    for sid in sites:
        demand = (results.sites.get(sid) or {}).get("demand") or {}
        for m, d in demand.items():
            if m not in materials or not d or not d.get("windows"):
                continue
            found = True
            for start, end in d["windows"]:
                if start <= end:
                    mask[start - 1:end] = True
                else:
                    mask[start - 1:] = True
                    mask[:end] = True
    return mask if found and not mask.all() else None


def window_spans(results: ResultSet, treatment: str) -> list[tuple[int, int]]:
    """Simulation-day spans ``[first, last + 1)`` when the farms served by ``treatment`` may
    receive its products (union of their windows); empty when there are none."""
    outputs = list((results.process_of(treatment).get("outputs") or {}).keys())
    served = sorted({r["destination"] for r in results.flows
                     if r["origin"] == treatment and r["material"] in outputs})
    if not served:  # nothing delivered yet: every site that wants these products
        served = [s for s in results.sites_of("farm", "outlet")
                  if set(results.sites[s].get("demand") or {}) & set(outputs)]
    mask = demand_window_mask(results, served, outputs)
    if mask is None:
        return []
    days = results.series.days
    inside = mask[np.asarray(day_of_year(days, results.start_day_of_year)) - 1]
    spans, start = [], None
    for d, on in zip(days.tolist(), inside.tolist(), strict=True):
        if on and start is None:
            start = d
        elif not on and start is not None:
            spans.append((start, d))
            start = None
    if start is not None:
        spans.append((start, int(days[-1]) + 1))
    return spans
