"""Disposal sites during a run: what they received, waste and process residues apart."""

from __future__ import annotations

import numpy as np

from ptce_flows.sim.tables import DisposalInfo


class Disposal:
    """Cumulative t received by every disposal site, by material."""

    def __init__(self, infos: list[DisposalInfo], n_materials: int):
        self.infos = infos
        self.waste = np.zeros((len(infos), n_materials))     # waste no treatment site took
        self.residue = np.zeros((len(infos), n_materials))   # process residues (rejects)

    def levels(self) -> list[np.ndarray]:
        """End-of-day series: cumulative t received per accepted material, per site."""
        return [self.waste[d, info.accepts] + self.residue[d, info.accepts]
                for d, info in enumerate(self.infos)]
