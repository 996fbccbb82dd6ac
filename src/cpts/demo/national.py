"""A synthetic country for load tests and national steering: about a thousand communities on real
intercommunalities of every region, a hundred members each on average, and five years of the
contract's lifecycle (letters of intent, health projects, contracts signed from 2019, missions,
annexes, evaluations, crises, payment runs).

The geography is real: each perimeter is an EPCI of the DGCL list (``territory/data``), sometimes
with a neighbouring one (a union) or one commune claimed from a neighbour (an overlap); about a
fifth of the EPCIs stay uncovered (white zones). People and figures of the annexes are made up.

What drives money goes through the services (letters, decisions, accélérateur, signature, crises,
evaluations closed by the engine, payment runs by the ledger), so every amount is the engine's.
What the services refuse for history (they only accept changes to a contract in force, and
missions or values typed today) is written in bulk with the same data the services would write:
mission dates, the annex indicators with their values and verdicts (the demo's templates,
``annex.py``), members and perimeters before the contract. Deterministic for a seed and a day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db import connection, transaction
from django.utils import timezone

from cpts.accounts.models import Role, User
from cpts.aci import Mission, contract_year, default_tree, payment_schedule
from cpts.aci.settlement import settle_year
from cpts.communities.identifiers import luhn_check_digit
from cpts.communities.models import Community, Member, Profession, StructureKind
from cpts.communities.perimeters import set_perimeter
from cpts.contracts import engine, services
from cpts.contracts.models import (
    Contract,
    ContractYear,
    Deliverable,
    Indicator,
    MissionCommitment,
    Payment,
    PaymentKind,
    PaymentRun,
)
from cpts.core.audit import bulk_create_audited, save_audited
from cpts.core.errors import RuleError
from cpts.crises import response
from cpts.crises.models import CrisisActivation, Typology
from cpts.crises.services import declare_crisis, end_crisis
from cpts.territory.communes import population_of
from cpts.territory.models import Commune, Departement, Epci, Perimeter, PerimeterItem, Region

from .annex import indicators_for, level, measured
from .runs import run_dates
from .seed import _refusal, _user

#: The Métropole du Grand Paris contains the communes of its établissements publics territoriaux:
#: a community is built on the EPT, never on the metropolis as a whole.
EXCLUDED_EPCIS = {"200054781"}

SOURCE = "démonstration nationale"

#: Stages of the lifecycle and their share of the communities (cumulative order matters).
STAGES = (
    ("contract", 66),
    ("project_validated", 7),
    ("project_filed", 6),
    ("accelerator", 6),
    ("letter_validated", 6),
    ("letter_filed", 4),
    ("letter_refused", 2),
    ("project", 3),
)

#: Professions of the members of a community and their weight (the mix of CPTS members: mostly
#: nurses, general practitioners, physiotherapists and pharmacists).
PROFESSIONS = (
    (Profession.NURSE, 28),
    (Profession.GENERAL_PRACTITIONER, 19),
    (Profession.PHYSIOTHERAPIST, 13),
    (Profession.PHARMACIST, 11),
    (Profession.SPECIALIST, 5),
    (Profession.DENTIST, 5),
    (Profession.MIDWIFE, 4),
    (Profession.SPEECH_THERAPIST, 4),
    (Profession.PODIATRIST, 2),
    (Profession.ORTHOPTIST, 1),
    (Profession.BIOLOGIST, 1),
    (Profession.OPTICIAN, 1),
    (Profession.HEARING_AID, 1),
    (Profession.MEDICAL_TRANSPORT, 1),
    (Profession.APPLIANCE_SUPPLIER, 1),
)
STRUCTURES = (
    (StructureKind.MSP, 6),
    (StructureKind.HEALTH_CENTRE, 2),
    (StructureKind.EHPAD, 2),
    (StructureKind.MEDICO_SOCIAL, 1),
    (StructureKind.HOSPITAL, 1),
    (StructureKind.LOCAL_HOSPITAL, 1),
    (StructureKind.HAD, 1),
)
FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie",
    "Claire", "Anne", "Sophie", "Nathalie", "Isabelle", "Aurélie", "Céline", "Élodie", "Pauline",
    "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Maxime", "Antoine", "Pierre", "Louis",
    "Mathieu", "Romain", "Olivier", "Philippe", "Karim", "Mehdi", "Yanis", "Sébastien", "Éric",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Hoarau",
    "Payet", "Nguyen", "Benali", "Le Gall", "Le Goff", "Santoni", "Casanova",
)  # fmt: skip

#: Crises an ARS declares: (day, typology, title, description, regions (None: all)).
CRISES = (
    (dt.date(2022, 12, 12), Typology.EPIDEMIC, "Épidémie de bronchiolite et de grippe",
     "Triple épidémie hivernale : tension sur les urgences pédiatriques.", None),
    (dt.date(2023, 8, 18), Typology.CLIMATE, "Canicule",
     "Vigilance rouge canicule.", ("76", "84", "93", "75", "94")),
    (dt.date(2023, 11, 8), Typology.CLIMATE, "Inondations",
     "Crues et inondations : accès aux soins perturbé.", ("32",)),
    (dt.date(2024, 10, 17), Typology.CLIMATE, "Épisode cévenol et inondations",
     "Vigilance rouge pluie-inondation.", ("84", "76")),
    (dt.date(2024, 12, 16), Typology.SUPPLY, "Tension sur les médicaments",
     "Ruptures d'approvisionnement en amoxicilline.", ("04", "06", "03")),
    (dt.date(2025, 1, 20), Typology.EPIDEMIC, "Épidémie de grippe saisonnière",
     "Tension hospitalière régionale.", None),
    (dt.date(2025, 7, 1), Typology.CLIMATE, "Canicule",
     "Vigilance orange canicule.", ("11", "24", "27", "44", "84", "93")),
)  # fmt: skip


class NationalError(Exception):
    """The national demo cannot be built; the message is for the user, in French."""


class Progress(Protocol):
    """What the generator reports: a step and its size, then each unit done."""

    def step(self, label: str, total: int) -> Callable[[int], None]: ...


class _Silent:
    def step(self, label: str, total: int) -> Callable[[int], None]:
        def advance(done: int = 1) -> None:
            pass

        return advance


@dataclass
class Summary:
    communities: int = 0
    members: int = 0
    perimeters: int = 0
    contracts: int = 0
    contract_years: int = 0
    indicators: int = 0
    evaluations: int = 0
    crises: int = 0
    activations: int = 0
    payment_runs: int = 0
    payments: int = 0
    users: int = 0
    stages: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    """One community to build."""

    name: str
    departement: str
    region: str
    epcis: list[str]
    communes: list[str]
    stage: str
    start: dt.date  # the letter of intent (or the community's creation)
    signed: dt.date | None
    members: int
    early: list[str] | None = None  # a first, smaller perimeter, until the project
    grows: tuple[dt.date, list[str]] | None = None  # a later perimeter, after the signature
    quality: bool = False


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def reset() -> None:
    """Empty every table but the reference territory (regions, départements, communes, EPCIs,
    populations), the migrations and the data version: communities, contracts, payments, users,
    audit trail."""
    keep = {
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "territory_region",
        "territory_departement",
        "territory_commune",
        "territory_epci",
        "territory_epci_communes",
        "territory_formercode",
        "territory_populationvintage",
        "territory_communepopulation",
        # the data version's counters (cpts.steering.versions): they only ever grow, and the
        # TRUNCATE below bumps them through the watched tables' triggers
        "cpts_data_version",
    }
    tables = [name for name in connection.introspection.table_names() if name not in keep]
    if tables:
        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(name) for name in tables)
            cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")


def check_empty() -> None:
    count = Community.objects.count()
    if count:
        raise NationalError(
            f"La base contient déjà {count} CPTS : la démonstration nationale se construit sur "
            "une base sans CPTS. Relancez avec --reset pour tout effacer (sauf le territoire de "
            "référence), ou utilisez une autre base."
        )


# --- The plan: which EPCIs, which stages, which dates ----------------------------------------


def _epcis() -> dict[str, tuple[str, str, list[str], int]]:
    """code -> (name, seat département, communes, population) for every usable EPCI."""
    communes: dict[str, list[str]] = defaultdict(list)
    for epci, commune in Epci.communes.through.objects.order_by(
        "epci_id", "commune_id"
    ).values_list("epci_id", "commune_id"):
        communes[epci].append(commune)
    info = {
        code: (departement, population or 0)
        for code, departement, population in Commune.objects.values_list(
            "code", "departement_id", "population"
        )
    }
    result = {}
    for code, name in Epci.objects.order_by("code").values_list("code", "name"):
        members = [commune for commune in communes.get(code, []) if commune in info]
        if code in EXCLUDED_EPCIS or not members:
            continue
        seat = max(members, key=lambda commune: (info[commune][1], commune))
        population = sum(info[commune][1] for commune in members)
        result[code] = (name, info[seat][0], members, population)
    return result


def _pick(
    epcis: dict[str, tuple[str, str, list[str], int]],
    regions: dict[str, str],
    count: int,
    rng: random.Random,
) -> list[str]:
    """``count`` EPCIs spread over every region: one in each first, then a stratified sample
    (each region in proportion to its EPCIs)."""
    by_region: dict[str, list[str]] = defaultdict(list)
    for code, (_name, departement, _communes, _population) in epcis.items():
        by_region[regions[departement]].append(code)
    keyed: list[tuple[float, str]] = []
    first: list[str] = []
    for region in sorted(by_region):
        codes = sorted(by_region[region])
        rng.shuffle(codes)
        first.append(codes[0])
        keyed += [((rank + rng.random()) / len(codes), code) for rank, code in enumerate(codes[1:])]
    keyed.sort()
    chosen = first[:count] + [code for _key, code in keyed][: max(0, count - len(first))]
    return chosen


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


def plan(count: int, seed: int, today: dt.date) -> list[_Plan]:
    rng = random.Random(seed)
    if not Epci.objects.exists():
        raise NationalError(
            "Le territoire de référence n'est pas chargé : lancez d'abord "
            "« python manage.py load_territory »."
        )
    epcis = _epcis()
    regions = dict(Departement.objects.values_list("code", "region_id"))
    usable = len(epcis) * 9 // 10  # white zones stay: a tenth of the EPCIs at least
    if not 1 <= count <= usable:
        raise NationalError(
            f"Nombre de CPTS impossible : {count}. Entre 1 et {usable} (les "
            f"{len(epcis)} intercommunalités du territoire de référence, dont un dixième au "
            "moins reste sans CPTS)."
        )
    chosen = _pick(epcis, regions, count, rng)
    taken = set(chosen)
    spare: dict[str, list[str]] = defaultdict(list)  # uncovered EPCIs by département
    for code in sorted(epcis):
        if code not in taken:
            spare[epcis[code][1]].append(code)
    for codes in spare.values():
        rng.shuffle(codes)
    first_day = default_tree().parameter("agreement.grid_version").dates[0]
    last_signature = min(dt.date(2024, 12, 31), today - dt.timedelta(days=30))
    stages = [stage for stage, weight in STAGES for _ in range(weight)]
    plans: list[_Plan] = []
    names: set[str] = set()
    by_departement: dict[str, list[_Plan]] = defaultdict(list)
    for code in chosen:
        name, departement, communes, population = epcis[code]
        stage = rng.choice(stages)
        plan_epcis, plan_communes = [code], list(communes)
        early = None
        if spare[departement] and rng.random() < 0.08:  # a union with a neighbouring EPCI
            other = spare[departement].pop()
            plan_epcis.append(other)
            plan_communes += epcis[other][2]
            if rng.random() < 0.5:
                early = list(communes)  # began on its own EPCI, joined by the neighbour later
        elif len(communes) > 3 and rng.random() < 0.1:
            early = communes[: max(1, len(communes) * 2 // 3)]  # began on part of the EPCI
        signed = None
        if stage == "contract":
            signed = _day_between(rng, first_day + dt.timedelta(days=40), last_signature)
            start = max(first_day, signed - dt.timedelta(days=rng.randint(240, 540)))
        else:
            start = _day_between(rng, dt.date(2022, 1, 1), today - dt.timedelta(days=120))
        label = f"CPTS {name}"
        while label in names:
            label += " (2)"
        names.add(label)
        item = _Plan(
            name=label,
            departement=departement,
            region=regions[departement],
            epcis=plan_epcis,
            communes=sorted(set(plan_communes)),
            stage=stage,
            start=start,
            signed=signed,
            members=0,
            early=early,
            quality=stage == "contract" and rng.random() < 0.2,
        )
        plans.append(item)
        by_departement[departement].append(item)
        weight = max(population, 1000) ** 0.5
        item.members = int(weight)  # scaled below
    # Overlaps: a few communities also claim one commune of a neighbour of the same département.
    for item in plans:
        neighbours = [other for other in by_departement[item.departement] if other is not item]
        if neighbours and rng.random() < 0.04:
            claimed = rng.choice(neighbours).communes[0]
            item.communes = sorted({*item.communes, claimed})
    # Growth after signature: a neighbouring uncovered EPCI joins (an amendment is proposed).
    for item in plans:
        if (
            item.signed is not None
            and spare[item.departement]
            and rng.random() < 0.02
            and item.signed + dt.timedelta(days=400) < today
        ):
            joining = spare[item.departement].pop()
            day = _day_between(rng, item.signed + dt.timedelta(days=380), today)
            item.grows = (day, sorted({*item.communes, *epcis[joining][2]}))
    # Members: a hundred per community on average, more where more people live.
    weights = sum(item.members for item in plans)
    for item in plans:
        share = 100 * len(plans) * item.members / weights
        item.members = max(15, round(share * rng.uniform(0.85, 1.15)))
    return plans


# --- Building ----------------------------------------------------------------------------------


@dataclass
class _Officers:
    admin: User
    national: User
    ars: dict[str, User]  # by region
    cpam: dict[str, User]  # by département
    coordinators: dict[int, User] = field(default_factory=dict)


def _officers(summary: Summary) -> _Officers:
    admin = _user("admin", Role.ADMIN, "Alex", "Admin")
    national = _user("national", Role.NATIONAL, "Nora", "Nationale")
    ars = {}
    for code, name in Region.objects.order_by("code").values_list("code", "name"):
        ars[code] = _user(f"ars-{code}", Role.ARS, "Agence", f"ARS {name}"[:150], region_id=code)
    cpam = {}
    for departement in Departement.objects.order_by("code"):
        user = _user(
            f"cpam-{departement.code.lower()}",
            Role.CPAM,
            "Caisse",
            f"CPAM {departement.name}"[:150],
        )
        user.departements.set([departement])
        cpam[departement.code] = user
    _user("facilitateur", Role.FACILITATOR, "Fanny", "Facilitatrice")
    summary.users = User.objects.count()
    return _Officers(admin, national, ars, cpam)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in table for _ in range(weight)]


def _members(
    plans: list[_Plan],
    communities: list[Community],
    rng: random.Random,
    today: dt.date,
    tick: Callable[[int], None],
) -> int:
    professions = _weighted(rng, PROFESSIONS)
    structures = _weighted(rng, STRUCTURES)
    serial = rng.randrange(1_000_000, 9_000_000)  # RPPS bodies: 10 then eight digits
    finess = 0
    created = 0
    batch: list[Member] = []
    for item, community in zip(plans, communities, strict=True):
        departement = item.departement.replace("A", "0").replace("B", "0")[:2]
        founded = item.start - dt.timedelta(days=60)
        for number in range(item.members):
            # two thirds are founding members; the others joined since, until today
            joined = founded if number % 3 else _day_between(rng, founded, today)
            if number % 20 == 19:
                finess += 1
                body = f"{departement}{finess:06d}"
                kind = rng.choice(structures)
                batch.append(
                    Member(
                        community=community,
                        kind=Member.Kind.STRUCTURE,
                        name=f"{StructureKind(kind).label.capitalize()} de {community.name[5:]}"[
                            :200
                        ]
                        + f" n° {number}",
                        finess=body + luhn_check_digit(body),
                        structure_kind=kind,
                        joined_on=joined,
                        email=f"structure{finess}@example.org",
                    )
                )
            else:
                serial += 1
                body = f"10{serial:08d}"
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                batch.append(
                    Member(
                        community=community,
                        kind=Member.Kind.PROFESSIONAL,
                        name=f"{first} {last}",
                        rpps=body + luhn_check_digit(body),
                        profession=rng.choice(professions),
                        joined_on=joined,
                        email="" if number % 7 == 3 else f"{_ascii(first)}.{serial}@example.org",
                    )
                )
        if len(batch) >= 5000:
            Member.objects.bulk_create(batch, batch_size=5000)
            created += len(batch)
            batch = []
        tick(1)
    Member.objects.bulk_create(batch, batch_size=5000)
    return created + len(batch)


def _communities(
    plans: list[_Plan],
    officers: _Officers,
    rng: random.Random,
    today: dt.date,
    progress: Progress,
    summary: Summary,
) -> list[Community]:
    communities = bulk_create_audited(
        Community,
        (
            Community(
                name=item.name,
                association_name=f"Association {item.name}"[:200],
                departement_id=item.departement,
                population=0,
                created_on=item.start - dt.timedelta(days=60),
                email=f"contact{index}@cpts-nationale.example",
            )
            for index, item in enumerate(plans, start=1)
        ),
        officers.admin,
        batch_size=2000,
    )
    tick = progress.step("Périmètres (intercommunalités réelles)", len(plans))
    perimeters: list[Perimeter] = []
    pending: list[tuple[Perimeter, list[str]]] = []
    for item, community in zip(plans, communities, strict=True):
        begin = item.start - dt.timedelta(days=60)
        if item.early is not None:
            change = item.start + (((item.signed or today) - item.start) * 2) // 3
            first = Perimeter(community=community, valid_from=begin, valid_to=change, source=SOURCE)
            perimeters.append(first)
            pending.append((first, item.early))
            begin = change
        last = Perimeter(community=community, valid_from=begin, source=SOURCE)
        perimeters.append(last)
        pending.append((last, item.communes))
        community.population = population_of(item.communes, today)
        tick(1)
    bulk_create_audited(Perimeter, perimeters, officers.admin, batch_size=2000)
    bulk_create_audited(
        PerimeterItem,
        (
            PerimeterItem(perimeter=perimeter, commune_id=code)
            for perimeter, codes in pending
            for code in codes
        ),
        officers.admin,
        batch_size=5000,
    )
    Community.objects.bulk_update(communities, ["population"], batch_size=2000)
    summary.perimeters = len(perimeters)
    tick = progress.step("Membres (RPPS et FINESS avec clé de Luhn)", len(plans))
    summary.members = _members(plans, communities, rng, today, tick)
    return communities


def _lifecycle(
    item: _Plan, community: Community, officers: _Officers, rng: random.Random, today: dt.date
) -> Contract | None:
    """Letter of intent, decisions, accélérateur, health project and signature, by the services."""
    if item.stage == "project":
        return None
    ars, cpam = officers.ars[item.region], officers.cpam[item.departement]
    end = item.signed or min(today, item.start + dt.timedelta(days=rng.randint(200, 600)))
    span = max((end - item.start).days, 10)

    def at(fraction: float) -> dt.date:
        return min(today, item.start + dt.timedelta(days=int(span * fraction)))

    letter = services.file_letter_of_intent(
        community, officers.admin, item.start, "Projet de CPTS porté par les professionnels."
    )
    if item.stage == "letter_filed":
        return None
    if item.stage == "letter_refused":
        services.decide_letter_of_intent(
            letter, ars, False, "Le territoire proposé ne correspond pas aux bassins de vie.",
            at(0.15),
        )  # fmt: skip
        return None
    services.decide_letter_of_intent(letter, ars, True, "", at(0.15))
    if item.stage == "letter_validated":
        return None
    with contextlib.suppress(RuleError):  # before avenant 2, or not eligible: no accélérateur
        services.grant_accelerator(community, cpam, at(0.2))
    if item.stage == "accelerator":
        return None
    project = services.file_health_project(
        community, officers.admin, at(0.55), "Diagnostic territorial et plan d'action."
    )
    if item.stage == "project_filed":
        return None
    services.decide_health_project(project, ars, True, "", at(0.8))
    if item.signed is None:
        return None
    contract = services.sign_contract(
        community, cpam, item.signed, "Présidence de la CPTS", "Direction de la CPAM",
        "Direction générale de l'ARS",
    )  # fmt: skip
    if contract.period_end <= today:  # the first contract is over: renewed the day it ended
        renewal = services.sign_contract(
            community, cpam, contract.period_end, "Présidence de la CPTS",
            "Direction de la CPAM", "Direction générale de l'ARS",
        )  # fmt: skip
        _missions(contract, item, cpam, today)
        return renewal
    return contract


def _missions(contract: Contract, item: _Plan, user: User, today: dt.date) -> None:
    """Start and deployment of each mission (past contracts: written as the service would)."""
    if item.quality and not contract.missions.filter(mission=Mission.QUALITY.value).exists():
        save_audited(MissionCommitment(contract=contract, mission=Mission.QUALITY.value), user)
    delays = {"access": 120, "pathways": 300, "prevention": 330, "crisis": 150}
    for commitment in contract.missions.all():
        exists_from = (
            contract.signed_on
            if commitment.mission == Mission.QUALITY.value
            else default_tree().parameter(f"missions.core.{commitment.mission}").dates[0]
        )
        started = max(contract.signed_on, exists_from) + dt.timedelta(
            days=delays.get(commitment.mission, 200) - (30 if contract.renews_id else 0)
        )
        if started > today or started >= contract.period_end:
            continue
        deployed = started + dt.timedelta(days=300)
        commitment.started_on = started
        commitment.deployed_on = deployed if deployed <= today else None
        save_audited(commitment, user)


def _years(contract: Contract, today: dt.date) -> Iterator[int]:
    duration = default_tree().at("agreement.contract_duration_years", contract.signed_on).integer()
    for number in range(1, duration + 1):
        year = contract_year(contract.signed_on, number)
        if year.start > today or year.start >= contract.period_end:
            return
        yield number


def _annex(
    contract: Contract, cpam: User, filer: User, seed: int, today: dt.date
) -> tuple[int, list[int]]:
    """The indicators of every started year, with values and verdicts; returns how many and the
    years whose evaluation may be closed (finished for two months and a half)."""
    indicators: list[Indicator] = []
    labels: list[list[str]] = []
    closable = []
    for number in _years(contract, today):
        engine.record_year(contract, number, filer)
        year = contract_year(contract.signed_on, number)
        finished = year.end <= today
        decided_on = min(today, year.end + dt.timedelta(days=60))
        closes = year.end + dt.timedelta(days=75)
        if finished and closes <= today:
            closable.append(number)
        contract = Contract.objects.get(pk=contract.pk)  # years just recorded
        population = engine.year_facts(contract, number).population
        position = 0
        for mission, variable_part in engine.full_variable_parts(contract, number).items():
            for _template, data in indicators_for(mission, variable_part, population):
                position += 1
                reached = level(seed, number, position)
                indicator = Indicator(
                    contract=contract,
                    contract_year=number,
                    mission=data["mission"],
                    action=data["action"],
                    label=data["label"],
                    kind=data["kind"],
                    amount=data["amount"],
                    objective=data.get("objective"),
                    lower_is_better=bool(data.get("lower_is_better")),
                    tiers=data.get("tiers") or [],
                )
                labels.append(
                    [label for label in data["deliverables"].splitlines() if label.strip()]
                )
                indicators.append(indicator)
                if not finished and position % 2:
                    continue  # the year goes on: some values are not in yet
                value, done = measured(data, reached)
                indicator.measured_value = value
                indicator.done = done and finished
                if not finished or (number not in closable and position % 3 == 0):
                    continue  # waiting for the CPAM's decision
                indicator.verdict = (
                    Indicator.Verdict.ACCEPTED if reached else Indicator.Verdict.REFUSED
                )
                indicator.verdict_reason = "" if reached else _refusal(data, value)
                indicator.decided_by = cpam
                indicator.decided_on = decided_on
    created = bulk_create_audited(Indicator, indicators, filer, batch_size=2000)
    Deliverable.objects.bulk_create(
        [
            Deliverable(
                indicator=indicator,
                label=label[:300],
                ticked=indicator.verdict == Indicator.Verdict.ACCEPTED,
            )
            for indicator, names in zip(created, labels, strict=True)
            for label in names
        ],
        batch_size=5000,
    )
    return len(created), closable


def _crises(
    plans: list[_Plan],
    communities: list[Community],
    contracts: dict[int, Contract],
    officers: _Officers,
    rng: random.Random,
    today: dt.date,
    summary: Summary,
    progress: Progress,
) -> None:
    """The ARS declare the crises of :data:`CRISES` (the crisis part becomes due, by the
    payments' receiver); a third of the contracted communities concerned activate their plan."""
    regions = sorted(officers.ars)
    events = [
        (day, typology, title, description, region)
        for day, typology, title, description, chosen in CRISES
        for region in (chosen or regions)
        if region in officers.ars and day <= today
    ]
    tick = progress.step("Crises déclarées par les ARS, activations", len(events))
    by_region: dict[str, list[Community]] = defaultdict(list)
    for item, community in zip(plans, communities, strict=True):
        if community.pk in contracts:
            by_region[item.region].append(community)
    paris = timezone.get_current_timezone()
    for day, typology, title, description, region in events:
        crisis, _payments = declare_crisis(officers.ars[region], day, typology, title, description)
        summary.crises += 1
        for community in by_region[region]:
            contract = contracts[community.pk]
            if not (contract.signed_on <= day < contract.period_end) or rng.random() > 0.3:
                continue
            coordinator = officers.coordinators.get(community.pk)
            if coordinator is None:
                coordinator = _user(
                    f"coordination-{community.pk}", Role.COORDINATOR, "Coordination",
                    community.name[:150], community=community,
                )  # fmt: skip
                officers.coordinators[community.pk] = coordinator
            activation = response.activate(crisis, community, coordinator)
            activated = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, 30), paris)
            closed = dt.datetime.combine(day + dt.timedelta(weeks=5), dt.time(18, 0), paris)
            if closed.date() <= today:
                response.close(activation, coordinator)
                CrisisActivation.objects.filter(pk=activation.pk).update(
                    activated_at=activated, closed_at=closed
                )
            else:
                CrisisActivation.objects.filter(pk=activation.pk).update(activated_at=activated)
            summary.activations += 1
        ended = day + dt.timedelta(weeks=6)
        if ended <= today:
            end_crisis(officers.ars[region], crisis, ended)
        tick(1)


