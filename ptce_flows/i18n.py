"""Words and numbers in English and French, for figures, reports and any other output.

One table of labels per language and a number formatter that follows each language's
typography. Everything here is plain Python (no matplotlib), so every layer may use it: the
plotting functions (axis labels, tick labels, annotations), the report writers (HTML and PDF
text) and the comparison figures.

Typography:

- English: ``12,345.6 t``, ``83.0%``;
- French: ``12 345,6 t`` with a narrow no-break space (U+202F) between thousands, a decimal
  comma and a no-break space (U+00A0) before the unit, ``83,0 %`` (narrow no-break space
  before ``%``).

Negative numbers use the true minus sign (U+2212), as matplotlib does on its axes.

Typical use::

    from ptce_flows.i18n import tr, fmt_qty, fmt_number, check_lang
    lang = check_lang("fr")
    tr("axis.intake", lang)          # "Apports (t/j)"
    fmt_qty(12345.6, "t", lang)      # "12 345,6 t"
    fmt_number(0.4567, lang, 2)      # "0,46"
"""

from __future__ import annotations

import math

from ptce_flows.i18n_words import COST_UNITS, WORDS

LANGS = ("en", "fr")
NNBSP = "\u202f"   # narrow no-break space: French thousands separator, before % ; : ! ?
NBSP = "\u00a0"    # no-break space: between a number and its unit
MINUS = "\u2212"

