"""The demo data: real territories, the same logins and scopes, annexes that add up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cpts.accounts.models import Role, User
from cpts.communities import perimeters
from cpts.communities.models import Community
from cpts.contracts import services
from cpts.contracts.models import Amendment, Contract, Evaluation, Indicator
from cpts.crises.selectors import plan_history, update_due
from cpts.demo.claims import STAMP, Plan, ensure_claims
from cpts.demo.seed import PASSWORD, SEEDS, claims_plan, computed_years, seed_demo
from cpts.territory import communes
from cpts.territory.models import Commune, Epci

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def codes_of(community: Community, day: dt.date = TODAY) -> set[str]:
    perimeter = perimeters.current_perimeter(community, day)
    assert perimeter is not None
    return set(perimeter.items.values_list("commune_id", flat=True))


def epci_members(*codes: str) -> set[str]:
    return set(
        Epci.communes.through.objects.filter(epci_id__in=codes).values_list("commune_id", flat=True)
    )


def check_the_logins_roles_and_scopes_stay_the_same(demo: dict[str, str]) -> None:
    # In creation order: an unordered query follows the rows' physical order, which earlier tests move.
    roles = {user.username: user.role for user in User.objects.order_by("pk")}
    assert roles == {
        "admin": Role.ADMIN,
        "national": Role.NATIONAL,
        "cpam": Role.CPAM,
        "ars": Role.ARS,
        "ars-occitanie": Role.ARS,
        "cpam-occitanie": Role.CPAM,
        "cpam-idf": Role.CPAM,
        "ars-idf": Role.ARS,
        "facilitateur": Role.FACILITATOR,
        "coordination": Role.COORDINATOR,
        "sas": Role.REGULATOR,
        "regulation": Role.REGULATOR,
    }
    assert list(demo) == list(roles)
    for user in User.objects.exclude(username="sas"):  # the same password for all
        assert user.check_password(PASSWORD), user.username
    # the SAS platform's machine account signs in with a bearer token only
    assert not User.objects.get(username="sas").has_usable_password()
    scopes = {
        "cpam": {"59", "62", "80", "60", "02"},
        "cpam-occitanie": {"31", "34", "30", "65", "12", "66", "46"},
        "cpam-idf": {"75", "92", "93", "94", "91", "78"},
        "sas": {"59", "62", "80", "60", "02"},
        "regulation": {"59", "62", "80", "60", "02"},
    }
    for username, departements in scopes.items():
        user = User.objects.get(username=username)
        assert set(user.departements.values_list("code", flat=True)) == departements
    regions = dict(User.objects.filter(role=Role.ARS).values_list("username", "region_id"))
    assert regions == {"ars": "32", "ars-occitanie": "76", "ars-idf": "11"}
    coordinator = User.objects.get(username="coordination")
    assert coordinator.community is not None
    assert coordinator.community.name == SEEDS[0].name == "CPTS Métropole lilloise Nord"
    assert Contract.objects.filter(community=coordinator.community).exists()
    accompanied = User.objects.get(username="facilitateur").accompanied.values_list(
        "name", flat=True
    )
    assert sorted(accompanied) == [
        "CPTS du Calaisis",
        "CPTS du Pays de Laon",
        "CPTS du Sud-Aveyron",
    ]
    for user in User.objects.filter(role=Role.CPAM):  # every community has its CPAM
        assert user.departements.exists()
    seats = set(Community.objects.values_list("departement_id", flat=True))
    assert seats <= set().union(*scopes.values())


def check_perimeters_are_real_intercommunalities(demo: dict[str, str]) -> None:
    douai = Community.objects.get(name="CPTS du Douaisis")
    assert codes_of(douai, dt.date(2026, 1, 1)) == epci_members("200044618")  # CA Douaisis Agglo
    # ...then the union with its neighbour, the CA Cœur d'Ostrevent: an amendment is proposed.
    assert codes_of(douai) == epci_members("200044618", "245901152")
    assert Amendment.objects.filter(contract__community=douai, status="proposed").exists()
    lille = Community.objects.get(name="CPTS Métropole lilloise Nord")
    assert "59350" in codes_of(lille)  # Lille itself
    assert codes_of(lille) <= epci_members("200093201")  # a sector of the MEL
    assert codes_of(Community.objects.get(name="CPTS Plaine Commune")) >= epci_members("200057867")
    for seed in SEEDS:
        community = Community.objects.get(name=seed.name)
        expected = epci_members(*seed.epcis) | set(seed.communes)
        if seed.grows is None:
            assert codes_of(community) == expected, seed.name
        # The population is the legal population of its communes' leaf units.
        leaves = communes.leaf_codes(codes_of(community))
        assert community.population == sum(
            Commune.objects.filter(code__in=leaves).values_list("population", flat=True)
        )
    assert Community.objects.filter(
        name="CPTS Paris 18", perimeters__items__commune="75118"
    ).exists()


def check_three_regions_with_overlaps_and_white_zones(demo: dict[str, str]) -> None:
    for region, overlap in (
        ("32", "59378"),  # Marcq-en-Barœul
        ("76", "34340"),  # Villetelle
        ("11", "92078"),  # Villeneuve-la-Garenne
    ):
        figures = perimeters.coverage(TODAY, region=region)
        assert figures["communities"] >= 5
        assert figures["overlaps"] == 1
        assert 0 < figures["covered_share"] < 1
        assert figures["uncovered_communes"] > 0
        assert [unit["code"] for unit in perimeters.overlapping_units(TODAY, region)] == [overlap]


def check_annexes_follow_real_contracts_and_add_up(demo: dict[str, str]) -> None:
    contracts = Contract.objects.select_related("community")
    assert contracts.count() == 9
    assert contracts.filter(signed_on__lt=dt.date(2022, 9, 1)).count() == 2
    for contract in contracts:
        numbers = sorted(set(contract.indicators.values_list("contract_year", flat=True)))
        assert numbers, contract.community.name
        for number in numbers:
            assert services.annex_gaps(contract, number) == [], (contract.community.name, number)
        closed = set(
            contract.evaluations.filter(status=Evaluation.Status.CLOSED).values_list(
                "contract_year", flat=True
            )
        )
        seed = next(seed for seed in SEEDS if seed.name == contract.community.name)
        waiting = set(computed_years(seed, TODAY)[-1:])  # measured from the claims, to decide
        assert closed == set(numbers[:-1]) - waiting  # finished years evaluated and closed
    labels = set(Indicator.objects.values_list("label", flat=True))
    assert {
        "Patients de plus de 16 ans ayant un médecin traitant",
        "Médecins participant au SAS, demandes suivies",
        "Partenariat avec la CPAM maintenu (réunions trimestrielles)",
        "Taux de participation au dépistage du cancer du sein (%)",
        "Taux de couverture du dépistage du cancer du col de l'utérus (%)",
        "Taux de participation au dépistage du cancer colorectal (%)",
    } <= labels
    ald = Indicator.objects.filter(label__startswith="Patients en ALD sans médecin traitant")
    assert ald.exists()
    assert all(item.lower_is_better and len(item.tiers) == 3 for item in ald)
    for item in Indicator.objects.filter(kind=Indicator.Kind.GRADED):
        assert Decimal(item.tiers[-1]["amount"]) == item.amount
    assert Indicator.objects.filter(verdict=Indicator.Verdict.REFUSED).exists()
    assert Indicator.objects.filter(verdict=Indicator.Verdict.ACCEPTED).exists()
    assert not Indicator.objects.filter(deliverables__isnull=True).exists()


def check_annexes_take_measured_values_from_the_claims() -> None:
    """Lille Nord's years 3 and 4 and Calaisis's year 2 were filled from the claims by the CPAM,
    in percent, with their provenance; the latest year waits for the CPAM (one accepted)."""
    sas = Indicator.objects.filter(computed_code="sas_appointments")
    # the year in progress of Lille Nord: one access indicator counted from the SAS requests
    assert set(sas.values_list("contract__community__name", "contract_year")) == {
        ("CPTS Métropole lilloise Nord", 5)
    }
    bound = Indicator.objects.exclude(computed_code="").exclude(computed_code="sas_appointments")
    years = set(bound.values_list("contract__community__name", "contract_year"))
    assert years == {
        ("CPTS Métropole lilloise Nord", 3),
        ("CPTS Métropole lilloise Nord", 4),
        ("CPTS du Calaisis", 2),
    }
    for item in bound:
        assert item.computed_measure == "percent"
        assert item.computed_result is not None
        assert item.computed_by is not None
        assert item.computed_by.username == "cpam"
        assert item.measured_value is not None
        assert 0 < item.measured_value < 100
    lille = Contract.objects.get(community__name="CPTS Métropole lilloise Nord")
    statuses = dict(lille.evaluations.values_list("contract_year", "status"))
    assert statuses[3] == Evaluation.Status.CLOSED
    assert statuses.get(4) != Evaluation.Status.CLOSED
    verdicts = list(bound.filter(contract=lille, contract_year=4).values_list("verdict", flat=True))
    assert sorted(verdicts) == ["accepted", "pending", "pending", "pending"]


def test_the_demo(geography: None, tmp_path: Path) -> None:
    """Seeded once (it takes a while): logins, territories, coverage, annexes, and the annexes
    filled from the demo's claims (fewer beneficiaries here, for speed)."""
    plan = claims_plan(TODAY)
    assert plan is not None
    assert (plan.departements, plan.start, plan.end) == (
        ("59", "62"),
        dt.date(2022, 3, 15),
        dt.date(2026, 3, 14),
    )
    plan = dataclasses.replace(plan, beneficiaries=3000)
    assert ensure_claims(tmp_path / "claims", plan) == "generated"
    assert ensure_claims(tmp_path / "claims", plan) == "kept"
    demo = seed_demo(TODAY, tmp_path / "claims")
    check_the_logins_roles_and_scopes_stay_the_same(demo)
    check_perimeters_are_real_intercommunalities(demo)
    check_three_regions_with_overlaps_and_white_zones(demo)
    check_annexes_follow_real_contracts_and_add_up(demo)
    check_annexes_take_measured_values_from_the_claims()
    check_the_coordinator_s_crisis_plan_has_an_update_to_compare()
    check_the_sas_history_gives_figures()
    check_the_demo_sas_is_dated_placed_and_counted()
    check_the_demo_community_responded_to_the_flu()
    check_a_recent_crisis_awaits_the_demo_community()
    check_payments_were_booked_by_runs_on_their_due_dates()
    check_one_mission_missed_its_deployment_deadline()
    check_the_sas_publishes_a_week_of_slots_and_tops_them_up()  # last: it moves the clock


