"""Indicator annexes of the demo, modelled on real contracts (domain page, section 5.4).

Each mission's variable part is shared between actions and their indicators in the proportions of
a real taille-3 contract (access to care 35,000 €: ALD patients without a médecin traitant 9,000,
patients over 16 with one 5,000, SAS 3,000, partnership with the CPAM 2,000...; prevention
17,500 €: three screening rates graded 1,000 / 2,500 / 3,500 €...), scaled to the community's own
variable part so that the indicators add up to it to the cent. Objectives and thresholds follow
the community's population; the values measured each year are made up, deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Computed:
    """A template's version measured from the claims: the share of a computed indicator, in
    percent (``Indicator.Measure.PERCENT``); thresholds or objective in percent."""

    code: str
    label: str
    kind: str  # graded | target
    thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(0), Decimal(0), Decimal(0))
    objective: Decimal = Decimal(0)


@dataclass(frozen=True)
class Template:
    """An indicator of a real annex: its weight is its amount in the real taille-3 contract."""

    action: str
    label: str
    kind: str  # graded | target | done
    weight: int
    deliverables: tuple[str, ...]
    lower_is_better: bool = False
    #: graded: thresholds socle, intermédiaire, objectif (per 100,000 inhabitants if ``per_capita``)
    thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(0), Decimal(0), Decimal(0))
    #: graded: share of the amount paid at each tier (the objectif pays it all)
    shares: tuple[Decimal, Decimal] = (Decimal(1) / 3, Decimal(2) / 3)
    #: target: the objective (per 100,000 inhabitants if ``per_capita``)
    objective: Decimal = Decimal(0)
    per_capita: bool = False
    #: how the CPAM measures it from the claims, where the demo has them
    computed: Computed | None = None


PREVENTION_SHARES = (Decimal(1000) / 3500, Decimal(2500) / 3500)  # socle / intermédiaire

TEMPLATES: dict[str, tuple[Template, ...]] = {
    "access": (
        Template(
            "Faciliter l'accès à un médecin traitant",
            "Patients en ALD sans médecin traitant (initialement {initial})",
            "graded",
            9000,
            (
                "Statistiques CPAM des patients en ALD sans médecin traitant",
                "Liste anonymisée des patients orientés vers un médecin traitant",
            ),
            lower_is_better=True,
            thresholds=(Decimal(182), Decimal(83), Decimal(42)),  # 219 / 100 / 50 for 120,000
            per_capita=True,
            computed=Computed(
                "ald_patients_without_gp",
                "Part des patients en ALD sans médecin traitant (%)",
                "graded",
                thresholds=(Decimal(14), Decimal(13), Decimal(12)),
            ),
        ),
        Template(
            "Faciliter l'accès à un médecin traitant",
            "Patients de plus de 16 ans ayant un médecin traitant",
            "target",
            5000,
            ("Statistiques CPAM des patients avec médecin traitant",),
            objective=Decimal(57_343),  # 68,811 for 120,000 inhabitants
            per_capita=True,
            computed=Computed(
                "patients_16_with_gp",
                "Part des patients de 16 ans et plus ayant un médecin traitant (%)",
                "target",
                objective=Decimal(82),
            ),
        ),
        Template(
            "Améliorer la prise en charge des soins non programmés",
            "Créneaux de soins non programmés ouverts chaque semaine",
            "target",
            8000,
            ("Planning des créneaux de soins non programmés", "Comptes rendus de la commission"),
            objective=Decimal(100),
            per_capita=True,
        ),
        Template(
            "Participer au service d'accès aux soins (SAS)",
            "Médecins participant au SAS, demandes suivies",
            "target",
            3000,
            ("Liste des médecins inscrits sur la plateforme SAS", "Statistiques du SAS"),
            objective=Decimal(25),
            per_capita=True,
        ),
        Template(
            "Orienter les patients sans médecin traitant",
            "Patients sans médecin traitant orientés vers un médecin de la CPTS",
            "target",
            8000,
            ("Registre des orientations", "Statistiques CPAM"),
            objective=Decimal(300),
            per_capita=True,
        ),
        Template(
            "Partenariat avec la CPAM",
            "Partenariat avec la CPAM maintenu (réunions trimestrielles)",
            "done",
            2000,
            ("Comptes rendus des réunions avec la CPAM", "Feuilles d'émargement"),
        ),
    ),
    "pathways": (
        Template(
            "Parcours de la personne âgée fragile",
            "Patients âgés fragiles repérés et suivis par l'équipe de soins",
            "graded",
            15000,
            ("Grille de repérage de la fragilité", "Statistiques CPAM", "Comptes rendus des RCP"),
            thresholds=(Decimal(80), Decimal(120), Decimal(160)),
            per_capita=True,
        ),
        Template(
            "Parcours insuffisance cardiaque",
            "Patients inclus dans le parcours après une hospitalisation",
            "target",
            12000,
            (
                "Protocole de sortie d'hospitalisation signé avec l'hôpital",
                "Liste des patients inclus",
            ),
            objective=Decimal(60),
            per_capita=True,
        ),
        Template(
            "Réunions de concertation pluriprofessionnelle",
            "Réunions de concertation pluriprofessionnelle tenues",
            "target",
            10000,
            ("Comptes rendus des réunions", "Feuilles d'émargement"),
            objective=Decimal(12),
        ),
        Template(
            "Parcours du patient diabétique",
            "Protocole pluriprofessionnel diabète rédigé et diffusé",
            "done",
            8000,
            ("Protocole publié", "Liste de diffusion aux professionnels"),
        ),
    ),
    "prevention": (
        Template(
            "Dépistage organisé du cancer du sein",
            "Taux de participation au dépistage du cancer du sein (%)",
            "graded",
            3500,
            ("Statistiques CPAM de participation", "Supports de la campagne Octobre rose"),
            thresholds=(Decimal("69.7"), Decimal("72.4"), Decimal(75)),
            shares=PREVENTION_SHARES,
        ),
        Template(
            "Dépistage organisé du cancer du col de l'utérus",
            "Taux de couverture du dépistage du cancer du col de l'utérus (%)",
            "graded",
            3500,
            ("Statistiques CPAM de couverture", "Comptes rendus des actions d'information"),
            thresholds=(Decimal("58.5"), Decimal("61.5"), Decimal("64.5")),
            shares=PREVENTION_SHARES,
        ),
        Template(
            "Dépistage organisé du cancer colorectal",
            "Taux de participation au dépistage du cancer colorectal (%)",
            "graded",
            3500,
            ("Statistiques CPAM de participation", "Registre des kits remis en officine"),
            thresholds=(Decimal("32.5"), Decimal(35), Decimal("37.5")),
            shares=PREVENTION_SHARES,
            computed=Computed(
                "colorectal_screening_50_74",
                "Part des patients de 50 à 74 ans dépistés du cancer colorectal sur deux ans (%)",
                "graded",
                thresholds=(Decimal(23), Decimal("24.5"), Decimal(26)),
            ),
        ),
        Template(
            "Actions de prévention auprès de la population",
            "Ateliers de prévention tenus (nutrition, activité physique, tabac)",
            "target",
            4000,
            ("Programme des ateliers", "Feuilles d'émargement"),
            objective=Decimal(8),
        ),
        Template(
            "Vaccination",
            "Campagne de vaccination contre la grippe menée avec les pharmacies",
            "done",
            3000,
            ("Bilan de la campagne", "Statistiques CPAM de couverture vaccinale"),
            computed=Computed(
                "flu_vaccination_65",
                "Part des patients de 65 ans et plus vaccinés contre la grippe (%)",
                "target",
                objective=Decimal(52),
            ),
        ),
    ),
    "quality": (
        Template(
            "Groupes qualité pluriprofessionnels",
            "Réunions des groupes qualité tenues",
            "target",
            6000,
            ("Comptes rendus des réunions", "Feuilles d'émargement"),
            objective=Decimal(6),
        ),
        Template(
            "Bon usage des antibiotiques",
            "Prescriptions d'antibiotiques pour 100 patients (plus bas est mieux)",
            "graded",
            5000,
            ("Statistiques CPAM de prescription", "Support de la formation"),
            lower_is_better=True,
            thresholds=(Decimal(32), Decimal(29), Decimal(26)),
        ),
        Template(
            "Événements indésirables",
            "Revue des événements indésirables associés aux soins réalisée",
            "done",
            4000,
            ("Compte rendu de la revue",),
        ),
    ),
    "support": (
        Template(
            "Attractivité du territoire",
            "Stagiaires et internes accueillis par les professionnels de la CPTS",
            "target",
            4000,
            ("Conventions de stage", "Liste des maîtres de stage"),
            objective=Decimal(10),
        ),
        Template(
            "Information des professionnels",
            "Soirées d'information des professionnels tenues",
            "target",
            3000,
            ("Programme des soirées", "Feuilles d'émargement"),
            objective=Decimal(4),
        ),
        Template(
            "Annuaire des professionnels",
            "Annuaire des professionnels du territoire publié et tenu à jour",
            "done",
            3000,
            ("Annuaire publié",),
        ),
    ),
}

#: How far an indicator gets in a year: 0 missed, 1 socle, 2 intermédiaire, 3 objectif (or
#: reached / done for 1 to 3). Mostly reached, as in the evaluations the CPAM publishes.
LEVELS = (3, 2, 3, 1, 3, 3, 0, 2, 3, 1, 3)


def level(seed: int, number: int, position: int) -> int:
    return LEVELS[(seed * 7 + number * 5 + position * 3) % len(LEVELS)]


def _scaled(value: Decimal, population: int, per_capita: bool) -> Decimal:
    if not per_capita:
        return value
    return max(Decimal(1), (value * population / 100_000).quantize(Decimal(1), ROUND_HALF_UP))


def split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights``, rounded to the cent, adding up exactly."""
    whole = sum(weights)
    amounts = [(total * weight / whole).quantize(CENT, ROUND_HALF_UP) for weight in weights[:-1]]
    return [*amounts, total - sum(amounts)]