def _payments(
    plans: list[_Plan],
    communities: list[Community],
    officers: _Officers,
    today: dt.date,
    summary: Summary,
    tick: Callable[[int], None],
) -> None:
    """The CPAM's payment runs of five years, as ``ledger.run_payments`` books them run after run
    (one run per département at each of :func:`run_dates`): for every started contract year, the
    engine's schedule (``payment_schedule(engine_input)``), each entry paid by the first run on or
    after its due date; the balance (or recovery) by ``settle_year`` once the evaluation is
    closed; the entries recorded as due (accélérateur, crisis part) paid by the first run after
    their date. Written in bulk: running the ledger fifteen times over a thousand contracts
    takes too long; a run of the real ledger afterwards finds nothing left to pay (tested)."""
    dates = run_dates(today)
    runs: dict[tuple[dt.date, str], PaymentRun] = {}  # the runs that pay something

    def run_for(day: dt.date, departement: str) -> PaymentRun | None:
        run_on = next((run_on for run_on in dates if run_on >= day), None)
        if run_on is None:
            return None
        if (run_on, departement) not in runs:
            runs[(run_on, departement)] = PaymentRun(
                run_on=run_on,
                created_by=officers.cpam[departement],
                scope=f"CPAM — départements {departement}",
            )
        return runs[(run_on, departement)]

    entries: list[Payment] = []
    departement_of = {
        community.pk: item.departement for item, community in zip(plans, communities, strict=True)
    }
    for contract in Contract.objects.select_related("community").order_by(
        "community_id", "signed_on"
    ):
        departement = departement_of[contract.community_id]
        for number in _years(contract, today):
            contract = Contract.objects.get(pk=contract.pk)
            facts = engine.year_facts(contract, number)
            plan = payment_schedule(engine.engine_input(contract, number))
            existing = list(contract.payments.filter(contract_year=number))
            for scheduled in plan.payments:
                if scheduled.due > today:
                    continue
                day = scheduled.due
                if scheduled.kind == PaymentKind.BALANCE:
                    if facts.total is None:
                        continue  # the evaluation is not closed: no balance yet
                    closed = contract.evaluations.get(contract_year=number).closed_on
                    day = max(day, closed or day)
                    advanced = sum((p.amount for p in existing), Decimal(0))
                    settlement = settle_year(
                        facts.total, advanced, contract_year(contract.signed_on, number).end
                    )
                    if settlement.amount == 0:
                        continue
                    kind = settlement.kind
                    label = (
                        scheduled.label
                        if settlement.kind == "balance"
                        else "Reprise sur avances : le total définitif est inférieur aux avances"
                    )
                    amount = settlement.amount
                    explanation = {"settlement": settlement.to_dict(), "year": facts.result}
                else:
                    if any(
                        p.kind == scheduled.kind
                        and (scheduled.kind != PaymentKind.MISSION_START or p.due_on == day)
                        for p in existing
                    ):
                        continue  # booked already (a crisis part: when the ARS declared it)
                    kind, label, amount = scheduled.kind, scheduled.label, scheduled.amount
                    explanation = {"payment": scheduled.to_dict(), "year": plan.result.to_dict()}
                run = run_for(day, departement)
                if run is None:
                    continue  # due after today's run
                payment = Payment(
                    community_id=contract.community_id,
                    contract=contract,
                    contract_year=number,
                    kind=kind,
                    label=label,
                    amount=amount,
                    due_on=scheduled.due,
                    paid_on=run.run_on,
                    status=Payment.Status.PAID,
                    run=run,
                    explanation=explanation,
                )
                existing.append(payment)
                entries.append(payment)
        tick(1)
    due = list(Payment.objects.filter(status=Payment.Status.DUE, due_on__lte=today))
    paid_due = [
        (payment, run)
        for payment in due
        if (run := run_for(payment.due_on, departement_of[payment.community_id])) is not None
    ]
    created_runs = bulk_create_audited(
        PaymentRun, sorted(runs.values(), key=lambda run: (run.run_on, run.scope)), officers.admin
    )
    for payment in entries:
        payment.run = payment.run  # the run's id, now that it is saved
    bulk_create_audited(Payment, entries, officers.admin, batch_size=2000)
    for payment, run in paid_due:
        payment.status = Payment.Status.PAID
        payment.paid_on = run.run_on
        payment.run = run
        save_audited(payment, run.created_by)
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for run_id, amount in Payment.objects.filter(run__isnull=False).values_list("run", "amount"):
        totals[run_id].append(amount)
    for run in created_runs:
        amounts = totals.get(run.pk, [])
        run.payments_count = len(amounts)
        run.total = sum(amounts, Decimal(0))
    PaymentRun.objects.bulk_update(created_runs, ["payments_count", "total"], batch_size=2000)
    summary.payment_runs = len(created_runs)
    summary.payments = Payment.objects.count()


