"""Write the minimal loop's sites as tables (CSV, XLSX, GeoJSON), its distances as an OD table
and its roads as a GraphML file, the fixtures of tests/test_data_in.py.

Run from the repository root: python tests/data/make_minimal_tables.py
The figures are those of scenarios/minimal_loop.yaml.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent
COLUMNS = ["id", "kind", "lat", "lon", "supply.biowaste.t_per_day", "process", "capacity_t_per_day",
           "storage_t", "demand.compost.t_per_year", "demand.compost.windows", "type", "accepts"]
ROWS = [
    ["town", "source", 43.6045, 1.4442, 10, None, None, None, None, None, None, None],
    ["platform", "treatment", 43.45, 1.83, None, "composting", 12, 2000, None, None, None, None],
    ["farm", "farm", 43.42, 1.91, None, None, None, None, 900, "[[60, 120], [240, 300]]", None, None],
    ["landfill", "disposal", 43.65, 1.3, None, None, None, None, None, None, "landfill", "[biowaste]"],
]
ROADS = [("town", "platform", 35), ("platform", "farm", 12), ("town", "landfill", 20)]


def cell(v):
    return "" if v is None else str(v)


def main() -> None:
    # French Excel: ';' between cells and a byte-order mark
    lines = [";".join(COLUMNS)] + [";".join(cell(v) for v in r) for r in ROWS]
    (HERE / "minimal_sites.csv").write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "sites"
    sheet.append(COLUMNS)
    for r in ROWS:
        sheet.append(r)
    book.save(HERE / "minimal_sites.xlsx")

    feats = []
    for r in ROWS:
        props = {c: v for c, v in zip(COLUMNS, r, strict=True) if v is not None and c not in ("lat", "lon")}
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r[3], r[2]]},
                      "properties": props})
    (HERE / "minimal_sites.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                                                           indent=1) + "\n")

    # every pair the roads give, both ways written once (directed: false)
    import itertools

    import networkx as nx

    g = nx.Graph()
    g.add_weighted_edges_from(ROADS)
    km = dict(nx.all_pairs_dijkstra_path_length(g))
    od = ["origin,destination,km"]
    for a, b in itertools.combinations([r[0] for r in ROWS], 2):
        od.append(f"{a},{b},{km[a][b]:g}")
    (HERE / "minimal_od.csv").write_text("\n".join(od) + "\n")

    # osmnx.save_graphml's layout: a MultiDiGraph, node x = lon, y = lat, edge length in metres,
    # one edge each way; nodes at the sites so that snapping adds nothing
    mg = nx.MultiDiGraph(crs="epsg:4326")
    where = {r[0]: (r[2], r[3]) for r in ROWS}
    osmid = {sid: 1000 + i for i, sid in enumerate(where)}
    for sid, (lat, lon) in where.items():
        mg.add_node(osmid[sid], x=lon, y=lat, street_count=2)
    for a, b, d in ROADS:
        for u, v in ((a, b), (b, a)):
            mg.add_edge(osmid[u], osmid[v], osmid=77, length=d * 1000.0, oneway=False, highway="tertiary")
    # osmnx.save_graphml writes every attribute as a string
    for _n, data in mg.nodes(data=True):
        data.update({k: str(v) for k, v in data.items()})
    for _u, _v, data in mg.edges(data=True):
        data.update({k: str(v) for k, v in data.items()})
    nx.write_graphml(mg, HERE / "minimal_roads.graphml")


if __name__ == "__main__":
    main()
