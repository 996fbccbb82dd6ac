"""The deadline of an unscheduled care request: 24 hours, 48 hours since avenant 2 (dated
parameter ``sas.response_deadline_hours``), read on the day the request is received."""

import datetime as dt

import pytest

from cpts.aci import InvalidInput, response_deadline


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("received", "hours", "due"),
    [
        ("2021-06-10 09:00", 24, "2021-06-11 09:00"),
        ("2022-03-31 23:30", 24, "2022-04-01 23:30"),  # the day before avenant 2's date of effect
        ("2022-04-01 00:15", 48, "2022-04-03 00:15"),
        ("2026-11-25 18:00", 48, "2026-11-27 18:00"),
    ],
)
def test_the_deadline_in_force_on_the_day_of_the_request(
    received: str, hours: int, due: str
) -> None:
    deadline = response_deadline(at(received))
    assert deadline.hours == hours
    assert deadline.due == at(due)
    assert any("Avenant 2" in ref.title for ref in deadline.references) is (hours == 48)


def test_an_appointment_answers_in_time_up_to_the_deadline_included() -> None:
    deadline = response_deadline(at("2024-02-05 10:00"))
    assert deadline.in_time(at("2024-02-05 10:00"))
    assert deadline.in_time(at("2024-02-07 10:00"))
    assert not deadline.in_time(at("2024-02-07 10:01"))
    assert not deadline.in_time(at("2024-02-05 09:59"))  # before the request itself


def test_a_request_before_the_agreement_has_no_deadline() -> None:
    with pytest.raises(InvalidInput) as error:
        response_deadline(at("2019-08-24 12:00"))
    assert error.value.field == "received"
    assert "aucun délai" in error.value.message
