"""The benchmark cases, each measured in a fresh process (``python -m ptce_flows.bench.cases``).

A case is a JSON object ``{"case": NAME, ...parameters}``; the process prints one JSON line
with the figures. A fresh process per case gives each case its own peak memory
(``ru_maxrss``: the high-water mark of the resident set, i.e. what the machine really had to
provide, including the interpreter and libraries; ``rss_base_mb`` is that mark after imports,
before the case) and keeps one case's garbage from slowing the next.

Timings use ``time.perf_counter``; the simulation is repeated ``repeat`` times in the same
process on the same compiled world and the best and median times are reported (the best is
the least disturbed by other work on the machine). Every repeat must give the same records.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import numpy as np


def _rss_mb() -> float:
    """Peak resident set of this process so far, MB (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _times(values: list[float]) -> dict:
    return {"best": min(values), "median": statistics.median(values), "all": values}


def processed_events(env) -> int:
    """Events SimPy has processed: ids handed out minus those still waiting in the queue."""
    return next(env._eid) - len(env._queue)


# ----------------------------------------------------------------------------- bare SimPy

def case_simpy(events: int = 1_000_000, processes: int = 1, repeat: int = 3) -> dict:
    """Events per second of bare SimPy: ``processes`` processes doing ``yield timeout(d)``.

    With one process, ``d = 1`` and the event queue never holds more than one event: the
    fastest SimPy can go. With many, process ``i`` waits ``1 + (i mod 97) / 97`` so that the
    queue holds ``processes`` events at different times, as a model's queue does.
    """
    import simpy

    def ticker(env, delay):
        while True:
            yield env.timeout(delay)

    delays = [1 + (i % 97) / 97 if processes > 1 else 1 for i in range(processes)]
    per_day = sum(1 / d for d in delays)          # events per unit of simulated time
    runs = []
    counted = 0
    for _ in range(repeat):
        env = simpy.Environment()
        for delay in delays:
            env.process(ticker(env, delay))
        until = max(1, round(events / per_day))
        started = time.perf_counter()
        env.run(until=until)
        runs.append(time.perf_counter() - started)
        counted = processed_events(env)
    t = _times(runs)
    return {"events": counted, "processes": processes, "simulate_s": t,
            "events_per_s": counted / t["best"], "peak_rss_mb": _rss_mb(), "simpy": simpy.__version__}


# ----------------------------------------------------------------------------- the model

def case_model(n_sources: int = 1000, n_treatment: int = 5, n_farms: int = 200, n_trucks: int = 50,
               years: float = 1, seed: int = 0, repeat: int = 3, check_events: bool = False) -> dict:
    """A generated territory through the four phases: load/validate, build_world, simulate,
    summarise."""
    from ptce_flows.bench.territory import territory_yaml
    from ptce_flows.metrics.kpis import summarise
    from ptce_flows.scenario import load_scenario
    from ptce_flows.sim.model import simulate
    from ptce_flows.sim.world import build_world

    rss_base = _rss_mb()
    text = territory_yaml(n_sources, n_treatment, n_farms, n_trucks, seed=seed, years=years)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "territory.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        t0 = time.perf_counter()
        loaded = load_scenario(path)
        t1 = time.perf_counter()
    world = build_world(loaded)
    t2 = time.perf_counter()
    sims, first, rec = [], None, None
    for _ in range(repeat):
        seed_seq = np.random.SeedSequence(seed).spawn(1)[0]
        rec = None  # free the previous repeat's records: the peak memory is that of one run
        started = time.perf_counter()
        rec = simulate(world, seed_seq)
        sims.append(time.perf_counter() - started)
        digest = (rec.events, hashlib.sha256(rec.levels.tobytes() + rec.shipments["mass_t"].tobytes()).hexdigest())
        if first is None:
            first = digest
        elif digest != first:
            raise RuntimeError("two runs with the same seed differ")
    t3 = time.perf_counter()
    summary = summarise(world, rec)
    t4 = time.perf_counter()
    sim = _times(sims)
    k = summary.kpis
    collect = summary.by_fleet.get("collection", {})
    out = {
        "n_sources": n_sources, "n_treatment": n_treatment, "n_farms": n_farms, "n_trucks": n_trucks,
        "years": years, "days": world.horizon_days, "yaml_mb": len(text.encode()) / 1e6,
        "supply_entries": int(len(world.supply)),
        "load_s": t1 - t0, "build_world_s": t2 - t1, "simulate_s": sim, "summarise_s": t4 - t3,
        "events": int(rec.events), "events_per_s": rec.events / sim["best"],
        "trips": int(k["trips"]), "mass_balance_error_t": k["mass_balance_error_t"],
        "diversion_rate": k["diversion_rate"],
        "collection_fleet_use": collect.get("driver_hours", 0.0) / max(
            1e-9, world.fleets[0].vehicles * world.fleets[0].shift_h * world.horizon_days),
        "rss_base_mb": rss_base, "peak_rss_mb": _rss_mb(),
    }
    if check_events:
        out["events_check"] = _count_events(world, seed_seq, rec.events)
    return out


def _count_events(world, seed_seq, reported: int) -> dict:
    """Run again with an environment that counts every ``step()``; compare with ``reported``.
    Also measures the mean length of SimPy's event queue (for a like-for-like bare SimPy)."""
    from ptce_flows.sim import model
    from ptce_flows.sim.clock import Clock

    class Counting(Clock):
        steps = 0
        queued = 0

        def step(self):
            Counting.steps += 1
            Counting.queued += len(self._queue)
            return super().step()

    original = model.Clock
    model.Clock = Counting
    try:
        model.simulate(world, seed_seq)
    finally:
        model.Clock = original
    return {"reported": reported, "counted_steps": Counting.steps, "ok": reported == Counting.steps,
            "mean_queue": Counting.queued / max(1, Counting.steps)}


# ----------------------------------------------------------------------------- the network

def case_network(n_nodes: int = 100_000, n_origins: int = 1000, n_destinations: int = 1206,
                 seed: int = 0, networkx_origins: int = 0) -> dict:
    """Road network of ``n_nodes`` junctions: build it (as a scenario's nodes and roads would
    be), then the distance matrix from ``n_origins`` places to ``n_destinations`` places with
    ``scipy.sparse.csgraph``; optionally time networkx single-source Dijkstra on a few origins."""
    import scipy.sparse.csgraph  # noqa: F401  (imported lazily by the network: not timed here)

    from ptce_flows.bench.roadgraph import road_graph, road_places
    from ptce_flows.network import RoadNetwork

    rss_base = _rss_mb()
    proto = road_graph(n_nodes, seed)
    places, roads = road_places(proto)
    del proto
    t0 = time.perf_counter()
    net = RoadNetwork.from_places(places, roads)
    t1 = time.perf_counter()
    net.csr()
    t2 = time.perf_counter()
    rng = np.random.default_rng(seed)
    picks = rng.choice(net.n_nodes, size=max(n_origins, n_destinations), replace=False)
    origins, destinations = picks[:n_origins], picks[:n_destinations]
    dist = net.distances_km(origins, destinations)
    t3 = time.perf_counter()
    out = {
        "n_nodes": net.n_nodes, "n_edges": int(len(net.edge_km)), "n_origins": n_origins,
        "n_destinations": n_destinations, "from_places_s": t1 - t0, "csr_s": t2 - t1,
        "matrix_s": t3 - t2, "total_s": t3 - t0,
        "reachable_share": float(np.isfinite(net.road_km(origins[:10], destinations)).mean()),
        "mean_km": float(dist[np.isfinite(dist)].mean()),
        "rss_base_mb": rss_base, "peak_rss_mb": _rss_mb(),
    }
    if networkx_origins:
        out["networkx"] = _networkx(net, origins[:networkx_origins], destinations, dist)
    return out


def _networkx(net, origins, destinations, reference: np.ndarray) -> dict:
    """Loop networkx single-source Dijkstra over ``origins``; same answers as csgraph?"""
    import networkx as nx

    g = net.graph()
    ids = net.node_ids
    t0 = time.perf_counter()
    rows = []
    for o in origins:
        lengths = nx.single_source_dijkstra_path_length(g, ids[o], weight="km")
        rows.append([lengths.get(ids[d], np.inf) for d in destinations])
    t1 = time.perf_counter()
    nx_matrix = np.array(rows)
    t2 = time.perf_counter()
    cs = net.road_km(origins, destinations)
    t3 = time.perf_counter()
    same = bool(np.allclose(nx_matrix, reference[: len(origins)], rtol=1e-9, atol=1e-9, equal_nan=True))
    return {"origins": len(origins), "networkx_s": t1 - t0, "csgraph_s": t3 - t2,
            "speedup": (t1 - t0) / max(t3 - t2, 1e-9), "same_distances": same and bool(
                np.allclose(cs, nx_matrix, rtol=1e-9, atol=1e-9))}


# ----------------------------------------------------------------------------- replications

def case_replications(n_sources: int = 1000, replications: int = 8, seed: int = 0, repeat: int = 2) -> dict:
    """Wall time of ``replications`` replications with 1 and with 2 worker processes (the two
    alternate ``repeat`` times and the best of each is kept, so that a burst of other work on
    the machine does not land on one side only)."""
    from ptce_flows.bench.territory import territory
    from ptce_flows.experiment import run_scenario
    from ptce_flows.scenario import load_dict
    from ptce_flows.sim.world import build_world

    loaded = load_dict(territory(n_sources, seed=seed))
    world = build_world(loaded)
    out = {"n_sources": n_sources, "replications": replications, "cpus": os.cpu_count()}
    kpis, times = {}, {1: [], 2: []}
    for _ in range(repeat):
        for jobs in (1, 2):
            started = time.perf_counter()
            result = run_scenario(loaded, seed=seed, replications=replications, jobs=jobs, world=world)
            times[jobs].append(time.perf_counter() - started)
            kpis[jobs] = [r.kpis["diverted_t"] for r in result.runs]
    out["jobs1_s"], out["jobs2_s"] = min(times[1]), min(times[2])
    out["speedup"] = out["jobs1_s"] / out["jobs2_s"]
    out["same_results"] = kpis[1] == kpis[2]
    out["peak_rss_mb"] = _rss_mb()
    return out


CASES = {"simpy": case_simpy, "model": case_model, "network": case_network,
         "replications": case_replications}


def main(argv: list[str] | None = None) -> int:
    spec = json.loads((argv or sys.argv[1:])[0])
    name = spec.pop("case")
    load = os.getloadavg()[0]
    result = CASES[name](**spec)
    result["load_avg_1min"] = [load, os.getloadavg()[0]]  # other work on the machine, before/after
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
