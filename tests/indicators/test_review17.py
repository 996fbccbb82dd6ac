"""What the hostile review of issue 17 (indicators computed from the claims, filling the annex)
found, each with the test that failed before its fix. Real database, claims written by hand."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from cpts.accounts.access import Action, can
from cpts.accounts.models import Role
from cpts.claims import indicators as claims
from cpts.cli import app
from cpts.communities.perimeters import set_perimeter
from cpts.contracts import measures, services
from cpts.contracts.locks import lock_money
from cpts.contracts.models import Evaluation, Indicator
from cpts.core.dates import today
from cpts.indicators import services as computations
from cpts.indicators.models import Computation, ComputedIndicator, Scope
from cpts.indicators.selectors import Period, trends
from cpts.territory.models import Commune
from tests.claims.builders import act, beneficiary, gp
from tests.claims.builders import write_claims as write_built_claims
from tests.indicators.claims_data import YEAR_1, write_claims, write_table

pytestmark = pytest.mark.django_db

CLOSED_ON = dt.date(2024, 2, 15)


def rows(folder: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(folder / name).to_pylist()  # type: ignore[no-any-return]


def one_more_in_lille(folder: Path) -> Path:
    """The hand claims plus B7, 33, of Lille, seen in year 1 and with no médecin traitant: the
    rate goes from 1 / 2 to 1 / 3, the consumers from 3 to 4."""
    write_claims(folder)
    write_table(
        folder,
        "IR_BEN_R",
        [
            *rows(folder, "IR_BEN_R"),
            {
                "BEN_NIR_PSA": "B7",
                "BEN_RNG_GEM": 1,
                "BEN_NAI_ANN": 1990,
                "BEN_DCD_DTE": dt.date(1600, 1, 1),
                "BEN_RES_DPT": "059",
                "BEN_RES_COM": "350",
            },
        ],
    )
    acts = rows(folder, "ER_PRS_F")
    write_table(folder, "ER_PRS_F", [*acts, {**acts[0], "BEN_NIR_PSA": "B7"}])
    return folder


def filled_and_accepted(computable: dict[str, Any], folder: Path) -> None:
    contract, cpam = computable["contract"], computable["cpam"]
    measures.fill_measured_values(contract, 1, cpam, folder)
    for item in Indicator.objects.filter(contract=contract, contract_year=1):
        services.decide_indicator(item, cpam, True, "", dt.date(2024, 2, 1))


def blocked_or_done(thread: threading.Thread, timeout: float = 60) -> None:
    """Wait until ``thread`` has finished or its connection waits for a lock held here."""
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")  # live, uncached
            (waiting,) = cursor.fetchone()
        if waiting:
            return
        time.sleep(0.05)
    assert not thread.is_alive(), "neither blocked nor done"


# --- 1. A fill racing the closing of the evaluation --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_closing_waits_for_a_fill_under_way_and_sees_what_it_sent_back(
    computable: dict[str, Any], tmp_path: Path
) -> None:
    """The fill has written new values (sent back to the CPAM) and not committed yet when the
    CPAM closes the year: the closing used to see no pending indicator and close a year whose
    values then changed, undecided."""
    contract, cpam = computable["contract"], computable["cpam"]
    filled_and_accepted(computable, write_claims(tmp_path / "a"))
    outcome: dict[str, str] = {}

    def close() -> None:
        try:
            services.close_evaluation(contract, 1, cpam, CLOSED_ON)
            outcome["close"] = "closed"
        except services.RuleError as error:
            outcome["close"] = str(error)
        finally:
            connection.close()

    closing = threading.Thread(target=close)
    with transaction.atomic():  # the fill, done and not committed
        measures.fill_measured_values(contract, 1, cpam, one_more_in_lille(tmp_path / "b"))
        closing.start()
        blocked_or_done(closing)
    closing.join(30)
    assert outcome["close"] == "2 indicateur(s) restent à accepter ou refuser."
    assert not Evaluation.objects.filter(status=Evaluation.Status.CLOSED).exists()
    assert set(Indicator.objects.values_list("verdict", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_a_fill_after_a_closing_under_way_finds_the_year_closed(
    computable: dict[str, Any], tmp_path: Path
) -> None:
    """The year had no evaluation row yet: the fill's re-check locked nothing, and its new
    values landed in a year closed a moment before."""
    contract, cpam = computable["contract"], computable["cpam"]
    filled_and_accepted(computable, write_claims(tmp_path / "a"))
    changed = one_more_in_lille(tmp_path / "b")
    outcome: dict[str, str] = {}

    def fill() -> None:
        try:
            measures.fill_measured_values(contract, 1, cpam, changed)
            outcome["fill"] = "filled"
        except services.RuleError as error:
            outcome["fill"] = str(error)
        finally:
            connection.close()

    filling = threading.Thread(target=fill)
    with transaction.atomic():  # the closing, done and not committed
        services.close_evaluation(contract, 1, cpam, CLOSED_ON)
        filling.start()
        blocked_or_done(filling)
    filling.join(60)
    assert (
        outcome["fill"]
        == "L'évaluation de l'année 1 est close : ses valeurs ne se recalculent plus."
    )
    assert Evaluation.objects.get().status == Evaluation.Status.CLOSED
    values = dict(Indicator.objects.values_list("computed_code", "measured_value"))
    assert values == {"patients_16_with_gp": Decimal("50.00"), "consumers": Decimal(3)}
    assert set(Indicator.objects.values_list("verdict", flat=True)) == {"accepted"}


def test_the_database_refuses_to_change_an_indicator_of_a_closed_year(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    contract, cpam = computable["contract"], computable["cpam"]
    filled_and_accepted(computable, claims_dir)
    services.close_evaluation(contract, 1, cpam, CLOSED_ON)
    rate = Indicator.objects.filter(pk=computable["rate"].pk)
    for change in (
        {"measured_value": Decimal(99)},
        {"verdict": "pending", "decided_by": None, "decided_on": None},
        {"computed_end": dt.date(2023, 6, 30)},
        {"computed_result": None},
        {"amount": Decimal(1)},
    ):
        with (
            pytest.raises(IntegrityError, match="closed evaluation never change"),
            transaction.atomic(),
        ):
            rate.update(**change)
    rate.update(remarks="Relu en comité")  # words, not figures: still editable
    # an open year is not concerned
    Evaluation.objects.all().delete()
    rate.update(measured_value=Decimal(99))


# --- 2. A negative count -----------------------------------------------------------------------


def test_a_negative_regulated_count_is_stored_and_filled(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    """A regularisation in year 1 cancelling a regulated act of the year before: -1, which the
    unsigned numerator refused, then reported as « recommencez » forever."""
    acts = rows(claims_dir, "ER_PRS_F")
    cancel = {**acts[0], "PRS_NAT_REF": 1945, "PRS_ACT_QTE": -1.0}
    cancel["EXE_SOI_DTD"] = cancel["EXE_SOI_DTF"] = dt.date(2023, 3, 2)
    write_table(claims_dir, "ER_PRS_F", [*acts, cancel])
    patients = computable["patients"]
    measures.bind_indicator(patients, computable["cpam"], "regulated_care_acts", "number")
    measures.fill_measured_values(computable["contract"], 1, computable["cpam"], claims_dir)
    patients.refresh_from_db()
    assert patients.measured_value == Decimal(-1)
    stored = ComputedIndicator.objects.get(
        computation__scope=Scope.COMMUNITY, code="regulated_care_acts"
    )
    assert (stored.numerator, stored.denominator, stored.value) == (-1, None, Decimal(-1))


def test_a_refused_value_is_not_told_as_a_concurrent_computation(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    pending = computations.compute(computable["nord"], *YEAR_1, computable["cpam"], claims_dir)
    result = claims.Result("patients_16_with_gp", "Part", 3, 2, Decimal("1.5"))
    broken = {
        scope: claims.Computation(**{**vars(computed), "results": (result,)})
        for scope, computed in pending.computed.items()
    }
    with pytest.raises(services.RuleError) as error:
        computations.store(
            computations.Pending(**{**vars(pending), "computed": broken}), computable["cpam"]
        )
    assert "recommencez" not in str(error.value)
    assert "computed_share_within_its_denominator" in str(error.value)
    assert not Computation.objects.exists()


# --- 3. One territory for the command line and the annex ----------------------------------------


@pytest.fixture
def paris_claims(tmp_path: Path) -> Path:
    """A resident of Paris 18e, one of Paris 1er, one coded at the city's level (75056)."""
    people = [("p18", "118"), ("p01", "101"), ("city", "056")]
    return write_built_claims(
        tmp_path / "paris",
        ben=[beneficiary(nir, 1970, "075", commune) for nir, commune in people],
        prs=[act(nir, "2024-03-01") for nir, _ in people],
        mtt=[gp("p18", "2020-01-01")],
    )