_LABELS: dict[str, dict[str, str]] = {
    # site search (optimise): the layouts figure
    "search.existing": {"en": "Existing site", "fr": "Site existant"},
    "search.opened": {"en": "Site to build", "fr": "Site à construire"},
    "search.closed": {"en": "Candidate not built", "fr": "Candidat non retenu"},
    "search.source": {"en": "Source (size: tonnes)", "fr": "Source (taille : tonnes)"},
    "search.rank": {"en": "Rank {rank}", "fr": "Rang {rank}"},
    "search.static": {"en": "static model", "fr": "modèle statique"},
    "search.simulated": {"en": "simulated", "fr": "simulé"},
    # site kinds (singular, plural)
    "kind.source": {"en": "Source", "fr": "Source"},
    "kind.treatment": {"en": "Treatment site", "fr": "Site de traitement"},
    "kind.farm": {"en": "Farm", "fr": "Exploitation agricole"},
    "kind.outlet": {"en": "Outlet", "fr": "Débouché"},
    "kind.disposal": {"en": "Disposal", "fr": "Élimination"},
    "kinds.source": {"en": "Sources", "fr": "Sources"},
    "kinds.treatment": {"en": "Treatment sites", "fr": "Sites de traitement"},
    "kinds.farm": {"en": "Farms", "fr": "Exploitations agricoles"},
    "kinds.outlet": {"en": "Outlets", "fr": "Débouchés"},
    "kinds.disposal": {"en": "Disposal sites", "fr": "Sites d'élimination"},
    "kind.transfer": {"en": "Transfer station", "fr": "Quai de transfert"},
    "kinds.transfer": {"en": "Transfer stations", "fr": "Quais de transfert"},
    "activity.transfer": {"en": "Transfer", "fr": "Transfert"},
    # activities (jobs.by_activity keys); unknown process ids are shown as they are
    "activity.transport": {"en": "Transport", "fr": "Transport"},
    "activity.disposal": {"en": "Disposal", "fr": "Élimination"},
    "activity.composting": {"en": "Composting", "fr": "Compostage"},
    "activity.sorting": {"en": "Sorting", "fr": "Tri"},
    "activity.digestion": {"en": "Anaerobic digestion", "fr": "Méthanisation"},
    "activity.anaerobic_digestion": {"en": "Anaerobic digestion", "fr": "Méthanisation"},
    "activity.methanisation": {"en": "Anaerobic digestion", "fr": "Méthanisation"},
    "activity.shredding": {"en": "Shredding", "fr": "Broyage"},
    "activity.co_composting": {"en": "Co-composting", "fr": "Co-compostage"},
    "activity.green_composting": {"en": "Green-waste composting", "fr": "Compostage de déchets verts"},
    "activity.packaging_sorting": {"en": "Packaging sorting", "fr": "Tri des emballages"},
    "activity.cardboard_baling": {"en": "Cardboard baling", "fr": "Mise en balles du carton"},
    "activity.wood_preparation": {"en": "Wood preparation", "fr": "Préparation du bois"},
    # figure titles
    "title.map": {"en": "Territory and material flows", "fr": "Territoire et flux de matières"},
    "title.sankey": {"en": "Material flows over the horizon", "fr": "Flux de matières sur la période"},
    "title.timeseries": {"en": "Treatment sites day by day", "fr": "Sites de traitement au jour le jour"},
    "title.jobs": {"en": "Jobs", "fr": "Emplois"},
    "title.transport": {"en": "Transport by fleet", "fr": "Transport par flotte"},
    "title.kpis": {"en": "Key figures", "fr": "Chiffres clés"},
    "title.climate": {"en": "Greenhouse-gas balance", "fr": "Bilan des gaz à effet de serre"},
    "title.costs": {"en": "Cost balance", "fr": "Bilan des coûts"},
    "title.jobs_by_site": {"en": "By site and fleet", "fr": "Par site et par flotte"},
    "title.jobs_by_activity": {"en": "By activity", "fr": "Par activité"},
    # axes and legends
    "axis.fte": {"en": "Jobs (FTE per year)", "fr": "Emplois (ETP par an)"},
    "axis.intake": {"en": "Intake, processing (t/day)", "fr": "Apports, traitement (t/j)"},
    "axis.stock": {"en": "Stock (t)", "fr": "Stock (t)"},
    "axis.month": {"en": "Month", "fr": "Mois"},
    "axis.day": {"en": "Day of simulation (d)", "fr": "Jour de simulation (j)"},
    "axis.tonne_km": {"en": "Tonne-km (t·km)", "fr": "Tonnes-kilomètres (t·km)"},
    "axis.vehicle_km": {"en": "Vehicle-km (km)", "fr": "Véhicules-kilomètres (km)"},
    "axis.co2_t": {"en": "CO₂ emissions (t CO₂e)", "fr": "Émissions de CO₂ (t CO₂e)"},
    "axis.trips": {"en": "Trips", "fr": "Trajets"},
    "legend.intake": {"en": "Intake", "fr": "Apports"},
    "legend.processed": {"en": "Processed ({n}-day mean)", "fr": "Traité (moyenne sur {n} jours)"},
    "legend.capacity": {"en": "Capacity", "fr": "Capacité"},
    "legend.storage": {"en": "Storage capacity", "fr": "Capacité de stockage"},
    "legend.in_process": {"en": "In process", "fr": "En cours de traitement"},
    "legend.booked_storage": {"en": "In store or to come from batches in process",
                              "fr": "En stock ou à venir des lots en traitement"},
    "legend.stored": {"en": "In store", "fr": "En stock"},
    "legend.windows": {"en": "Spreading windows", "fr": "Périodes d'épandage"},
    "legend.band": {"en": "95 % range of {n} replications", "fr": "Plage à 95 % sur {n} réplications"},
    "legend.insertion": {"en": "Insertion jobs", "fr": "Emplois d'insertion"},
    "legend.other_jobs": {"en": "Other jobs", "fr": "Autres emplois"},
    "legend.flows": {"en": "Flows (line width ∝ tonnes)", "fr": "Flux (épaisseur ∝ tonnes)"},
    "legend.sites": {"en": "Sites", "fr": "Sites"},
    "legend.road": {"en": "Road", "fr": "Route"},
    "legend.source_size": {"en": "Sources (area ∝ t/year)", "fr": "Sources (surface ∝ t/an)"},
    "map.north": {"en": "N", "fr": "N"},
    "map.far": {"en": "{name} ({km} away)", "fr": "{name} (à {km})"},
    "map.projection": {"en": "Equirectangular projection centred on {lat}, {lon}",
                       "fr": "Projection équirectangulaire centrée sur {lat}, {lon}"},
    "fleet.total": {"en": "Total", "fr": "Total"},
    # Sankey terminal nodes
    "sankey.losses": {"en": "Process losses (water, CO₂)", "fr": "Pertes de procédé (eau, CO₂)"},
    "sankey.in_process": {"en": "In process at end", "fr": "En traitement en fin de période"},
    "sankey.stored": {"en": "In store at end", "fr": "En stock en fin de période"},
    "sankey.at_start": {"en": "In process or in store at start", "fr": "En traitement ou en stock en début de période"},
    "sankey.not_collected": {"en": "Not yet collected or in transit", "fr": "Non encore collecté ou en transit"},
    "sankey.other_sources": {"en": "{n} other sources", "fr": "{n} autres sources"},
    "sankey.other_sites": {"en": "{n} other sites", "fr": "{n} autres sites"},
    "sankey.stage.sources": {"en": "Sources", "fr": "Sources"},
    "sankey.stage.treatment": {"en": "Treatment", "fr": "Traitement"},
    "sankey.stage.transfer": {"en": "Transfer", "fr": "Transfert"},
    "sankey.at_transfer": {"en": "Waiting at transfer stations", "fr": "En attente aux quais de transfert"},
    "sankey.chained": {"en": "Treated again (chains)", "fr": "Retraité (chaînes)"},
    "sankey.stage.products": {"en": "Products and residues", "fr": "Produits et résidus"},
    "sankey.stage.destinations": {"en": "Destinations", "fr": "Destinations"},
    # KPIs
    "kpi.generated_t": {"en": "Generated", "fr": "Gisement produit"},
    "kpi.collected_t": {"en": "Collected", "fr": "Collecté"},
    "kpi.residual_t": {"en": "Residual (not sorted, to disposal)",
                       "fr": "Résiduel (non trié, vers l'élimination)"},
    "kpi.transferred_t": {"en": "Through transfer stations", "fr": "Passé par les quais de transfert"},
    "kpi.chained_t": {"en": "Products treated again (chains)", "fr": "Produits retraités (chaînes)"},
    "kpi.disposal_refused_t": {"en": "Refused by full disposal sites", "fr": "Refusé par des sites d'élimination pleins"},
    "kpi.disposal_over_capacity_t": {"en": "Disposed of beyond capacity",
                                     "fr": "Éliminé au-delà de la capacité"},
    "kpi.round_km": {"en": "of which collection rounds", "fr": "dont tournées de collecte"},
    "kpi.diverted_t": {"en": "Diverted (entered treatment)", "fr": "Valorisé (entré en traitement)"},
    "kpi.disposed_t": {"en": "Disposed of (not diverted)", "fr": "Éliminé (non valorisé)"},
    "kpi.diversion_rate": {"en": "Diversion rate", "fr": "Taux de valorisation"},
    "kpi.produced_t": {"en": "Products made", "fr": "Produits fabriqués"},
    "kpi.delivered_t": {"en": "Delivered to farms and outlets", "fr": "Livré aux exploitations et débouchés"},
    "kpi.process_losses_t": {"en": "Process losses (water, CO₂)", "fr": "Pertes de procédé (eau, CO₂)"},
    "kpi.residues_disposed_t": {"en": "Residues disposed of", "fr": "Résidus éliminés"},
    "kpi.unmet_demand_t": {"en": "Demand not met", "fr": "Demande non satisfaite"},
    "kpi.stock_end_t": {"en": "Stock at end of period", "fr": "Stock en fin de période"},
    "kpi.stock_start_t": {"en": "Stock at start of period (after warm-up)",
                          "fr": "Stock en début de période (après mise en régime)"},
    "kpi.trips": {"en": "Truck trips", "fr": "Trajets de camion"},
    "kpi.vehicle_km": {"en": "Vehicle-km", "fr": "Véhicules-km"},
    "kpi.tonne_km": {"en": "Tonne-km", "fr": "Tonnes-km"},
    "kpi.co2_t": {"en": "Transport CO₂", "fr": "CO₂ du transport"},
    "kpi.jobs_fte": {"en": "Jobs", "fr": "Emplois"},
    "kpi.insertion_fte": {"en": "of which insertion jobs", "fr": "dont emplois d'insertion"},
    "kpi.mass_balance_error_t": {"en": "Mass balance error", "fr": "Erreur de bilan massique"},
    "table.indicator": {"en": "Indicator", "fr": "Indicateur"},
    "table.value": {"en": "Value", "fr": "Valeur"},
    "table.ci": {"en": "95 % confidence interval", "fr": "Intervalle de confiance à 95 %"},
    "table.per_year": {"en": "over {days} days", "fr": "sur {days} jours"},
    # report text
    "report.title": {"en": "Material flows of a territory", "fr": "Flux de matières d'un territoire"},
    "report.scenario": {"en": "Scenario", "fr": "Scénario"},
    "report.variant": {"en": "Variant", "fr": "Variante"},
    "report.horizon": {"en": "Reported period", "fr": "Période rapportée"},
    "report.warmup": {"en": "Warm-up", "fr": "Mise en régime"},
    "report.warmup_days": {"en": "{n} days simulated before the reported period, not counted",
                           "fr": "{n} jours simulés avant la période rapportée, non comptés"},
    "report.days": {"en": "{n} days", "fr": "{n} jours"},
    "report.seed": {"en": "Seed", "fr": "Graine aléatoire"},
    "report.replications": {"en": "Replications", "fr": "Réplications"},
    "report.generated": {"en": "Produced with ptce-flows {version} on {date}",
                         "fr": "Produit avec ptce-flows {version} le {date}"},
    "report.scenario_file": {"en": "Scenario file", "fr": "Fichier de scénario"},
    "report.overrides": {"en": "Changes from the command line", "fr": "Modifications en ligne de commande"},
    "report.contents": {"en": "Contents", "fr": "Sommaire"},
    "report.kpis": {"en": "Key figures", "fr": "Chiffres clés"},
    "report.figures": {"en": "Figures", "fr": "Figures"},
    "report.assumptions": {"en": "Assumptions and their sources", "fr": "Hypothèses et sources"},
    "report.assumptions_intro": {
        "en": "Every figure of the scenario that its file documents, with the comment written next "
              "to it (source or estimate), then the references of the scenario.",
        "fr": "Chaque valeur du scénario documentée dans son fichier, avec le commentaire écrit à "
              "côté (source ou estimation), puis les références du scénario."},
    "report.no_source_text": {
        "en": "The original scenario file was not found (or has changed since the run), so the "
              "comments that hold the sources could not be read. Values are listed without sources.",
        "fr": "Le fichier de scénario d'origine est introuvable (ou a changé depuis la simulation) : "
              "les commentaires qui portent les sources n'ont pas pu être lus. Les valeurs sont "
              "listées sans source."},
    "report.notes": {"en": "Notes of the scenario file", "fr": "Notes du fichier de scénario"},
    "report.estimate": {"en": "estimate", "fr": "estimation"},
    "report.comment_in_english": {"en": "comment in English in the scenario file",
                                  "fr": "commentaire en anglais dans le fichier du scénario"},
    "report.comment_in_english_line": {"en": "comment in English in the scenario file, line {line}",
                                       "fr": "commentaire en anglais dans le fichier du scénario, ligne {line}"},
    "report.note_in_english": {"en": "note in English in the scenario file",
                               "fr": "note en anglais dans le fichier du scénario"},
    "report.notes_in_english": {
        "en": "The notes at the top of the scenario file are in English.",
        "fr": "Les notes en tête du fichier de scénario sont rédigées en anglais (aucune traduction "
              "« # fr: » n'y figure)."},
    "report.key": {"en": "Parameter", "fr": "Paramètre"},
    "report.value": {"en": "Value", "fr": "Valeur"},
    "report.source": {"en": "Source or reasoning", "fr": "Source ou raisonnement"},
    "report.references": {"en": "References", "fr": "Références"},
    "report.no_references": {"en": "The scenario lists no references.",
                             "fr": "Le scénario ne cite aucune référence."},
    "report.page": {"en": "Page {n} of {total}", "fr": "Page {n} sur {total}"},
    "report.ci_note": {
        "en": "Mean over {n} replications; in brackets the 95 % confidence interval of the mean.",
        "fr": "Moyenne sur {n} réplications ; entre crochets l'intervalle de confiance à 95 % "
              "de la moyenne."},
    "report.single_run": {"en": "One replication (no confidence interval).",
                          "fr": "Une seule réplication (pas d'intervalle de confiance)."},
    "report.products": {"en": "Products made", "fr": "Produits fabriqués"},
    "report.material": {"en": "Material", "fr": "Matière"},
    "report.lang_other": {"en": "Version française", "fr": "English version"},
    # captions (figure explanations in the report)
    "caption.map": {
        "en": "Sites by kind (sources sized by tonnage generated) and the flows of the simulated "
              "period as straight lines between origin and destination, coloured by material, "
              "width proportional to tonnes. Roads of the scenario in light grey. Sites far beyond "
              "the territory are reached by arrows at the edge of the frame, with their straight-line "
              "distance; an inset enlarges sites too close together to tell apart.",
        "fr": "Sites par type (sources dimensionnées selon le tonnage produit) et flux de la "
              "période simulée en lignes droites de l'origine à la destination, colorés par "
              "matière, d'épaisseur proportionnelle aux tonnes. Routes du scénario en gris clair. "
              "Les sites très éloignés sont indiqués par une flèche au bord du cadre, avec leur "
              "distance à vol d'oiseau ; un encart agrandit les sites trop proches pour être distingués."},
    "caption.sankey": {
        "en": "Where the material goes, in tonnes over the simulated period: from sources to "
              "treatment sites (or straight to disposal when no site can take it), what each "
              "process makes and loses, and where products and residues end up. Band width is "
              "proportional to tonnes.",
        "fr": "Le devenir de la matière, en tonnes sur la période simulée : des sources aux "
              "sites de traitement (ou directement à l'élimination quand aucun site ne peut la "
              "prendre), ce que chaque procédé produit et perd, et la destination des produits "
              "et résidus. L'épaisseur des bandes est proportionnelle aux tonnes."},
    "caption.timeseries": {
        "en": "For each treatment site, left: daily intake and processing (7-day mean) against the "
              "intake capacity; right: material in process and products in store against the storage "
              "capacity, with the spreading windows of the farms it serves shaded in light green.",
        "fr": "Pour chaque site de traitement, à gauche : apports journaliers et traitement "
              "(moyenne sur 7 jours) face à la capacité ; à droite : matière en cours de "
              "traitement et produits en stock face à la capacité de stockage, avec les périodes d'épandage des exploitations "
              "desservies en vert clair."},
    "caption.jobs": {
        "en": "Full-time equivalent jobs per year at each site and in each fleet, and by activity; "
              "the hatched part of each bar is insertion jobs (in brackets).",
        "fr": "Emplois en équivalent temps plein par an sur chaque site et dans chaque flotte, et "
              "par activité ; la partie hachurée de chaque barre correspond aux emplois d'insertion "
              "(entre parenthèses)."},
    "caption.transport": {
        "en": "Transport by fleet over the simulated period: tonne-km (load × loaded distance), "
              "vehicle-km (loaded and empty) and CO₂ emissions.",
        "fr": "Transport par flotte sur la période simulée : tonnes-kilomètres (charge × distance "
              "en charge), véhicules-kilomètres (en charge et à vide) et émissions de CO₂."},
    "caption.climate": {
        "en": "Greenhouse gases over the period (t CO₂e): trucks, treatment processes and disposal "
              "add up, what the products and energy delivered avoid is taken off; the last bar is "
              "the net balance. Soil carbon and construction are not counted (see docs/outputs.md).",
        "fr": "Gaz à effet de serre sur la période (t CO₂e) : camions, procédés de traitement et "
              "élimination s'additionnent, ce qu'évitent les produits et l'énergie livrés se "
              "retranche ; la dernière barre est le bilan net. Ni le carbone du sol ni la "
              "construction ne sont comptés."},
    "caption.costs": {
        "en": "Costs over the period (thousand EUR excl. VAT) by term, revenue from products and "
              "energy, and the net cost (dashed line), per tonne generated and per inhabitant.",
        "fr": "Coûts sur la période (milliers d'euros HT) par poste, recettes des produits et de "
              "l'énergie, et coût net (trait pointillé), par tonne produite et par habitant."},
    "caption.kpis": {
        "en": "Headline figures of the simulated period.",
        "fr": "Principaux résultats de la période simulée."},
    # comparisons and sweeps (ptce_flows/plotting/layouts.py)
    "kpi.to_disposal_t": {"en": "Sent to disposal (waste and residues)",
                          "fr": "Envoyé en élimination (déchets et résidus)"},
    "benefit.avoided_disposal_t": {"en": "Avoided disposal", "fr": "Élimination évitée"},
    "benefit.extra_diverted_t": {"en": "Extra tonnes diverted", "fr": "Tonnage valorisé en plus"},
    "benefit.avoided_tonne_km": {"en": "Avoided tonne-km", "fr": "Tonnes-km évitées"},
    "benefit.avoided_co2_t": {"en": "Avoided transport CO₂", "fr": "CO₂ du transport évité"},
    "benefit.avoided_ghg_t_co2e": {"en": "Avoided GHG, net balance (> 0: emits less)",
                                   "fr": "GES évités, bilan net (> 0 : émet moins)"},
    "benefit.cost_saving_eur": {"en": "Cost saving, net cost (> 0: costs less)",
                                "fr": "Économie sur le coût net (> 0 : coûte moins)"},
    "kpi.ghg_net_t_co2e": {"en": "Net greenhouse gases", "fr": "Gaz à effet de serre, bilan net"},
    "kpi.cost_net_eur": {"en": "Net cost", "fr": "Coût net"},
    "kpi.cost_eur_per_t": {"en": "Net cost per tonne generated", "fr": "Coût net par tonne produite"},
    "kpi.abatement_cost_eur_per_t_co2e": {"en": "Abatement cost (per t CO₂e avoided)",
                                          "fr": "Coût d'abattement (par t CO₂e évitée)"},
    "benefit.net_jobs_fte": {"en": "Net jobs created", "fr": "Emplois nets créés"},
    "benefit.net_insertion_fte": {"en": "Net insertion jobs created",
                                  "fr": "Emplois d'insertion nets créés"},
    "title.comparison": {"en": "Layouts compared: mean and 95 % interval over {n} replication(s)",
                         "fr": "Implantations comparées : moyenne et intervalle à 95 % sur {n} réplication(s)"},
    "title.benefits": {"en": "Gains against the baseline “{b}”: paired differences, 95 % interval "
                             "(positive is better)",
                       "fr": "Gains par rapport à la référence « {b} » : différences appariées, "
                             "intervalle à 95 % (positif = mieux)"},
    "title.sweep": {"en": "Parameter sweep: mean and 95 % interval over {n} replication(s)",
                    "fr": "Balayage de paramètres : moyenne et intervalle à 95 % sur {n} réplication(s)"},
    "title.heatmap": {"en": "Parameter sweep: mean over {n} replication(s)",
                      "fr": "Balayage de paramètres : moyenne sur {n} réplication(s)"},
    # sensitivity (ptce_flows/plotting/sensitivity.py)
    "tornado.title": {"en": "{kpi}: one input at a time at its low / high value (central {central} {unit}; "
                            "mean of {n} replication(s), 95 % interval of the paired difference)",
                      "fr": "{kpi} : une entrée à la fois à sa valeur basse / haute (central {central} {unit} ; "
                            "moyenne de {n} réplication(s), intervalle à 95 % de la différence appariée)"},
    "tornado.still": {"en": "{n} other input(s) change nothing", "fr": "{n} autre(s) entrée(s) sans effet"},
    "tornado.at_low": {"en": "input at its low value", "fr": "entrée à sa valeur basse"},
    "tornado.at_high": {"en": "input at its high value", "fr": "entrée à sa valeur haute"},
    "factor.kg_co2e_per_t_input": {"en": "process GHG", "fr": "GES du procédé"},
    "factor.energy_kwh_per_t_input": {"en": "energy sold", "fr": "énergie vendue"},
    "factor.avoided_kg_co2e_per_kwh": {"en": "GHG avoided per kWh", "fr": "GES évités par kWh"},
    "factor.kg_co2e_per_t": {"en": "disposal GHG", "fr": "GES de l'élimination"},
    "factor.avoided_kg_co2e_per_t": {"en": "GHG avoided per t", "fr": "GES évités par t"},
    "factor.discount_rate": {"en": "discount rate", "fr": "taux d'actualisation"},
    "factor.eur_per_km": {"en": "cost per km", "fr": "coût au km"},
    "factor.eur_per_h": {"en": "cost per hour", "fr": "coût horaire"},
    "factor.capex_eur": {"en": "investment", "fr": "investissement"},
    "factor.life_years": {"en": "service life", "fr": "durée de vie"},
    "factor.fixed_eur_per_year": {"en": "fixed cost", "fr": "coût fixe"},
    "factor.eur_per_t": {"en": "operating cost per t", "fr": "coût d'exploitation par t"},
    "factor.energy_eur_per_kwh": {"en": "energy price", "fr": "prix de l'énergie"},
    "factor.gate_fee_eur_per_t": {"en": "gate fee", "fr": "prix d'entrée"},
    "factor.tax_eur_per_t": {"en": "TGAP tax", "fr": "TGAP"},
    "factor.price_eur_per_t": {"en": "product price", "fr": "prix du produit"},
    "legend.baseline": {"en": "baseline", "fr": "référence"},
    "legend.better": {"en": "better than the baseline", "fr": "mieux que la référence"},
    "legend.worse": {"en": "worse than the baseline", "fr": "moins bien que la référence"},
    "better.higher": {"en": "higher is better", "fr": "plus = mieux"},
    "better.lower": {"en": "lower is better", "fr": "moins = mieux"},
}

