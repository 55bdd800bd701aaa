"""Default climate and cost factors per process type and disposal type, each with its source.

Every factor carries a central value (what a run uses), a low-high range (for sensitivity
runs), its unit, its publisher/title, URL and year, and a status:

- ``sourced``: read in the source named (second-hand copies say so in ``source``);
- ``derived``: arithmetic on sourced numbers, shown in ``note``;
- ``estimate``: an assumption, with its reasoning in ``note``; replace it with local data.

A scenario overrides any of them in its ``climate:`` and ``costs:`` blocks
(``docs/scenario-format.md``); ``docs/outputs.md`` says what the balance includes and leaves
out. Global warming potentials are IPCC AR6 GWP100: CH4 of biogenic origin 27.0, N2O 273
(IPCC 2021, AR6 WG1, Table 7.15). Money is in euros excluding VAT.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    """One default factor: central value, range, unit and where it comes from."""

    value: float
    low: float
    high: float
    unit: str
    status: str        # sourced, derived or estimate
    source: str        # publisher, title
    url: str = ""
    year: int | None = None
    note: str = ""

    @property
    def range(self) -> tuple[float, float, float]:
        return (self.low, self.value, self.high)


def F(value, low, high, unit, status, source, url="", year=None, note="") -> Factor:  # noqa: N802
    return Factor(float(value), float(low), float(high), unit, status, source, url, year, note)


IPCC_2006 = ("IPCC 2006 Guidelines for National GHG Inventories, Vol. 5 ch. 4 'Biological treatment "
             "of solid waste', Table 4.1 (wet weight basis)")
IPCC_URL = "https://www.ipcc-nggip.iges.or.jp/public/2006gl/pdf/5_Volume5/V5_4_Ch4_Bio_Treat.pdf"
ESTIMATE = "estimate (ptce_flows)"

#: process emissions, kg CO2e per tonne received, by process type
PROCESS_GHG: dict[str, Factor] = {
    "composting": F(190, 17, 380, "kg CO2e/t input", "derived", IPCC_2006, IPCC_URL, 2006,
                    "4 g CH4 (0.03-8) and 0.3 g N2O (0.06-0.6) per kg wet waste x AR6 GWP 27/273: "
                    "4x27 + 0.3x273 = 190; range from the table's ranges"),
    "anaerobic_digestion": F(22, 0, 216, "kg CO2e/t input", "derived", IPCC_2006, IPCC_URL, 2006,
                             "0.8 g CH4 (0-8) per kg wet waste x 27 = 21.6; N2O negligible (IPCC). "
                             "The high end (8 g/kg, unintended leaks) also covers open digestate "
                             "storage; INERIS/ADEME MethanEmis measured leaks < 3 % of the CH4 made"),
    "sorting": F(6, 3, 15, "kg CO2e/t input", "estimate", ESTIMATE, "", None,
                 "30-60 kWh/t of electricity at 0.053 kg CO2/kWh (French grid, arrete du 10 avril "
                 "2012) = 2-3 kg, plus 1-2 L/t of diesel for loaders at 3.1 kg CO2e/L = 3-6 kg"),
    "baling": F(2, 1, 5, "kg CO2e/t input", "estimate", ESTIMATE, "", None,
                "10-20 kWh/t for the baler (1 kg) plus forklift diesel (about 0.3 L/t, 1 kg)"),
    "shredding": F(6, 3, 10, "kg CO2e/t input", "estimate", ESTIMATE, "", None,
                   "1-3 L/t of diesel for a mobile shredder and loader at 3.1 kg CO2e/L"),
    "other": F(0, 0, 0, "kg CO2e/t input", "estimate", ESTIMATE, "", None, "no default: give it"),
}

#: energy sold per tonne received (anaerobic digestion only by default)
ENERGY_KWH_PER_T: dict[str, Factor] = {
    "anaerobic_digestion": F(650, 500, 800, "kWh (LHV) of biomethane per t input", "estimate",
                             ESTIMATE, "", None,
                             "100-130 Nm3 of biogas per t of food waste at 60 % CH4 x 9.97 kWh/Nm3 "
                             "(LHV of methane): 600-780 kWh/t; the biogas yield is a common "
                             "literature range not checked against a primary source here"),
}
#: what a kWh of biomethane avoids: the fossil natural gas it replaces
AVOIDED_KG_PER_KWH = F(0.227, 0.205, 0.244, "kg CO2e/kWh (LHV)", "estimate",
                       "Senate hearing quoting 221 g CO2e/kWh for natural gas; ADEME Base Carbone "
                       "natural gas (about 227 g, combustion + upstream, not read here)",
                       "https://archive.nossenateurs.fr/intervention/2330799", 2021,
                       "the biomethane chain's own emissions are the process term, not netted here")

#: compost and digestate nutrients, kg per t as delivered (fresh)
NUTRIENTS_KG_PER_T: dict[str, dict[str, Factor]] = {
    "composting": {
        "n": F(17.5, 6, 17.5, "kg N/t", "sourced", "ITAB (2001) Guide des matieres organiques t.2, "
               "compost of household biowaste (quoted on aujardin.org)",
               "https://www.aujardin.org/viewtopic.php?start=25&t=97819&view=print", 2001,
               "low end: green-waste compost 6-14 kg N/t fresh (J. Wiart, ADEME, 1998)"),
        "p2o5": F(10.2, 3, 10.2, "kg P2O5/t", "sourced", "ITAB (2001), as above",
                  "https://www.aujardin.org/viewtopic.php?start=25&t=97819&view=print", 2001,
                  "low end: 3 kg/t (ADAS, green compost)"),
        "k2o": F(15.8, 6, 15.8, "kg K2O/t", "sourced", "ITAB (2001), as above",
                 "https://www.aujardin.org/viewtopic.php?start=25&t=97819&view=print", 2001,
                 "low end: 6 kg/t (ADAS, green compost)"),
    },
    "anaerobic_digestion": {
        "n": F(4.5, 3, 7, "kg N/t", "estimate", ESTIMATE, "", None,
               "whole digestate of food waste, 3-7 kg N/t fresh (typical range, not checked)"),
        "p2o5": F(1.0, 0.5, 2, "kg P2O5/t", "estimate", ESTIMATE, "", None, "typical range"),
        "k2o": F(2.0, 1, 3, "kg K2O/t", "estimate", ESTIMATE, "", None, "typical range"),
    },
}
#: share of a nutrient that replaces mineral fertiliser (mineral fertiliser equivalence)
EQUIVALENCE: dict[str, Factor] = {
    "n": F(0.3, 0.1, 0.5, "-", "estimate", "Chambre d'agriculture (L'Agriculteur normand): 0-10 % of "
           "compost N available in year 1", "https://www.agriculteur-normand.com/faut-il-acheter-du-compost",
           None, "0.3: year-1 availability plus the slow release of later years (estimate); "
           "digestate uses the same (its NH4 is more available, its losses larger)"),
    "p2o5": F(0.8, 0.65, 1.0, "-", "sourced", "Chambre d'agriculture (as above): P 65-100 % available",
              "https://www.agriculteur-normand.com/faut-il-acheter-du-compost"),
    "k2o": F(1.0, 1.0, 1.0, "-", "sourced", "Chambre d'agriculture (as above): K fully available",
             "https://www.agriculteur-normand.com/faut-il-acheter-du-compost"),
}
#: manufacture of the mineral fertiliser replaced, kg CO2e per kg nutrient
FERTILISER_KG_PER_KG: dict[str, Factor] = {
    "n": F(3.6, 2.3, 6.0, "kg CO2e/kg N", "sourced", "Yara France, ammonium nitrate from BAT plants",
           "https://yara.fr/fertilisation/pur-nutriment/fertilisation-empreinte-carbone/reduire-empreinte-carbone-ammonitrates",
           None, "low: UNIFA 2.3 t CO2/t N (CO2 only); high: older plants without N2O abatement (estimate)"),
    "p2o5": F(0.8, 0.6, 1.0, "kg CO2e/kg P2O5", "estimate", "GES'TIM+ order of magnitude (from memory, "
              "not read here)", "", None, "replace with the Base Carbone 'Engrais' table"),
    "k2o": F(0.5, 0.4, 0.6, "kg CO2e/kg K2O", "estimate", "GES'TIM+ order of magnitude (from memory, "
             "not read here)", "", None, "replace with the Base Carbone 'Engrais' table"),
}


def fertiliser_credit(contents: dict[str, float], pick: int = 1) -> float:
    """kg CO2e avoided per t of product: sum of nutrient x equivalence x manufacture factor.
    ``pick`` 0, 1, 2 takes the low, central or high values of the two factor tables."""
    return sum(contents[k] * EQUIVALENCE[k].range[pick] * FERTILISER_KG_PER_KG[k].range[pick]
               for k in ("n", "p2o5", "k2o"))


def _nutrient_credit(ptype: str) -> Factor:
    table = NUTRIENTS_KG_PER_T[ptype]
    values = [fertiliser_credit({k: f.range[i] for k, f in table.items()}, i) for i in range(3)]
    return F(round(values[1], 1), round(values[0], 1), round(values[2], 1), "kg CO2e/t delivered",
             "derived", "nutrients x mineral-fertiliser equivalence x manufacture factor (tables "
             "NUTRIENTS_KG_PER_T, EQUIVALENCE, FERTILISER_KG_PER_KG)", "", None,
             "mineral fertiliser replaced only (no soil carbon storage, no peat substitution); "
             "built on the estimates of those tables where they are estimates")


#: avoided emissions per tonne of product delivered, by the type of the process making it
PRODUCT_AVOIDED: dict[str, Factor] = {
    "composting": _nutrient_credit("composting"),
    "anaerobic_digestion": _nutrient_credit("anaerobic_digestion"),
    "sorting": F(500, 200, 1500, "kg CO2e/t delivered", "estimate", ESTIMATE, "", None,
                 "recycling credit of a sorted packaging mix, mostly fibres (71 %): paper and board "
                 "0.2-0.7, plastics 1-1.5, steel about 1.5 t CO2e/t avoided vs virgin (orders of "
                 "magnitude from LCA literature, not checked here); give per-product values"),
    "baling": F(400, 150, 700, "kg CO2e/t delivered", "estimate", ESTIMATE, "", None,
                "recycled cardboard instead of virgin board, 0.15-0.7 t CO2e/t (not checked here)"),
    "shredding": F(50, 0, 650, "kg CO2e/t delivered", "estimate", ESTIMATE, "", None,
                   "chips for panels replace virgin wood (small credit); burnt for heat they replace "
                   "natural gas: 3,500 kWh/t x 0.8 x 0.227 = 635 kg (high end)"),
    "other": F(0, 0, 0, "kg CO2e/t delivered", "estimate", ESTIMATE, "", None, "no default: give it"),
}

#: emissions per tonne received at a disposal site, net of energy recovery
DISPOSAL_GHG: dict[str, Factor] = {
    "landfill": F(600, 300, 890, "kg CO2e/t", "sourced",
                  "UK DESNZ/DEFRA GHG conversion factors 2023, landfill: food and drink waste 627, "
                  "mixed food and garden 587 (as stored in public repositories)",
                  "https://www.gov.uk/government/collections/government-conversion-factors-for-company-reporting",
                  2023, "high: 887 kg/t for green waste, older ADEME Base Carbone value quoted by "
                  "Vivapolis; low: better gas capture (estimate). For inert or plastic rejects the "
                  "true figure is far lower: override it per site"),
    "incineration": F(30, -50, 374, "kg CO2e/t", "estimate", ESTIMATE, "", None,
                      "biowaste: biogenic CO2 excluded by convention, stack N2O/CH4 and auxiliary fuel "
                      "about 20-40 kg, small credit for energy recovery in France; high: 374 kg/t for "
                      "residual household waste (ADEME Base Carbone V23.9, mostly fossil carbon)"),
}

# --- costs -------------------------------------------------------------------------------
CME_2022 = ("CME/FNADE (2022) Synthese biodechets des menages: composting 41-76 EUR/t, "
            "digestion 83-162 EUR/t")
CME_URL = ("https://www.fnade.org/ressources/_pdf/publications/4263/"
           "Synthe%CC%80se-biode%CC%81chets-des-m%C3%A9nages.pdf")

#: treatment costs by process type: capital per t/year of capacity, life, operating per tonne
PROCESS_COSTS: dict[str, dict[str, Factor]] = {
    "composting": {
        "capex_eur_per_t_year": F(200, 100, 500, "EUR per t/year of capacity", "estimate", CME_2022,
                                  CME_URL, 2022, "capital + operating must land in the 41-76 EUR/t "
                                  "range: 200 EUR/(t/yr) over 15 years at 4.5 % = 18.6 EUR/t"),
        "life_years": F(15, 10, 20, "years", "estimate", ESTIMATE, "", None, "civil works and machines"),
        "eur_per_t": F(40, 25, 60, "EUR/t input", "estimate", CME_2022, CME_URL, 2022,
                       "41-76 EUR/t full cost minus capital"),
    },
    "anaerobic_digestion": {
        "capex_eur_per_t_year": F(800, 500, 1200, "EUR per t/year of capacity", "estimate", CME_2022,
                                  CME_URL, 2022, "800 EUR/(t/yr) over 20 years at 4.5 % = 61 EUR/t"),
        "life_years": F(20, 15, 25, "years", "estimate", ESTIMATE, "", None,
            "civil works 20-25 years, digesters and CHP/upgrading 15 years"),
        "eur_per_t": F(60, 40, 90, "EUR/t input", "estimate", CME_2022, CME_URL, 2022,
                       "83-162 EUR/t full cost minus capital"),
    },
    "sorting": {
        "capex_eur_per_t_year": F(400, 250, 700, "EUR per t/year of capacity", "estimate", ESTIMATE, "", None,
            "a mid-size packaging sorting centre (20-40 kt/yr) costs 10-25 M EUR, i.e. 250-700 EUR per t/yr (order of magnitude, not checked here)"),
        "life_years": F(15, 10, 20, "years", "estimate", ESTIMATE, "", None,
            "buildings 20-30 years, sorting lines 10-15 years"),
        "eur_per_t": F(130, 90, 200, "EUR/t input", "estimate", ESTIMATE, "", None,
                       "manual and mechanical packaging sorting, labour-intensive"),
    },
    "baling": {
        "capex_eur_per_t_year": F(30, 15, 60, "EUR per t/year of capacity", "estimate", ESTIMATE, "", None,
            "a baler and a covered storage area, 0.3-1 M EUR for 10-30 kt/yr (order of magnitude)"),
        "life_years": F(10, 7, 15, "years", "estimate", ESTIMATE, "", None,
            "balers last 7-15 years"),
        "eur_per_t": F(25, 15, 40, "EUR/t input", "estimate", ESTIMATE, "", None,
            "labour, electricity, wire and handling of baled cardboard (order of magnitude)"),
    },
    "shredding": {
        "capex_eur_per_t_year": F(20, 10, 40, "EUR per t/year of capacity", "estimate", ESTIMATE, "", None,
            "a mobile shredder and screen, 0.3-0.8 M EUR for 20-40 kt/yr (order of magnitude)"),
        "life_years": F(10, 7, 15, "years", "estimate", ESTIMATE, "", None,
            "shredders last 7-15 years of heavy use"),
        "eur_per_t": F(20, 12, 30, "EUR/t input", "estimate", ESTIMATE, "", None,
            "fuel, wear parts and operator of a mobile shredder, 12-30 EUR/t (order of magnitude)"),
    },
    "other": {
        "capex_eur_per_t_year": F(0, 0, 0, "EUR per t/year of capacity", "estimate", ESTIMATE, "", None,
            "no default: give it"),
        "life_years": F(15, 15, 15, "years", "estimate", ESTIMATE, "", None,
            "no default: give it"),
        "eur_per_t": F(0, 0, 0, "EUR/t input", "estimate", ESTIMATE, "", None, "no default: give it"),
    },
}
HAUTES_ALPES = ("Plan departemental de prevention et de gestion des dechets des Hautes-Alpes, 'Quais de "
                "transfert: equipements preconises' (excerpt): transfer 3-8 EUR/t, plus about 5 EUR/t of "
                "haulage to a landfill 20 km away; a station costs 139-295 k EUR")
HAUTES_ALPES_URL = ("https://123dok.net/article/quais-de-transfert-%C3%A9quipements-pr%C3%A9conis%C3%A9s."
                    "qo5lv180")
#: a transfer station's costs (its haulage is the trucks' EUR/km and EUR/h)
TRANSFER_COSTS: dict[str, Factor] = {
    "capex_eur": F(217_000, 139_000, 295_000, "EUR", "sourced", HAUTES_ALPES, HAUTES_ALPES_URL, None,
                   "central value: the middle of the plan's 139-295 k EUR per station"),
    "life_years": F(20, 15, 30, "years", "estimate", ESTIMATE, "", None, "civil works (platform, dock, push walls)"),
    "eur_per_t": F(3, 3, 8, "EUR/t transferred", "derived", HAUTES_ALPES, HAUTES_ALPES_URL, None,
                   "the plan's 3-8 EUR/t includes the station's capital, counted here apart: the low "
                   "end is taken for running it (staff, loader, energy)"),
}

#: price of energy sold (biomethane injected)
ENERGY_EUR_PER_KWH = F(0.10, 0.07, 0.12, "EUR/kWh", "estimate", ESTIMATE, "", None,
                       "order of the French biomethane feed-in tariffs (arrete of 23 November 2020), "
                       "not read here")

#: price paid for a tonne of product delivered, by the type of the process making it
PRODUCT_PRICE: dict[str, Factor] = {
    "composting": F(10, 5, 50, "EUR/t", "sourced", "Compost Plus (T. Colin) in La Gazette des communes: "
                    "10-15 EUR/t on average, 5 (Lorient) to 40-50 (Centre-Herault)",
                    "https://www.lagazettedescommunes.com/231194/collecte-des-biodechets-quels-debouches/",
                    2015),
    "anaerobic_digestion": F(0, 0, 5, "EUR/t", "sourced", "Enerbioflex: digestate is usually given free",
                             "https://enerbioflex.fr/valoriser-au-mieux-ses-apports-de-digestat/", 2022),
    "sorting": F(80, 0, 200, "EUR/t", "estimate", ESTIMATE, "", None,
                 "average resale price of sorted fibres, plastics and metals; very volatile"),
    "baling": F(60, 20, 150, "EUR/t", "estimate", ESTIMATE, "", None, "brown cardboard bales, volatile"),
    "shredding": F(30, 10, 60, "EUR/t", "estimate", ESTIMATE, "", None, "wood chips"),
    "other": F(0, 0, 0, "EUR/t", "estimate", ESTIMATE, "", None,
            "no default: give it"),
}

#: gate fee excluding the TGAP tax, by disposal type
GATE_FEE: dict[str, Factor] = {
    "landfill": F(65, 55, 95, "EUR/t excl. TGAP", "derived",
                  "ADEME Referentiel des couts 2022: median net cost of landfill 122 EUR/t incl. TGAP "
                  "(via Annales des Mines 2026), minus the 2022 TGAP of 58",
                  "https://www.ademe.fr/", 2022,
                  "high: FNADE 2023 expects 160 EUR/t incl. 65 TGAP in 2025"),
    "incineration": F(85, 75, 130, "EUR/t excl. TGAP", "derived",
                      "ADEME Referentiel des couts 2022: median 106 EUR/t incl. TGAP (via Annales des "
                      "Mines 2026), minus the 2022 TGAP of 22; AMORCE DT139: 76 (public) to 133 "
                      "(private clients) EUR/t in 2021", "https://amorce.asso.fr/", 2022,
                      "106 - 22 = 84, rounded to 85; high: private clients (AMORCE)"),
}

TGAP_SOURCE = ("Code des douanes art. 266 nonies (2021-2025, BOFiP BOI-BAREME-000039) and, from 2026, "
               "Code des impositions sur les biens et services art. L. 433-57 and L. 433-86 (loi "
               "n. 2026-103 de finances pour 2026, art. 81); read through a public summary of the "
               "BOFiP tables")
TGAP_URL = "https://bofip.impots.gouv.fr/bofip/12765-PGP.html/identifiant=BOI-BAREME-000039-20250723"
#: TGAP in EUR/t by disposal type and year: (nominal rate, lowest reduced rate)
TGAP_EUR_PER_T: dict[str, dict[int, tuple[float, float]]] = {
    # non-hazardous landfill: 'other authorised installations'; lowest: biogas recovery / bioreactor
    "landfill": {2021: (54, 30), 2022: (58, 40), 2023: (61, 51), 2024: (63, 58), 2025: (65, 65),
                 2026: (69, 69), 2027: (73, 73), 2028: (77, 77), 2029: (81, 81), 2030: (85, 85)},
    # thermal treatment: 'other authorised' (< 65 % energy performance from 2026); lowest: plants
    # with ISO 50001, low NOx and energy efficiency >= 0.65 (65-100 % performance from 2026)
    "incineration": {2021: (20, 8), 2022: (22, 11), 2023: (23, 12), 2024: (24, 14), 2025: (25, 15),
                     2026: (29, 16), 2027: (33, 17), 2028: (37, 18), 2029: (41, 19), 2030: (45, 20)},
}


def tgap(dtype: str, year: int) -> Factor:
    """The TGAP of ``year`` (years after 2030 use 2030: indexation on inflation not included)."""
    rates = TGAP_EUR_PER_T[dtype]
    nominal, lowest = rates[min(max(year, min(rates)), max(rates))]
    return F(nominal, lowest, nominal, "EUR/t", "sourced", TGAP_SOURCE, TGAP_URL, year,
             "nominal rate; the low end is the lowest reduced rate of that year")


#: transport costs per vehicle-km and per vehicle hour (per crew member: times the fleet's crew)
FLEET_EUR_PER_KM = F(1.0, 0.7, 1.5, "EUR/km", "estimate", ESTIMATE, "", None,
                     "fuel 0.3-0.45 L/km (arrete du 10 avril 2012, annexe II) x about 1.5 EUR/L, plus "
                     "tyres, maintenance and depreciation of a heavy truck")
FLEET_EUR_PER_H = F(40, 30, 55, "EUR/h per crew member", "estimate", ESTIMATE, "", None,
                    "a heavy-goods driver's wage with employer charges and overheads")
#: real discount rate of public investment
DISCOUNT_RATE = F(0.045, 0.025, 0.08, "-", "sourced",
                  "Commissariat general a la strategie et a la prospective, 'L'evaluation socioeconomique "
                  "des investissements publics' (rapport Quinet): 2.5 % risk-free + 2 % risk premium",
                  "https://www.strategie.gouv.fr/", 2013)