@transaction.atomic
def seed_national(
    count: int = 1000,
    seed: int = 2026,
    today: dt.date | None = None,
    progress: Progress | None = None,
    *,
    wipe: bool = False,
) -> Summary:
    """Build the national demo (see the module's docstring); returns what was created."""
    today = today or timezone.localdate()
    progress = progress or _Silent()
    if wipe:
        reset()
    plans = plan(count, seed, today)  # a count out of range is refused first
    check_empty()
    rng = random.Random(seed)
    summary = Summary()
    officers = _officers(summary)
    communities = _communities(plans, officers, rng, today, progress, summary)
    summary.communities = len(communities)

    tick = progress.step("Lettres d'intention, projets de santé, contrats", len(plans))
    contracts: dict[int, Contract] = {}
    for item, community in zip(plans, communities, strict=True):
        summary.stages[item.stage] = summary.stages.get(item.stage, 0) + 1
        contract = _lifecycle(item, community, officers, rng, today)
        if contract is not None:
            _missions(contract, item, officers.cpam[item.departement], today)
            contracts[community.pk] = contract
        tick(1)
    summary.contracts = Contract.objects.count()

    _crises(plans, communities, contracts, officers, rng, today, summary, progress)

    tick = progress.step("Annexes, évaluations closes par le moteur", len(contracts))
    for index, (item, community) in enumerate(zip(plans, communities, strict=True)):
        if community.pk not in contracts:
            continue
        cpam = officers.cpam[item.departement]
        for contract in community.contracts.order_by("signed_on"):
            added, closable = _annex(contract, cpam, officers.admin, index, today)
            summary.indicators += added
            for number in closable:
                on = contract_year(contract.signed_on, number).end + dt.timedelta(days=75)
                services.close_evaluation(contract, number, cpam, on)
                summary.evaluations += 1
        tick(1)

    # Perimeters that grew after the signature: through the service (an amendment is proposed).
    for item, community in zip(plans, communities, strict=True):
        if item.grows is not None:
            day, codes = item.grows
            communes = list(Commune.objects.filter(code__in=codes))
            set_perimeter(community, communes, day, SOURCE, officers.ars[item.region])

    tick = progress.step("Paiements (échéancier du moteur, campagnes)", summary.contracts)
    _payments(plans, communities, officers, today, summary, tick)
    summary.contract_years = ContractYear.objects.count()
    summary.users = User.objects.count()
    return summary


__all__ = ["NationalError", "Summary", "plan", "reset", "run_dates", "seed_national"]