_UNITS: dict[str, dict[str, str]] = {
    "t": {"en": "t", "fr": "t"},
    "t/day": {"en": "t/day", "fr": "t/j"},
    "t/year": {"en": "t/year", "fr": "t/an"},
    "t.km": {"en": "t·km", "fr": "t·km"},
    "t·km": {"en": "t·km", "fr": "t·km"},
    "km": {"en": "km", "fr": "km"},
    "t CO2e": {"en": "t CO₂e", "fr": "t CO₂e"},
    "EUR/t CO2e": {"en": "EUR/t CO₂e", "fr": "EUR/t CO₂e"},
    "kg CO2e/t input": {"en": "kg CO₂e/t input", "fr": "kg CO₂e/t entrant"},
    "kg CO2e/t": {"en": "kg CO₂e/t", "fr": "kg CO₂e/t"},
    "kg CO2e/t delivered": {"en": "kg CO₂e/t delivered", "fr": "kg CO₂e/t livrée"},
    "kg CO2e/kWh": {"en": "kg CO₂e/kWh", "fr": "kg CO₂e/kWh"},
    "years": {"en": "years", "fr": "ans"},
    "FTE": {"en": "FTE", "fr": "ETP"},
    "h": {"en": "h", "fr": "h"},
    "-": {"en": "", "fr": ""},
    "": {"en": "", "fr": ""},
}

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."],
}