def indicators_for(
    mission: str, variable_part: Decimal, population: int, *, computed: bool = False
) -> list[tuple[Template, dict[str, Any]]]:
    """The data of each indicator of a mission (for ``services.add_indicator``); ``computed``:
    the templates measured from the claims take their :class:`Computed` version, bound."""
    templates = TEMPLATES.get(mission, ())
    if not templates:
        return []
    result = []
    for template, amount in zip(
        templates, split(variable_part, [t.weight for t in templates]), strict=True
    ):
        data: dict[str, Any] = {
            "mission": mission,
            "action": template.action,
            "label": template.label,
            "kind": template.kind,
            "amount": amount,
            "lower_is_better": template.lower_is_better,
            "deliverables": "\n".join(template.deliverables),
        }
        version = template.computed if computed else None
        if version is not None:
            data.update(
                label=version.label,
                kind=version.kind,
                computed_code=version.code,
                computed_measure="percent",
            )
            thresholds, objective, per_capita = version.thresholds, version.objective, False
        else:
            thresholds, objective = template.thresholds, template.objective
            per_capita = template.per_capita
        if data["kind"] == "graded":
            socle, middle, goal = (_scaled(value, population, per_capita) for value in thresholds)
            first = (amount * template.shares[0]).quantize(CENT, ROUND_HALF_UP)
            second = (amount * template.shares[1]).quantize(CENT, ROUND_HALF_UP)
            data["tiers"] = [
                {"label": "socle", "threshold": str(socle), "amount": str(first)},
                {"label": "intermédiaire", "threshold": str(middle), "amount": str(second)},
                {"label": "objectif", "threshold": str(goal), "amount": str(amount)},
            ]
            data["label"] = data["label"].format(
                initial=_scaled(Decimal(219) * 100_000 / 120_000, population, True)
            )
        elif data["kind"] == "target":
            data["objective"] = _scaled(objective, population, per_capita)
        result.append((template, data))
    return result


def measured(data: dict[str, Any], reached: int) -> tuple[Decimal | None, bool]:
    """The value recorded for an indicator that reached ``reached`` (0 to 3), and « done »."""
    if data["kind"] == "done":
        return None, reached > 0
    if data["kind"] == "target":
        objective = Decimal(data["objective"])
        if reached:
            return (objective * Decimal("1.04")).quantize(Decimal(1), ROUND_HALF_UP), False
        return (objective * Decimal("0.93")).quantize(Decimal(1), ROUND_HALF_UP), False
    socle, middle, goal = (Decimal(tier["threshold"]) for tier in data["tiers"])
    integers = all(value == value.to_integral_value() for value in (socle, middle, goal))
    # Thresholds go up (or down, lower is better) from socle to objectif: a quarter of a band
    # beyond the objectif, in the middle of a band, or a quarter of a band short of the socle.
    if reached == 3:
        value = goal + (goal - middle) / 4
    elif reached == 0:
        value = socle - (middle - socle) / 4
    else:
        low, high = (socle, middle) if reached == 1 else (middle, goal)
        value = (low + high) / 2
    return value.quantize(Decimal(1) if integers else Decimal("0.1"), ROUND_HALF_UP), False