@pytest.mark.parametrize(("perimeter", "population"), [(["75118"], 1), (["75056"], 3)])
def test_the_command_line_and_the_annex_count_the_same_residents(
    make_community: Any,
    paris_claims: Path,
    tmp_path: Path,
    perimeter: list[str],
    population: int,
) -> None:
    """Paris 18e alone: the command line counted the resident coded 75056 in it, the annex did
    not; now neither does (a city-level code belongs to a territory holding the whole city)."""
    community = make_community("CPTS Paris", "75")
    set_perimeter(community, list(Commune.objects.filter(code__in=perimeter)), dt.date(2023, 1, 1))
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    annex = computations.compute(community, start, end, None, paris_claims)
    csv = tmp_path / "communes.csv"
    csv.write_text("code\n" + "\n".join(perimeter) + "\n", encoding="utf-8")
    by_file = CliRunner().invoke(
        app,
        ["indicators", "compute", "--claims", str(paris_claims), "--communes", str(csv),
         "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"],
    )  # fmt: skip
    by_community = CliRunner().invoke(
        app,
        ["indicators", "compute", "--claims", str(paris_claims), "--community", "CPTS Paris",
         "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"],
    )  # fmt: skip
    assert by_file.exit_code == 0, by_file.stderr
    assert by_community.exit_code == 0, by_community.stderr
    assert annex.computed[Scope.COMMUNITY.value].population == population
    for result in (by_file, by_community):
        assert json.loads(result.stdout)["territory"]["population"] == population