_LABELS.update({k: v for k, v in WORDS.items() if k not in _LABELS})
_UNITS.update(COST_UNITS)


def check_lang(lang: str | None) -> str:
    """Return ``lang`` if it is a supported language (``en``, ``fr``); None means ``en``.

    Raises:
        ValueError: for any other language code.
    """
    if lang is None:
        return "en"
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}' (allowed: {', '.join(LANGS)})")
    return lang


def tr(key: str, lang: str = "en", **fields) -> str:
    """The label ``key`` in ``lang``, with ``{fields}`` filled in.

    Unknown keys come back as the last part of the key with underscores as spaces
    (``activity.green_sorting`` -> ``green sorting``), so an unexpected id never breaks a figure.
    """
    entry = _LABELS.get(key)
    if entry is None:
        text = key.rsplit(".", 1)[-1].replace("_", " ")
    else:
        text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def has_label(key: str) -> bool:
    """True when ``key`` has a translation (else :func:`tr` falls back to the id)."""
    return key in _LABELS


def unit_label(unit: str, lang: str = "en") -> str:
    """A unit as displayed (``t/day`` -> ``t/j`` in French, ``t CO2e`` -> ``t CO₂e``)."""
    entry = _UNITS.get(unit)
    return entry[lang] if entry else unit