def check_the_sas_publishes_a_week_of_slots_and_tops_them_up() -> None:
    from django.utils import timezone

    from cpts.demo.sas import seed_sas
    from cpts.unscheduled_care.fhir import publishable
    from cpts.unscheduled_care.models import Organisation, Slot, Volunteer

    lille = Community.objects.get(name="CPTS Métropole lilloise Nord")
    assert publishable(lille)  # a well-formed FINESS, its key valid
    assert Organisation.objects.filter(community=lille).count() == 1
    volunteers = Volunteer.objects.filter(community=lille, active=True)
    assert 4 <= volunteers.count() <= 6
    assert all(v.member.rpps for v in volunteers)
    now = timezone.now()
    week = Slot.objects.filter(
        volunteer__community=lille,
        status="free",
        start__gt=now,
        start__lte=now + dt.timedelta(days=7),
    )
    # 3 slots a day for each of 5 volunteers over seven days: 5 * 3 * 7 = 105, give or take the
    # slots of today already past and those of the eighth morning already in the window
    assert 90 <= week.count() <= 120
    kinds = {tuple(kinds) for kinds in week.values_list("kinds", flat=True)}
    assert kinds == {("SNP", "CPTS"), ("PUBLIC",), ("SNP", "PRO")}
    count = Slot.objects.count()
    seed_sas(now, PASSWORD)  # again at once: nothing new
    assert Slot.objects.count() == count
    assert Organisation.objects.filter(community=lille).count() == 1
    seed_sas(now + dt.timedelta(days=2), PASSWORD)  # two days later: topped up, past ones kept
    assert Slot.objects.count() == count + 5 * 3 * 2


