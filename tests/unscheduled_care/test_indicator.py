"""The indicator « demandes du SAS ayant abouti à un rendez-vous » counted from the records
across a contract year's bounds, a cancelled appointment, the annex filled and a closed year
refused; the delays' distribution; the retention; who reads which request. Figures by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpts.accounts.access import may_read_sas_request, sas_requests_q
from cpts.contracts import engine, measures, services
from cpts.contracts.models import Indicator
from cpts.core.errors import RuleError
from cpts.territory.models import Commune
from cpts.unscheduled_care import selectors
from cpts.unscheduled_care.models import Appointment, Request
from cpts.unscheduled_care.services import book, erase_expired, record_outcome, record_request
from tests.factories import regulator, slot, volunteer

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def booked(
    user: Any, helper: Any, received: dt.datetime, start: dt.datetime, code: str = "59350"
) -> Request:
    request = record_request(
        user,
        commune=Commune.objects.get(code=code),
        urgency="within_deadline",
        received_at=received,
        now=received,
    )
    book(user, slot(helper, start), request, now=received)
    return request


@pytest.fixture
def records(contracted: dict[str, Any]) -> dict[str, Any]:
    """Year 1 of CPTS Nord's contract runs from 15/01/2023 to 14/01/2024 (French time)."""
    nord = contracted["nord"]
    user = regulator(["59", "62"])
    helper = volunteer(nord)
    other = volunteer(contracted["pas_de_calais"])
    hour = dt.timedelta(hours=1)
    booked(user, helper, at(2023, 1, 14, 23, 30), at(2023, 1, 15, 10))  # before year 1
    booked(user, helper, at(2023, 1, 15, 0, 10), at(2023, 1, 15, 0, 10) + hour)  # year 1: 1 h
    booked(user, helper, at(2024, 1, 14, 23, 50), at(2024, 1, 15, 4, 50))  # year 1: 5 h
    booked(user, helper, at(2024, 1, 15, 0, 5), at(2024, 1, 15, 9))  # year 2
    cancelled = booked(user, helper, at(2023, 6, 1, 9), at(2023, 6, 1, 11))
    Appointment.objects.filter(request=cancelled).update(status="cancelled")
    missed = booked(user, helper, at(2023, 6, 2, 9), at(2023, 6, 3, 15))  # 30 h, not honoured
    record_outcome(user, missed, "not_honoured", now=at(2023, 6, 3, 16))
    booked(user, other, at(2023, 6, 3, 9), at(2023, 6, 3, 10), code="62041")  # another community
    return {**contracted, "regulator": user}


def test_the_indicator_counts_by_date_received_live_appointments_only(
    records: dict[str, Any],
) -> None:
    contract, nord = records["contract"], records["nord"]
    year_1 = engine.year_facts(contract, 1)
    assert (year_1.start, year_1.end) == (dt.date(2023, 1, 15), dt.date(2024, 1, 15))
    # year 1: 00:10 on 15/01/2023, 23:50 on 14/01/2024 and the one not honoured (3); not the one
    # received at 23:30 the day before, not the cancelled one, not the other community's
    assert selectors.appointments_count(nord, year_1.start, year_1.end) == 3
    year_2 = engine.year_facts(contract, 2)
    assert selectors.appointments_count(nord, year_2.start, year_2.end) == 1


def test_the_delays_by_hand(records: dict[str, Any]) -> None:
    appointments = selectors.community_appointments(
        records["nord"], dt.date(2023, 1, 15), dt.date(2024, 1, 15)
    )
    distribution = selectors.delay_distribution(appointments)
    # delays 1 h, 5 h, 30 h: one under 4 h, one 4-12 h, one 24-48 h; median 5 h
    assert [band.count for band in distribution.bands] == [1, 1, 0, 1, 0]
    assert [band.percent for band in distribution.bands] == [33.3, 33.3, 0.0, 33.3, 0.0]
    assert distribution.total == 3
    assert distribution.median == dt.timedelta(hours=5)
    assert distribution.median_label == "5 h 00"


def test_an_even_number_of_delays_takes_the_mean_of_the_middle_two(
    records: dict[str, Any],
) -> None:
    appointments = selectors.community_appointments(
        records["nord"], dt.date(2023, 1, 15), dt.date(2025, 1, 15)
    )
    distribution = selectors.delay_distribution(appointments)
    # 1 h, 5 h, 30 h and 8 h 55 (00:05 -> 09:00): sorted 1, 5, 8:55, 30 -> (5 h + 8 h 55) / 2
    assert distribution.median == dt.timedelta(hours=6, minutes=57, seconds=30)
    assert [band.count for band in distribution.bands] == [1, 2, 0, 1, 0]
    assert distribution.bands[1].percent == 50.0


def test_a_delay_of_exactly_four_hours_is_in_the_second_band(contracted: dict[str, Any]) -> None:
    user = regulator()
    helper = volunteer(contracted["nord"])
    booked(user, helper, at(2024, 3, 1, 8), at(2024, 3, 1, 12))
    distribution = selectors.delay_distribution(
        selectors.community_appointments(
            contracted["nord"], dt.date(2024, 1, 1), dt.date(2025, 1, 1)
        )
    )
    assert [band.count for band in distribution.bands] == [0, 1, 0, 0, 0]