# --- 4. A year in progress ---------------------------------------------------------------------


def test_a_year_in_progress_is_computed_up_to_today(people: dict[str, Any], tmp_path: Path) -> None:
    """The year ending in eleven months was computed with D on its last day, and its
    provenance said « données du … au » that day."""
    nord, cpam, coordinator, ars = (
        people["nord"],
        people["cpam"],
        people["coordinator"],
        people["ars"],
    )
    now = today()
    letter = services.file_letter_of_intent(nord, coordinator, now - dt.timedelta(400), "L")
    services.decide_letter_of_intent(letter, ars, True, "", now - dt.timedelta(390))
    project = services.file_health_project(nord, coordinator, now - dt.timedelta(300), "P")
    services.decide_health_project(project, ars, True, "", now - dt.timedelta(290))
    signed = now - dt.timedelta(40)
    contract = services.sign_contract(nord, cpam, signed, "a", "b", "c")
    set_perimeter(nord, list(Commune.objects.filter(code="59350")), dt.date(2022, 1, 1))
    services.add_indicator(
        contract,
        1,
        cpam,
        {"mission": "access", "action": "Accès", "kind": "target", "label": "Patients",
         "amount": Decimal(500), "objective": Decimal(2), "computed_code": "consumers",
         "computed_measure": "number"},
    )  # fmt: skip
    folder = write_built_claims(
        tmp_path / "now",
        ben=[beneficiary("seen", 1970), beneficiary("later", 1970)],
        prs=[
            act("seen", (now - dt.timedelta(10)).isoformat()),
            act("later", (now + dt.timedelta(5)).isoformat()),  # after D: not yet
        ],
    )
    filled = measures.fill_measured_values(contract, 1, cpam, folder)
    indicator = Indicator.objects.get()
    assert (indicator.computed_start, indicator.computed_end) == (signed, now)
    assert indicator.measured_value == Decimal(1)
    stored = filled.stored
    assert {(row.start, row.end) for row in Computation.objects.all()} == {(signed, now)}
    assert (stored.community.end, stored.departement.end, stored.national.end) == (now,) * 3
    year_end = signed.replace(year=signed.year + 1) - dt.timedelta(days=1)
    assert f"au {now:%d/%m/%Y} (calcul partiel : l'année va jusqu'au {year_end:%d/%m/%Y})" in (
        filled.summary()
    )
    (row,) = next(t for t in trends(nord, [Period("Année 1", signed, year_end)])).rows
    assert row.computation.end == now
    client = Client()
    client.force_login(cpam)
    page = client.get(reverse("communities:dashboard", args=[nord.pk])).content.decode()
    assert f"au {now:%d/%m/%Y}<br><small>données partielles" in page
    # computed again later in the year: the same rows, a later D
    measures.fill_measured_values(contract, 1, cpam, folder)
    assert Computation.objects.count() == 3