def check_the_coordinator_s_crisis_plan_has_an_update_to_compare() -> None:
    community = User.objects.get(username="coordination").community
    assert community is not None
    history = plan_history(community)
    years = [(item.plan.year, item.plan.version) for item in history]
    assert years == [(2026, 1), (2025, 1), (2024, 1), (2023, 1)]
    assert history[0].changed_axes == [5]
    assert history[1].changed_axes == []  # 2025: reviewed, kept as it was
    assert history[2].changed_axes == [1, 3]
    assert history[2].typologies_added == ("rupture d'approvisionnement ou de l'offre de soins",)
    # last adopted on 16/03/2026: the next yearly update is due on 16/03/2027
    assert update_due(community) == dt.date(2027, 3, 16)


def check_the_demo_community_responded_to_the_flu() -> None:
    from django.utils import timezone

    from cpts.crises.models import CrisisActivation, DeliveryStatus

    coordinator = User.objects.get(username="coordination")
    activation = CrisisActivation.objects.get(community=coordinator.community)
    assert activation.crisis.title == "Épidémie de grippe saisonnière"
    assert activation.crisis.ended_on == dt.date(2025, 2, 28)  # ended by the ARS
    assert (activation.plan.year, activation.plan.version) == (2024, 1)  # in force on 21/01/2025
    assert (activation.actions.count(), activation.mobilised.count()) == (2, 3)
    message = activation.messages.get()
    statuses = set(message.deliveries.values_list("status", flat=True))
    assert statuses == {DeliveryStatus.SENT, DeliveryStatus.NO_ADDRESS}
    members = coordinator.community.members
    assert message.deliveries.count() == members.count()
    assert not members.exclude(email="").exclude(email__endswith="@example.org").exists()
    assert "Merci d'indiquer vos disponibilités" in message.body  # plain text, not HTML
    # closed six weeks after the declaration (20/01/2025), at 18:00 in Paris
    assert f"{timezone.localtime(activation.closed_at):%d/%m/%Y %H:%M}" == "03/03/2025 18:00"


