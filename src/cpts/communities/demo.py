"""Demo data: about twenty communities across three regions, in every state of the lifecycle,
contracted ones with a full indicator annex, and one user per role.

Everything goes through the services, as a user would: the amounts come from the rules engine
and every change is in the audit trail. Populations and names of communities are synthetic;
the geography is real (INSEE codes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from cpts.accounts.models import Role, User
from cpts.aci import Mission, contract_year, default_tree
from cpts.aci.calendar import year_of
from cpts.contracts import engine, services
from cpts.contracts.models import Deliverable, Indicator
from cpts.crises.models import Typology
from cpts.crises.services import declare_crisis
from cpts.territory.models import Departement

from .identifiers import luhn_check_digit
from .models import Community, Member, Profession, StructureKind

PASSWORD = "demo-cpts-2026"


@dataclass(frozen=True)
class Seed:
    name: str
    departement: str
    population: int
    stage: str  # project | letter_filed | letter_refused | letter_validated | accelerator | project_filed | project_validated | contract
    signed: dt.date | None = None
    members: int = 30


SEEDS = [
    Seed("CPTS Lille Métropole Nord", "59", 182_000, "contract", dt.date(2022, 3, 15), 120),
    Seed("CPTS du Douaisis", "59", 95_000, "contract", dt.date(2023, 1, 15), 60),
    Seed("CPTS Côte d'Opale", "62", 68_000, "contract", dt.date(2024, 2, 1), 45),
    Seed("CPTS Artois Ternois", "62", 38_500, "contract", dt.date(2025, 3, 1), 25),
    Seed("CPTS Amiénois", "80", 150_000, "project_validated"),
    Seed("CPTS Sud Oise", "60", 72_000, "project_filed"),
    Seed("CPTS Laonnois", "02", 41_000, "accelerator"),
    Seed("CPTS Thiérache", "02", 33_000, "letter_filed"),
    Seed("CPTS Toulouse Rive Gauche", "31", 120_000, "contract", dt.date(2022, 6, 1), 80),
    Seed("CPTS Montpellier Est", "34", 176_000, "contract", dt.date(2023, 9, 1), 105),
    Seed("CPTS Pays de Nîmes", "30", 58_000, "contract", dt.date(2024, 10, 1), 40),
    Seed("CPTS Grand Tarbes", "65", 80_000, "letter_validated"),
    Seed("CPTS Aveyron Sud", "12", 27_000, "accelerator"),
    Seed("CPTS Perpignan Méditerranée", "66", 110_000, "letter_refused"),
    Seed("CPTS Lot Vallée", "46", 22_000, "project"),
    Seed("CPTS Paris 18", "75", 190_000, "contract", dt.date(2025, 11, 1), 140),
    Seed("CPTS Boucle Nord de Seine", "92", 130_000, "contract", dt.date(2026, 6, 1), 70),
    Seed("CPTS Val de Marne Est", "94", 88_000, "project_validated"),
    Seed("CPTS Plaine Commune", "93", 160_000, "project_filed"),
    Seed("CPTS Essonne Centre", "91", 64_000, "letter_filed"),
    Seed("CPTS Versailles Grand Parc", "78", 45_000, "project"),
]


def _departements(*codes: str) -> list[Departement]:
    return list(Departement.objects.filter(code__in=codes))


def _user(username: str, role: Role, first: str, last: str, **fields: object) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "first_name": first,
            "last_name": last,
            "email": f"{username}@demo.example",
            **fields,
        },
    )
    user.set_password(PASSWORD)
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    return user


def _members(community: Community, count: int, index: int) -> None:
    professions = list(Profession)
    members = []
    for number in range(count):
        if number % 10 == 9:
            body = f"{community.departement_id[:2].replace('A', '0').replace('B', '0')}{index:02d}{number:04d}"
            members.append(
                Member(
                    community=community,
                    kind=Member.Kind.STRUCTURE,
                    name=f"Maison de santé {number}",
                    finess=body + luhn_check_digit(body),
                    structure_kind=StructureKind.MSP,
                )
            )
        else:
            body = f"10{index:03d}{number:05d}"
            members.append(
                Member(
                    community=community,
                    kind=Member.Kind.PROFESSIONAL,
                    name=f"Professionnel {index}-{number}",
                    rpps=body + luhn_check_digit(body),
                    profession=professions[number % len(professions)],
                )
            )
    Member.objects.bulk_create(members)


def _annex(contract, number: int, cpam: User, coordinator: User | None, today: dt.date) -> None:  # type: ignore[no-untyped-def]
    """Indicators whose amounts add up to each variable part, and their evaluation if the year is over."""
    targets = engine.full_variable_parts(contract, number)
    year = contract_year(contract.signed_on, number)
    finished = year.end <= today
    for mission, target in targets.items():
        graded = (target * Decimal("0.4")).quantize(Decimal("0.01"))
        goal = (target * Decimal("0.3")).quantize(Decimal("0.01"))
        done = target - graded - goal
        label = Mission(mission).label
        items = [
            Indicator(
                contract=contract, contract_year=number, mission=mission, action=f"{label} : action principale",
                label="Taux de patients couverts", kind=Indicator.Kind.GRADED, amount=graded,
                tiers=[
                    {"label": "socle", "threshold": "60", "amount": str((graded * Decimal("0.3")).quantize(Decimal("0.01")))},
                    {"label": "intermédiaire", "threshold": "70", "amount": str((graded * Decimal("0.7")).quantize(Decimal("0.01")))},
                    {"label": "objectif", "threshold": "80", "amount": str(graded)},
                ],
                measured_value=Decimal("72") if finished or number % 2 else None,
            ),
            Indicator(
                contract=contract, contract_year=number, mission=mission, action=f"{label} : suivi",
                label="Professionnels engagés dans l'action", kind=Indicator.Kind.TARGET, objective=Decimal(40),
                amount=goal, measured_value=Decimal(43) if finished else Decimal(25),
            ),
            Indicator(
                contract=contract, contract_year=number, mission=mission, action=f"{label} : coordination",
                label="Réunion pluriprofessionnelle annuelle tenue", kind=Indicator.Kind.DONE, amount=done,
                done=finished,
            ),
        ]  # fmt: skip
        for item in items:
            item.save()
            Deliverable.objects.create(
                indicator=item, label="Compte rendu et feuille d'émargement", ticked=finished
            )
            Deliverable.objects.create(
                indicator=item, label="Statistiques CPAM", ticked=finished and item.kind != "done"
            )
        if finished:
            for item in items:
                accept = item.kind != Indicator.Kind.TARGET or number % 2 == 1
                services.decide_indicator(
                    item, cpam, accept, "" if accept else "Objectif non atteint", year.end
                )
    if finished:
        services.close_evaluation(contract, number, cpam, year.end)


def _perimeters() -> None:
    """Real communes for each community: in its département, in INSEE code order, until its
    population is reached (Paris 18: the 18th arrondissement). Two neighbours share a commune, so
    that the ARS has an overlap to settle. The population of each community then follows the legal
    populations of its perimeter."""
    from cpts.territory.models import Commune
    from cpts.territory.perimeters import set_perimeter

    used: set[str] = set()
    first: dict[str, Commune] = {}
    for community in Community.objects.order_by("pk"):
        if community.departement_id == "75":
            chosen = list(Commune.objects.filter(code="75118"))
        else:
            chosen, total = [], 0
            candidates = Commune.objects.filter(
                departement_id=community.departement_id, kind="commune"
            ).order_by("code")
            for commune in candidates.exclude(code__in=used):
                if total and total + (commune.population or 0) > community.population:
                    continue
                chosen.append(commune)
                total += commune.population or 0
                if total >= community.population * 0.97:
                    break
        used |= {commune.code for commune in chosen}
        if chosen:
            first.setdefault(community.departement_id, chosen[0])
            if community.name == "CPTS du Douaisis" and "59" in first:
                chosen.append(first["59"])  # shared with CPTS Lille Métropole Nord
            set_perimeter(community, chosen, dt.date(2024, 1, 1), "données de démonstration")


@transaction.atomic
def seed_demo(today: dt.date) -> dict[str, str]:
    """Create the demo; returns the logins (username -> role)."""
    admin = _user("admin", Role.ADMIN, "Alex", "Admin")
    _user("national", Role.NATIONAL, "Nora", "Nationale")
    cpam = _user("cpam", Role.CPAM, "Camille", "CPAM du Nord")
    cpam.departements.set(_departements("59", "62", "80", "60", "02"))
    ars = _user("ars", Role.ARS, "Antoine", "ARS Hauts-de-France", region_id="32")
    ars_occ = _user("ars-occitanie", Role.ARS, "Olivia", "ARS Occitanie", region_id="76")
    cpam_occ = _user("cpam-occitanie", Role.CPAM, "Lucas", "CPAM d'Occitanie")
    cpam_occ.departements.set(_departements("31", "34", "30", "65", "12", "66", "46"))
    cpam_idf = _user("cpam-idf", Role.CPAM, "Inès", "CPAM d'Île-de-France")
    cpam_idf.departements.set(_departements("75", "92", "93", "94", "91", "78"))
    ars_idf = _user("ars-idf", Role.ARS, "Ilan", "ARS Île-de-France", region_id="11")
    facilitator = _user("facilitateur", Role.FACILITATOR, "Fanny", "Facilitatrice")
    officers = {"32": (ars, cpam), "76": (ars_occ, cpam_occ), "11": (ars_idf, cpam_idf)}

    coordinator = None
    for index, seed in enumerate(SEEDS, start=1):
        community = Community.objects.create(
            name=seed.name,
            association_name=f"Association {seed.name}",
            departement_id=seed.departement,
            population=seed.population,
            email=f"contact{index}@cpts-demo.example",
        )
        ars_user, cpam_user = officers[community.departement.region_id]
        _members(community, seed.members if seed.stage == "contract" else 12, index)
        if index == 1:
            coordinator = _user(
                "coordination", Role.COORDINATOR, "Claire", "Coordinatrice", community=community
            )
        if index in (3, 7, 13):
            facilitator.accompanied.add(community)
        if seed.stage == "project":
            continue
        actor = coordinator if index == 1 and coordinator is not None else admin
        start = (seed.signed or today) - dt.timedelta(days=400)
        letter = services.file_letter_of_intent(
            community, actor, start, "Projet de CPTS porté par les professionnels du territoire."
        )
        if seed.stage == "letter_filed":
            continue
        if seed.stage == "letter_refused":
            services.decide_letter_of_intent(
                letter,
                ars_user,
                False,
                "Le territoire recouvre celui d'une CPTS existante.",
                start + dt.timedelta(days=30),
            )
            continue
        services.decide_letter_of_intent(letter, ars_user, True, "", start + dt.timedelta(days=30))
        if seed.stage == "letter_validated":
            continue
        if seed.stage != "contract" or (
            seed.signed and seed.signed >= dt.date(2022, 4, 1) + dt.timedelta(days=240)
        ):
            granted = start + dt.timedelta(days=45)
            if granted >= dt.date(2022, 4, 1):
                services.grant_accelerator(community, cpam_user, granted)
        if seed.stage == "accelerator":
            continue
        project = services.file_health_project(
            community,
            actor,
            start + dt.timedelta(days=200),
            "Diagnostic territorial et plan d'action sur les missions socles.",
        )
        if seed.stage == "project_filed":
            continue
        services.decide_health_project(project, ars_user, True, "", start + dt.timedelta(days=260))
        if seed.stage == "project_validated" or seed.signed is None:
            continue
        contract = services.sign_contract(
            community,
            cpam_user,
            seed.signed,
            "Présidence de la CPTS",
            "Direction de la CPAM",
            "Direction générale de l'ARS",
        )
        for commitment in contract.missions.all():
            delay = {"access": 120, "pathways": 300, "prevention": 330, "crisis": 150}.get(
                commitment.mission, 200
            )
            started = max(
                seed.signed,
                default_tree().parameter(f"missions.core.{commitment.mission}").dates[0],
            ) + dt.timedelta(days=delay)
            if started <= today:
                deployed = started + dt.timedelta(days=300)
                services.record_mission(
                    commitment, cpam_user, started, deployed if deployed <= today else None
                )
        if index % 3 == 0:
            services.add_mission(contract, cpam_user, Mission.QUALITY)
        current = year_of(seed.signed, today)
        duration = default_tree().at("agreement.contract_duration_years", seed.signed).integer()
        for number in range(1, min(current, duration) + 1):
            _annex(contract, number, cpam_user, coordinator, today)

    _perimeters()
    declare_crisis(
        ars,
        dt.date(2025, 1, 20),
        Typology.EPIDEMIC,
        "Épidémie de grippe saisonnière",
        "Tension hospitalière régionale.",
    )
    declare_crisis(
        ars_occ, dt.date(2026, 7, 15), Typology.CLIMATE, "Canicule", "Vigilance rouge canicule.", []
    )
    from cpts.contracts import ledger

    for cpam_user in (cpam, cpam_occ, cpam_idf):
        ledger.run_payments(cpam_user, today)
    return {user.username: user.get_role_display() for user in User.objects.order_by("pk")}