def month_names(lang: str = "en") -> list[str]:
    """Abbreviated month names, January first."""
    return list(_MONTHS[lang])


def auto_decimals(value: float) -> int:
    """Decimals that show a figure to about three significant digits, at most 0 above 100."""
    a = abs(value)
    if a == 0 or a >= 100:
        return 0
    if a >= 10:
        return 1
    if a >= 0.01:
        return 2
    return min(6, 2 - math.floor(math.log10(a)))


def fmt_number(value: float, lang: str = "en", decimals: int | None = None) -> str:
    """A number with the language's thousands separator and decimal mark.

    ``decimals=None`` picks :func:`auto_decimals`. ``fmt_number(12345.6, "fr", 1)`` gives
    ``"12 345,6"`` (U+202F between thousands); ``fmt_number(12345.6, "en", 1)`` ``"12,345.6"``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    value = float(value)
    d = auto_decimals(value) if decimals is None else decimals
    text = f"{abs(value):,.{d}f}"
    if float(text.replace(",", "")) == 0:
        value = 0.0  # no "-0"
    if lang == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    return (MINUS if value < 0 else "") + text


def fmt_qty(value: float, unit: str, lang: str = "en", decimals: int | None = None) -> str:
    """A number and its unit: ``"12 345,6 t"`` (fr), ``"12,345.6 t"`` (en).

    Units are translated by :func:`unit_label`; ``%``-type fractions use :func:`fmt_pct`.
    """
    if unit in ("%", "fraction"):
        return fmt_pct(value, lang, 1 if decimals is None else decimals)
    number = fmt_number(value, lang, decimals)
    shown = unit_label(unit, lang)
    return f"{number}{NBSP}{shown}" if shown else number


def fmt_pct(fraction: float, lang: str = "en", decimals: int = 1) -> str:
    """A fraction as a percentage: 0.83 -> ``"83.0%"`` (en), ``"83,0 %"`` (fr)."""
    number = fmt_number(100.0 * float(fraction), lang, decimals)
    return f"{number}{NNBSP}%" if lang == "fr" else f"{number}%"


def fmt_date(iso: str, lang: str = "en") -> str:
    """``2026-05-04T10:00:00+00:00`` -> ``4 May 2026`` / ``4 mai 2026`` (the date part only)."""
    try:
        year, month, day = (int(x) for x in iso[:10].split("-"))
    except (ValueError, TypeError):
        return str(iso)
    if lang == "fr":
        names = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre"]
        return f"{'1er' if day == 1 else day} {names[month - 1]} {year}"
    names = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
    return f"{day} {names[month - 1]} {year}"


def colon(lang: str = "en") -> str:
    """The colon between a label and what follows: ``": "``, French ``"\u202f: "``."""
    return f"{NNBSP}: " if lang == "fr" else ": "


def activity_label(activity: str, lang: str = "en") -> str:
    """Label of a jobs activity (a process id, ``transport`` or ``disposal``)."""
    key = f"activity.{activity}"
    if has_label(key):
        return tr(key, lang)
    text = activity.replace("_", " ")
    return text[:1].upper() + text[1:]


def label_text(label: str | dict | None, lang: str = "en", default: str = "") -> str:
    """The text of a ``Label`` in ``lang`` (falling back to English, then any language)."""
    if label is None:
        return default
    if isinstance(label, str):
        return label
    return label.get(lang) or label.get("en") or next(iter(label.values()), default)