def check_a_recent_crisis_awaits_the_demo_community() -> None:
    from cpts.crises.models import CrisisActivation, Typology
    from cpts.crises.selectors import crises_concerning

    community = User.objects.get(username="coordination").community
    recent = crises_concerning(community).first()
    assert recent is not None
    assert (recent.title, recent.typology) == ("Épisode de grand froid", Typology.CLIMATE)
    assert recent.declared_on == TODAY - dt.timedelta(days=4)
    assert not CrisisActivation.objects.filter(crisis=recent, community=community).exists()


def test_the_demo_claims_are_generated_again_for_other_arguments_never_over_others(
    geography: None, tmp_path: Path
) -> None:
    plan = Plan(("2A",), dt.date(2024, 1, 1), dt.date(2024, 1, 31), beneficiaries=50)
    folder = tmp_path / "claims"
    assert ensure_claims(folder, plan) == "generated"
    assert ensure_claims(folder, dataclasses.replace(plan, seed=7)) == "generated"
    assert ensure_claims(folder, dataclasses.replace(plan, seed=7)) == "kept"
    (folder / STAMP).unlink()  # claims the demo did not write
    assert ensure_claims(folder, plan) == "foreign"
    assert (folder / "ER_PRS_F").is_dir()


def check_the_sas_history_gives_figures() -> None:
    """Past SAS requests of the coordinator's community: a count per contract year, cancelled
    appointments left out, a distribution of delays; seeding it again adds nothing."""
    from cpts.accounts.models import User
    from cpts.contracts import engine
    from cpts.demo import sas_history
    from cpts.unscheduled_care import selectors
    from cpts.unscheduled_care.models import Appointment

    community = User.objects.get(username="coordination").community
    contract = community.contracts.order_by("-signed_on").first()
    year = engine.year_facts(contract, 1)
    counted = selectors.appointments_count(community, year.start, year.end)
    live = Appointment.objects.filter(identifier_system=sas_history.SYSTEM, status="booked").count()
    assert 0 < counted <= live
    assert Appointment.objects.filter(status="cancelled").exists()
    distribution = selectors.delay_distribution(
        selectors.community_appointments(community, year.start, year.end)
    )
    assert distribution.total == counted
    assert sum(band.count for band in distribution.bands) == counted
    assert sas_history.add_history(TODAY) == 0
    # a « dans la journée » request got its appointment that same day (French time)
    from django.utils import timezone

    same_day = Appointment.objects.filter(
        identifier_system=sas_history.SYSTEM, request__urgency="same_day"
    ).select_related("slot", "request")
    assert same_day.exists()
    assert all(
        timezone.localtime(a.slot.start).date() == timezone.localtime(a.request.received_at).date()
        for a in same_day
    )


