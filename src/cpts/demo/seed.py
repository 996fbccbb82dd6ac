"""Demo data: communities on real territories of three regions, in every state of the lifecycle,
contracted ones with an indicator annex modelled on real contracts, and one user per role.

Everything goes through the services, as a user would: the amounts come from the rules engine
and every change is in the audit trail. The geography is real: each perimeter is an
intercommunality (EPCI à fiscalité propre, or an établissement public territorial of the Grand
Paris), a union of neighbouring ones, or a sector of a metropolis (communes of that EPCI), as
the DGCL lists them (``territory/data/epci.csv.gz``); populations are the legal populations of
those communes. A few communes are claimed by two communities (overlaps), and most of each
region is covered by none (white zones). People, members and figures of the annexes are made up.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Min
from django.test import override_settings
from django.utils import timezone

from cpts.accounts.models import Role, User
from cpts.aci import Mission, contract_year, default_tree
from cpts.aci.calendar import year_of
from cpts.communities.identifiers import luhn_check_digit
from cpts.communities.models import Community, Member, Profession, StructureKind
from cpts.communities.perimeters import set_perimeter
from cpts.contracts import engine, services
from cpts.contracts.measures import fill_measured_values
from cpts.contracts.models import Contract, Indicator
from cpts.core import tasks
from cpts.crises import response
from cpts.crises.models import (
    CrisisActivation,
    CrisisMessage,
    HealthCrisis,
    Typology,
)
from cpts.crises.plans import adopt_plan
from cpts.crises.selectors import plan_in_force
from cpts.crises.services import declare_crisis, end_crisis
from cpts.territory.models import Commune, Departement, Epci

from . import sas_history
from .annex import indicators_for, level, measured
from .claims import Plan
from .runs import run_dates
from .sas import seed_sas

PASSWORD = "demo-cpts-2026"

#: Sectors of the Métropole Européenne de Lille (200093201): a metropolis of 1.2 million people
#: is shared between several CPTS. Both claim Marcq-en-Barœul (59378): an overlap to settle.
LILLE_NORD = (
    "59350",  # Lille
    "59328",  # Lambersart
    "59368",  # La Madeleine
    "59527",  # Saint-André-lez-Lille
    "59386",  # Marquette-lez-Lille
    "59636",  # Wambrechies
    "59378",  # Marcq-en-Barœul
    "59090",  # Bondues
    "59611",  # Verlinghem
    "59356",  # Lompret
    "59482",  # Quesnoy-sur-Deûle
    "59173",  # Deûlémont
    "59643",  # Warneton
)
ROUBAIX_TOURCOING = (
    "59512",  # Roubaix
    "59599",  # Tourcoing
    "59650",  # Wattrelos
    "59163",  # Croix
    "59646",  # Wasquehal
    "59421",  # Mouvaux
    "59508",  # Roncq
    "59426",  # Neuville-en-Ferrain
    "59279",  # Halluin
    "59339",  # Leers
    "59367",  # Lys-lez-Lannoy
    "59299",  # Hem
    "59332",  # Lannoy
    "59598",  # Toufflers
    "59378",  # Marcq-en-Barœul, also claimed by Métropole lilloise Nord
)


@dataclass(frozen=True)
class Seed:
    name: str
    departement: str  # the seat
    stage: str  # project | letter_filed | letter_refused | letter_validated | accelerator | project_filed | project_validated | contract
    epcis: tuple[str, ...] = ()  # SIREN codes of the EPCI whose communes make the perimeter
    communes: tuple[str, ...] = ()  # INSEE codes added to them (a sector, a neighbour claimed)
    signed: dt.date | None = None
    members: int = 12
    accompanied: bool = False  # by the facilitator
    quality: bool = False  # the optional mission « qualité et pertinence » added to the contract
    grows: tuple[dt.date, tuple[str, ...]] | None = field(default=None)  # a later perimeter
    #: a core mission started in time whose deployment drags on: not deployed by its deadline
    late: str = ""


SEEDS = [
    # Hauts-de-France (32)
    Seed("CPTS Métropole lilloise Nord", "59", "contract", communes=LILLE_NORD,
         signed=dt.date(2022, 3, 15), members=120),
    Seed("CPTS du Douaisis", "59", "contract", ("200044618",), signed=dt.date(2023, 1, 15),
         members=60, grows=(dt.date(2026, 9, 1), ("200044618", "245901152"))),  # + Cœur d'Ostrevent
    Seed("CPTS du Calaisis", "62", "contract", ("200090751",), signed=dt.date(2024, 2, 1),
         members=45, accompanied=True, quality=True),
    Seed("CPTS du Ternois", "62", "contract", ("200069672",), signed=dt.date(2025, 3, 1), members=25,
         late="access"),  # a small rural CPTS: access to care started, not deployed in 18 months
    Seed("CPTS Amiens Métropole", "80", "project_validated", ("248000531",)),
    Seed("CPTS du Bassin creillois", "60", "project_filed", ("200068047", "246000921")),
    Seed("CPTS du Pays de Laon", "02", "accelerator", ("200043495",), accompanied=True),
    Seed("CPTS de Thiérache", "02", "letter_filed",
         ("240200444", "240200600", "200071983", "240200634")),
    Seed("CPTS Roubaix-Tourcoing", "59", "letter_validated", communes=ROUBAIX_TOURCOING),
    # Occitanie (76)
    Seed("CPTS du Muretain", "31", "contract", ("200068641",), signed=dt.date(2022, 6, 1),
         members=80, quality=True),
    Seed("CPTS Pays de l'Or et Lunellois", "34", "contract", ("243400470", "243400520"),
         signed=dt.date(2023, 9, 1), members=105),
    Seed("CPTS Vistre et Vidourle", "30", "contract", ("243000569", "243000296"), ("34340",),
         signed=dt.date(2024, 10, 1), members=40),  # also claims Villetelle, of Lunel Agglo
    Seed("CPTS Tarbes-Lourdes-Pyrénées", "65", "letter_validated", ("200069300",)),
    Seed("CPTS du Sud-Aveyron", "12", "accelerator", ("241200567", "241200906"), accompanied=True),
    Seed("CPTS Perpignan Méditerranée", "66", "letter_refused", ("200027183",)),
    Seed("CPTS du Grand Cahors", "46", "project", ("200023737",)),
    # Île-de-France (11)
    Seed("CPTS Paris 18", "75", "contract", communes=("75118",), signed=dt.date(2025, 11, 1),
         members=140),
    Seed("CPTS Boucle Nord de Seine", "92", "contract", ("200057990",), signed=dt.date(2026, 6, 1),
         members=70),
    Seed("CPTS Grand Paris Sud Est Avenir", "94", "project_validated", ("200058006",)),
    Seed("CPTS Plaine Commune", "93", "project_filed", ("200057867",), ("92078",)),  # + Villeneuve-la-Garenne
    Seed("CPTS Cœur d'Essonne", "91", "letter_filed", ("200057859",)),
    Seed("CPTS Versailles Grand Parc", "78", "project", ("247800584",)),
]  # fmt: skip

#: Communities whose annex takes measured values from the demo's claims (``claims.py``), and how
#: many of their last finished contract years the CPAM filled from them: the earlier ones are
#: accepted and closed, the latest waits for the CPAM's decisions (one accepted so far).
COMPUTED = {"CPTS Métropole lilloise Nord": 2, "CPTS du Calaisis": 1}


def computed_years(seed: Seed, today: dt.date) -> list[int]:
    """The contract years of ``seed`` filled from the claims (see :data:`COMPUTED`)."""
    if seed.name not in COMPUTED or seed.signed is None:
        return []
    duration = default_tree().at("agreement.contract_duration_years", seed.signed).integer()
    finished = [
        number
        for number in range(1, duration + 1)
        if contract_year(seed.signed, number).end <= today
    ]
    return finished[-COMPUTED[seed.name] :]


def claims_plan(today: dt.date) -> Plan | None:
    """The claims the demo needs on ``today``: the départements of :data:`COMPUTED`, from two
    years before the first year filled (the screening looks two years back) to the last day of
    the last one; None when no year is finished yet."""
    years = [
        contract_year(seed.signed, number)
        for seed in SEEDS
        if seed.signed is not None
        for number in computed_years(seed, today)
    ]
    if not years:
        return None
    first = min(year.start for year in years)
    return Plan(
        departements=tuple(sorted({seed.departement for seed in SEEDS if seed.name in COMPUTED})),
        start=first.replace(year=first.year - 2, day=min(first.day, 28)),
        end=max(year.end for year in years) - dt.timedelta(days=1),
    )


def _departements(*codes: str) -> list[Departement]:
    return list(Departement.objects.filter(code__in=codes))


@functools.cache
def _password_hash() -> str:
    """The demo password hashed once (PBKDF2 takes a third of a second, by design)."""
    return make_password(PASSWORD)


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
    user.password = _password_hash()
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
                    email=f"msp{index}-{number}@example.org",
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
                    # fictional addresses; one member in seven has none (« sans adresse »)
                    email="" if number % 7 == 3 else f"pro{index}-{number}@example.org",
                )
            )
    Member.objects.bulk_create(members)


def _crisis_response(crisis: HealthCrisis, community: Community, coordinator: User) -> None:
    """The demo community's response to the flu epidemic: its plan in force (the 2024 update, from
    :func:`_crisis_plans`), activated the day after the declaration, two actions, three members mobilised, and the
    information message, sent (the e-mails to fictional addresses go nowhere: a dummy backend);
    the activation closed six weeks after the declaration."""
    paris = ZoneInfo("Europe/Paris")
    day = crisis.declared_on
    activation = response.activate(crisis, community, coordinator)
    # dated as if activated the day after the declaration, with the plan in force that day
    CrisisActivation.objects.filter(pk=activation.pk).update(
        activated_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, 30), paris),
        plan=plan_in_force(community, day + dt.timedelta(days=1)),
    )
    activation.refresh_from_db()
    response.log_action(
        activation,
        coordinator,
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9, 0), paris),
        "Cellule de crise réunie : point sur les effectifs et les consultations non programmées.",
    )
    response.log_action(
        activation,
        coordinator,
        dt.datetime.combine(day + dt.timedelta(days=2), dt.time(14, 0), paris),
        "Créneaux de soins non programmés ouverts le samedi dans deux maisons de santé.",
    )
    mobilised = list(
        community.members.filter(kind=Member.Kind.PROFESSIONAL)
        .order_by("pk")
        .values_list("pk", flat=True)[:3]
    )
    response.mobilise(
        activation,
        coordinator,
        mobilised,
        "Renfort des soins non programmés",
        day + dt.timedelta(days=1),
    )
    message = response.send_message(
        activation,
        coordinator,
        "activation",
        "Merci d'indiquer vos disponibilités pour les créneaux du samedi à la coordination.",
    )
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        tasks.run_due(limit=10_000)
    # dated as if sent that morning (the demo is seeded long after the crisis)
    sent_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10, 0), paris)
    CrisisMessage.objects.filter(pk=message.pk).update(created_at=sent_at)
    message.deliveries.exclude(sent_at=None).update(sent_at=sent_at + dt.timedelta(minutes=1))
    # the epidemic over, the community closed its response six weeks after the declaration
    response.close(activation, coordinator)
    CrisisActivation.objects.filter(pk=activation.pk).update(
        closed_at=dt.datetime.combine(day + dt.timedelta(weeks=6), dt.time(18, 0), paris)
    )


def _annex(
    contract: Contract,
    number: int,
    seed: int,
    cpam: User,
    filer: User,
    today: dt.date,
    claims_dir: Path | None = None,
    latest: bool = False,
) -> None:
    """The annex of a contract year: per mission, indicators whose amounts add up exactly to its
    variable part; values recorded by the community; if the year is over, deliverables supplied,
    each indicator accepted or refused by the CPAM, and the evaluation closed.

    With ``claims_dir``, the indicators the claims measure are bound to the computed ones and
    the CPAM fills them from the claims (``fill_measured_values``, with their provenance), then
    accepts them; the ``latest`` year stays open: the CPAM has accepted one so far."""
    year = contract_year(contract.signed_on, number)
    finished = year.end <= today
    population = engine.year_facts(contract, number).population
    bound: list[Indicator] = []
    position = 0
    for mission, variable_part in engine.full_variable_parts(contract, number).items():
        for _template, data in indicators_for(
            mission, variable_part, population, computed=claims_dir is not None
        ):
            position += 1
            indicator = services.add_indicator(contract, number, cpam, data)
            if indicator.computed_code:
                bound.append(indicator)
                continue  # measured by the CPAM from the claims, below
            reached = level(seed, number, position)
            if not finished and position % 2:
                continue  # the year goes on: some values are not in yet
            value, done = measured(data, reached)
            services.record_indicator(indicator, filer, value, done and finished, "")
            if not finished:
                continue
            if reached:
                for deliverable in indicator.deliverables.all():
                    services.update_deliverable(deliverable, filer, True)
            services.decide_indicator(
                indicator, cpam, bool(reached), "" if reached else _refusal(data, value), year.end
            )
    if claims_dir is not None and bound:
        fill_measured_values(contract, number, cpam, claims_dir)
        for place, indicator in enumerate(bound):
            if latest and place:
                continue  # measured, waiting for the CPAM's decision
            indicator.refresh_from_db()
            for deliverable in indicator.deliverables.all():
                services.update_deliverable(deliverable, filer, True)
            services.decide_indicator(indicator, cpam, True, "", year.end)
        if latest:
            return
    if finished:
        services.close_evaluation(contract, number, cpam, year.end)


#: The demo coordinator's crisis plan: written in 2023, updated in 2024 (two axes and one
#: typology changed), so that the versions page has something to compare, then each year.
CRISIS_PLAN_2023 = {
    "year": 2023,
    "adopted_on": dt.date(2023, 3, 20),
    "typologies": ["epidemic", "climate", "accident"],
    "axis_actions": (
        "Cellule de crise de la CPTS : la présidente, la coordinatrice et un référent par "
        "profession.\nDéclenchement par la présidente sur alerte de l'ARS ; réunion sous 24 heures."
    ),
    "axis_coordination_medico_social": (
        "Liste partagée des personnes fragiles suivies à domicile, tenue avec les SSIAD et les "
        "EHPAD du secteur.\nAppel des personnes isolées pendant les épisodes de canicule."
    ),
    "axis_coordination_hospitals": (
        "Lien avec le service des urgences du centre hospitalier : un numéro dédié pour les "
        "sorties d'hospitalisation pendant la crise."
    ),
    "axis_information_professionals": (
        "Message aux membres par la messagerie sécurisée de santé, relayé par les référents de "
        "chaque profession."
    ),
    "axis_information_population": (
        "Affiches dans les pharmacies et les mairies ; messages sur le site de la CPTS."
    ),
}
CRISIS_PLAN_2024 = {
    **CRISIS_PLAN_2023,
    "year": 2024,
    "adopted_on": dt.date(2024, 3, 18),
    "typologies": ["epidemic", "climate", "accident", "supply"],
    "axis_actions": (
        "Cellule de crise de la CPTS : la présidente, la coordinatrice et un référent par "
        "profession.\nDéclenchement par la présidente ou la coordinatrice sur alerte de l'ARS ; "
        "réunion sous 12 heures."
    ),
    "axis_coordination_hospitals": (
        "Lien avec le service des urgences du centre hospitalier et le SAS : un numéro dédié pour "
        "les sorties d'hospitalisation et l'orientation des soins non programmés pendant la crise."
    ),
}

#: 2025: reviewed and kept as it was (the yearly update); 2026: the population's information
#: changed, so the reminder of the next update falls in March 2027.
CRISIS_PLAN_2025 = {**CRISIS_PLAN_2024, "year": 2025, "adopted_on": dt.date(2025, 3, 17)}
CRISIS_PLAN_2026 = {
    **CRISIS_PLAN_2025,
    "year": 2026,
    "adopted_on": dt.date(2026, 3, 16),
    "axis_information_population": (
        "Affiches dans les pharmacies et les mairies ; messages sur le site de la CPTS et sur le "
        "panneau lumineux des communes volontaires."
    ),
}


def _crisis_plans(community: Community, coordinator: User, today: dt.date) -> None:
    for data in (CRISIS_PLAN_2023, CRISIS_PLAN_2024, CRISIS_PLAN_2025, CRISIS_PLAN_2026):
        adopted_on = data["adopted_on"]
        assert isinstance(adopted_on, dt.date)
        if adopted_on <= today:
            adopt_plan(community, coordinator, data)


def _refusal(data: dict[str, object], value: Decimal | None) -> str:
    if data["kind"] == Indicator.Kind.DONE:
        return "Action non réalisée : les justificatifs attendus n'ont pas été fournis."
    if data["kind"] == Indicator.Kind.TARGET:
        return f"Objectif non atteint : {value} pour un objectif de {data['objective']}."
    return f"Palier socle non atteint : {value}."


def _communes(seed: Seed, epcis: tuple[str, ...] | None = None) -> list[Commune]:
    """The communes of the EPCI named, and the communes added to them."""
    codes = set(seed.communes)
    members = Epci.communes.through.objects.filter(
        epci_id__in=seed.epcis if epcis is None else epcis
    )
    codes |= set(members.values_list("commune_id", flat=True))
    communes = list(Commune.objects.filter(code__in=codes).order_by("code"))
    if len(communes) != len(codes) or not communes:
        raise RuntimeError(
            f"{seed.name} : communes ou intercommunalités inconnues ; chargez d'abord le "
            "territoire de référence (python manage.py load_territory)."
        )
    return communes


def _payment_runs(cpam: User, today: dt.date) -> None:
    """The CPAM's payment runs over the years, by the ledger itself: one at each of
    :func:`~.runs.run_dates` from the first signature or entry due in its scope, so that each
    entry is paid by the first run on or after its due date, as the CPAM would have paid it."""
    from cpts.communities.scope import payable_communities
    from cpts.contracts.models import Payment
    from cpts.payments import ledger

    scope = payable_communities(cpam)
    firsts = [
        day
        for day in (
            Contract.objects.filter(community__in=scope).aggregate(first=Min("signed_on"))["first"],
            Payment.objects.filter(community__in=scope).aggregate(first=Min("due_on"))["first"],
        )
        if day is not None
    ]
    if not firsts:
        return
    for run_on in run_dates(today, since=min(firsts)):
        ledger.run_payments(cpam, run_on, today=today)


@transaction.atomic
def seed_demo(today: dt.date, claims_dir: Path | None = None) -> dict[str, str]:
    """Create the demo; returns the logins (username -> role). ``claims_dir``: the claims of
    :func:`claims_plan` (``claims.ensure_claims``), from which the annexes of :data:`COMPUTED`
    take their measured values; None: every value typed by the community, as before."""
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
    growing: list[tuple[Community, Seed, User]] = []
    for index, seed in enumerate(SEEDS, start=1):
        community = Community.objects.create(
            name=seed.name,
            association_name=f"Association {seed.name}",
            departement_id=seed.departement,
            population=0,
            email=f"contact{index}@cpts-demo.example",
        )
        ars_user, cpam_user = officers[community.departement.region_id]
        start = (seed.signed or today) - dt.timedelta(days=400)
        # The territory comes first: the ARS records the perimeter the project declares, and
        # the population of the community follows the legal populations of its communes.
        set_perimeter(community, _communes(seed), start, "données de démonstration", ars_user)
        community.refresh_from_db()
        _members(community, seed.members, index)
        if index == 1:
            coordinator = _user(
                "coordination", Role.COORDINATOR, "Claire", "Coordinatrice", community=community
            )
        if seed.accompanied:
            facilitator.accompanied.add(community)
        if seed.grows:
            growing.append((community, seed, ars_user))
        if seed.stage == "project":
            continue
        actor = coordinator if index == 1 and coordinator is not None else admin
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
                "Le territoire proposé ne correspond pas aux bassins de vie des patients : "
                "à retravailler avec les professionnels des communes voisines.",
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
                deployed: dt.date | None = started + dt.timedelta(days=300)
                if commitment.mission == seed.late or (deployed and deployed > today):
                    deployed = None  # late: past its deadline (the steering lists it)
                services.record_mission(commitment, cpam_user, started, deployed)
        if seed.quality:
            services.add_mission(contract, cpam_user, Mission.QUALITY)
        if index == 1 and coordinator is not None:
            _crisis_plans(community, coordinator, today)
        current = year_of(seed.signed, today)
        duration = default_tree().at("agreement.contract_duration_years", seed.signed).integer()
        filled = computed_years(seed, today) if claims_dir is not None else []
        for number in range(1, min(current, duration) + 1):
            _annex(
                contract, number, index, cpam_user, actor, today,
                claims_dir if number in filled else None, latest=number == max(filled, default=0),
            )  # fmt: skip

    # A community that grows: its new perimeter (a union with the neighbouring EPCI) changes its
    # size class, so an amendment is proposed to the CPAM with its money impact.
    for community, seed, ars_user in growing:
        assert seed.grows is not None
        day, epcis = seed.grows
        if day <= today:
            set_perimeter(
                community, _communes(seed, epcis), day, "données de démonstration", ars_user
            )
    flu, _ = declare_crisis(
        ars,
        dt.date(2025, 1, 20),
        Typology.EPIDEMIC,
        "Épidémie de grippe saisonnière",
        "Tension hospitalière régionale.",
    )
    if coordinator is not None and coordinator.community is not None:
        _crisis_response(flu, coordinator.community, coordinator)
    end_crisis(ars, flu, dt.date(2025, 2, 28))  # the epidemic over: the ARS ends the crisis
    # a recent crisis of the region, not activated yet: the demo coordinator can respond to it
    declare_crisis(
        ars,
        today - dt.timedelta(days=4),
        Typology.CLIMATE,
        "Épisode de grand froid",
        "Vigilance orange grand froid sur la région : températures ressenties sous -10 °C.",
    )
    declare_crisis(
        ars_occ, dt.date(2026, 7, 15), Typology.CLIMATE, "Canicule", "Vigilance rouge canicule.", []
    )
    for cpam_user in (cpam, cpam_occ, cpam_idf):
        _payment_runs(cpam_user, today)
    seed_sas(timezone.now(), PASSWORD)  # the SAS: regulators, a publishing community, its slots
    sas_history.add_history(today)
    sas_history.bind_sas_indicator(today)  # an annex indicator counted from the SAS requests
    return {user.username: user.get_role_display() for user in User.objects.order_by("pk")}