# --- 5. Two fills at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_loser_of_two_fills_is_told_what_is_in_progress(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    holding, release = threading.Event(), threading.Event()

    def other_fill() -> None:
        try:
            with transaction.atomic():
                lock_money()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_fill)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(services.RuleError) as error:
            measures.fill_measured_values(computable["contract"], 1, computable["cpam"], claims_dir)
    finally:
        release.set()
        thread.join()
    assert str(error.value).startswith("Un calcul des indicateurs ou une autre opération")
    assert "recommencez dans un instant" in str(error.value)


# --- 6. Who binds an indicator: access.py ------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("coordinator", True),
        ("cpam", True),
        ("admin", True),
        ("ars", False),
        ("national", False),
        ("facilitator", False),
        ("other_coordinator", False),
        ("other_cpam", False),
    ],
)
def test_who_may_bind_an_indicator(
    computable: dict[str, Any], make_user: Any, who: str, allowed: bool
) -> None:
    users = {
        **computable,
        "other_coordinator": make_user(
            "coord-pdc", Role.COORDINATOR, community=computable["pas_de_calais"]
        ),
        "other_cpam": make_user("cpam31", Role.CPAM, departements=["31"]),
    }
    user, community = users[who], computable["nord"]
    assert can(user, Action.ANNEX, community) is allowed
    rate = computable["rate"]
    url = reverse("communities:indicator_bind", args=[community.pk, 1, rate.pk])
    client = Client()
    client.force_login(user)
    response = client.post(url, {"binding-computed": "patients_16_without_gp:percent"})
    rate.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert rate.computed_code == "patients_16_without_gp"
        page = client.get(reverse("communities:indicator", args=[community.pk, 1, rate.pk]))
        assert 'name="binding-computed"' in page.content.decode()
    else:
        assert response.status_code in (403, 404)
        assert rate.computed_code == "patients_16_with_gp"
        with pytest.raises((PermissionDenied, Http404)):
            measures.bind_indicator(rate, user, "consumers", "number")


# --- 7. What a closed year shows never changes ---------------------------------------------------


def test_another_communitys_fill_never_changes_the_comparisons_shown(
    computable: dict[str, Any], make_community: Any, tmp_path: Path
) -> None:
    """Two communities of the Nord computed over the same period on different claims: the
    second rewrote the département's and the nation's values the first's dashboard shows."""
    nord, cpam = computable["nord"], computable["cpam"]
    measures.fill_measured_values(computable["contract"], 1, cpam, write_claims(tmp_path / "a"))
    period = Period("Année 1", *YEAR_1)

    def shown() -> list[tuple[str, Any, Any]]:
        return [
            (trend.code, row.departement.value, row.national.value)  # type: ignore[union-attr]
            for trend in trends(nord, [period])
            for row in trend.rows
        ]

    before = shown()
    assert ("consumers", Decimal(4), Decimal(5)) in before
    other = make_community("CPTS Douai", "59")
    set_perimeter(other, list(Commune.objects.filter(code="59178")), dt.date(2022, 1, 1))
    computations.compute_for(other, *YEAR_1, cpam, one_more_in_lille(tmp_path / "b"))
    assert shown() == before
    assert Computation.objects.filter(scope=Scope.NATIONAL).count() == 2