def check_the_demo_sas_is_dated_placed_and_counted() -> None:
    """The organisation and the volunteers date from the contract's signature (before the first
    request), the volunteers practise in the perimeter (nearness shows), appointments are in the
    daytime, and one access indicator of the year in progress is counted from the SAS."""
    from django.utils import timezone

    from cpts.contracts import engine
    from cpts.demo import sas_history
    from cpts.unscheduled_care import selectors
    from cpts.unscheduled_care.enums import Channel, Urgency
    from cpts.unscheduled_care.models import Appointment, Organisation, Request, Volunteer

    coordinator = User.objects.get(username="coordination")
    community = coordinator.community
    contract = community.contracts.order_by("-signed_on").first()
    first = Request.objects.order_by("received_at").first()
    assert first is not None
    first_day = timezone.localtime(first.received_at).date()
    organisation = Organisation.objects.get(community=community)
    assert organisation.valid_from == contract.signed_on <= first_day
    volunteers = list(Volunteer.objects.filter(community=community).select_related("member"))
    assert volunteers
    assert all(v.since <= first_day for v in volunteers)
    assert all(v.member.commune_id in codes_of(community) for v in volunteers)
    assert len({v.member.commune_id for v in volunteers}) > 1
    for start, end in Appointment.objects.values_list("slot__start", "slot__end"):
        assert dt.time(8) <= timezone.localtime(start).time(), start
        assert timezone.localtime(end).time() <= dt.time(20), end
    # a patient of a volunteer's commune: that volunteer's slots come first, « même commune »
    regulation = User.objects.get(username="regulation")
    place = volunteers[0].member.commune
    now = timezone.now()
    request = Request(
        commune=place,
        departement_id=place.departement_id,
        urgency=Urgency.WITHIN_DEADLINE,
        received_at=now,
        channel=Channel.BROWSER,
    )
    found = selectors.free_slots_near(regulation, request, now + dt.timedelta(days=2), now)
    assert found
    assert found[0].nearness_label == "même commune"
    assert not any("inconnu" in candidate.nearness_label for candidate in found)
    # the access indicator of the year in progress, counted from the SAS requests
    indicator = sas_history.bind_sas_indicator(TODAY)
    assert indicator is not None
    assert (indicator.mission, indicator.computed_code) == ("access", "sas_appointments")
    assert indicator.computed_engine == "sas"
    facts = engine.year_facts(contract, indicator.contract_year)
    assert facts.start <= TODAY < facts.end
    assert indicator.measured_value == selectors.appointments_count(
        community, facts.start, TODAY + dt.timedelta(days=1)
    )
    assert indicator.measured_value > 0


def check_payments_were_booked_by_runs_on_their_due_dates() -> None:
    """Each entry was paid by the first of the CPAM's runs (end of June, mid-December, today) on
    or after its due date, as a CPAM would have over the years; a run of the real ledger today
    books nothing more, and the runs' totals reconcile with ``ledger.totals``."""
    from cpts.contracts.models import Payment, PaymentRun
    from cpts.demo.runs import run_dates
    from cpts.payments import ledger

    dates = run_dates(TODAY)
    paid = Payment.objects.filter(status=Payment.Status.PAID).select_related("run")
    assert paid.count() > 20
    for payment in paid:
        assert payment.run is not None
        assert payment.paid_on == payment.run.run_on
        first_run = next(day for day in dates if day >= payment.due_on)
        assert payment.paid_on == first_run, (payment.label, payment.due_on, payment.paid_on)
    years = {day.year for day in paid.values_list("paid_on", flat=True)}
    assert {2022, 2023, 2024, 2025, 2026} <= years
    # in 2022 the CPAM paid Lille Nord and the Muretain (signed in March and June 2022)
    in_2022 = paid.filter(paid_on__year=2022)
    assert set(in_2022.values_list("community__name", flat=True)) >= {
        "CPTS Métropole lilloise Nord",
        "CPTS du Muretain",
    }
    assert not Payment.objects.filter(status=Payment.Status.DUE, due_on__lte=TODAY).exists()
    runs = PaymentRun.objects.all()
    for run in runs:
        entries = Payment.objects.filter(run=run)
        assert run.payments_count == entries.count()
        assert run.total == ledger.totals(entries).paid
    assert sum(run.total for run in runs) == ledger.totals(Payment.objects.all()).paid
    for username in ("cpam", "cpam-occitanie", "cpam-idf"):
        report = ledger.run_payments(User.objects.get(username=username), TODAY, today=TODAY)
        assert report.paid == [], username
        assert report.skipped == [], username


def check_one_mission_missed_its_deployment_deadline() -> None:
    """The Ternois (signed 01/03/2025) started its access mission in time but has not deployed
    it 18 months after the signature: the steering's late deadlines list it, for every role
    whose scope holds it, and for no other."""
    from cpts.steering.dashboards import Filters, area_of, late_deadlines

    ternois = Contract.objects.get(community__name="CPTS du Ternois")
    access = ternois.missions.get(mission="access")
    assert access.started_on is not None
    assert access.deployed_on is None
    expected = ("CPTS du Ternois", "déploiement", dt.date(2026, 9, 1), 85)
    for username in ("national", "cpam", "ars"):
        rows = late_deadlines(area_of(User.objects.get(username=username), Filters(), TODAY))
        found = [(r.community, r.step, r.due, r.days_late) for r in rows]
        assert found == [expected], username
        assert "accès" in rows[0].mission.lower()
    for username in ("cpam-occitanie", "ars-idf"):
        assert late_deadlines(area_of(User.objects.get(username=username), Filters(), TODAY)) == []