def _sas_indicator(records: dict[str, Any]) -> Indicator:
    return services.add_indicator(
        records["contract"],
        1,
        records["cpam"],
        {
            "mission": "access",
            "action": "Soins non programmés",
            "kind": "target",
            "label": "Demandes du SAS ayant abouti à un rendez-vous",
            "amount": Decimal(1000),
            "objective": Decimal(2),
            "computed_code": "sas_appointments",
            "computed_measure": "number",
        },
    )


def test_the_annex_is_filled_with_its_provenance_and_a_closed_year_never_moves(
    records: dict[str, Any],
) -> None:
    contract, cpam, coordinator = records["contract"], records["cpam"], records["coordinator"]
    indicator = _sas_indicator(records)
    changed = measures.fill_sas_values(contract, 1, coordinator, now=at(2024, 2, 1, 10))
    indicator.refresh_from_db()
    assert changed == [indicator]
    assert indicator.measured_value == Decimal("3.00")
    assert indicator.computed_engine == "sas"
    assert (indicator.computed_start, indicator.computed_end) == (
        dt.date(2023, 1, 15),
        dt.date(2024, 1, 14),
    )
    assert indicator.computed_by == coordinator
    assert indicator.history.first().history_user == coordinator
    services.decide_indicator(indicator, cpam, True, "", dt.date(2024, 2, 1))
    services.close_evaluation(contract, 1, cpam, dt.date(2024, 2, 15))
    # one more booking counted in year 1 after the closing: the closed year does not move
    booked(records["regulator"], volunteer(records["nord"]), at(2023, 9, 1, 9), at(2023, 9, 1, 10))
    with pytest.raises(RuleError, match="close"):
        measures.fill_sas_values(contract, 1, cpam)
    indicator.refresh_from_db()
    assert indicator.measured_value == Decimal("3.00")


def test_the_claims_fill_ignores_the_sas_binding_and_a_percentage_is_refused(
    records: dict[str, Any],
) -> None:
    _sas_indicator(records)
    assert not measures._bound(records["contract"], 1).exists()
    with pytest.raises(RuleError, match="en nombre"):
        services.check_binding("sas_appointments", "percent", "target")
    with pytest.raises(RuleError, match="réalisée ou non"):
        services.check_binding("sas_appointments", "number", "done")


def test_nothing_bound_to_the_sas_is_said(records: dict[str, Any]) -> None:
    with pytest.raises(RuleError, match="relié aux demandes du SAS"):
        measures.fill_sas_values(records["contract"], 1, records["cpam"])


def test_erase_expired_keeps_the_counts(records: dict[str, Any]) -> None:
    # 365 days before 15/01/2024 12:00 is 15/01/2023 12:00: the two requests received before
    # (23:30 on the 14th, 00:10 on the 15th) lose their commune, the others keep it
    erased = erase_expired(at(2024, 1, 15, 12), days=365)
    assert erased == 2
    old = Request.objects.filter(received_at__lt=at(2023, 1, 15, 12))
    assert [item.commune_id for item in old] == [None, None]
    assert {item.departement_id for item in old} == {"59"}
    assert not Request.history.filter(
        received_at__lt=at(2023, 1, 15, 12), commune__isnull=False
    ).exists()
    assert Request.objects.filter(commune__isnull=False).count() == 5
    year_1 = engine.year_facts(records["contract"], 1)
    assert selectors.appointments_count(records["nord"], year_1.start, year_1.end) == 3
    assert erase_expired(at(2024, 1, 15, 12), days=365) == 0


def test_who_reads_which_request(records: dict[str, Any]) -> None:
    lille_only = regulator(["59"])
    arras = Request.objects.get(commune_id="62041")
    lille = Request.objects.filter(departement_id="59").first()
    assert lille is not None
    assert set(Request.objects.filter(sas_requests_q(lille_only))) == set(
        Request.objects.filter(departement_id="59")
    )
    assert not may_read_sas_request(lille_only, "62")
    assert may_read_sas_request(lille_only, "59")
    coordinator = records["coordinator"]  # CPTS Nord: the live ones booked in its slots
    seen = set(Request.objects.filter(sas_requests_q(coordinator)))
    assert arras not in seen
    assert len(seen) == 5
    assert not may_read_sas_request(coordinator, "62", records["pas_de_calais"])
    assert may_read_sas_request(coordinator, "59", records["nord"])
    for name in ("national", "facilitator"):
        assert not Request.objects.filter(sas_requests_q(records[name])).exists()
        assert not may_read_sas_request(records[name], "59", records["nord"])
    assert Request.objects.filter(sas_requests_q(records["admin"])).count() == 7


def test_the_purge_command(records: dict[str, Any], settings: Any) -> None:
    from typer.testing import CliRunner

    from cpts.cli import app

    settings.SAS_REQUEST_RETENTION_DAYS = 365
    runner = CliRunner()
    bad = runner.invoke(app, ["sas", "purge", "--now", "demain"])
    assert bad.exit_code == 2
    assert Request.objects.filter(commune__isnull=True).count() == 0
    result = runner.invoke(app, ["sas", "purge", "--now", "2024-01-15T12:00"])
    assert result.exit_code == 0
    assert "2 demande(s) du SAS" in result.stdout
    assert Request.objects.filter(commune__isnull=True).count() == 2
