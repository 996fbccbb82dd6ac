"""Dates of the contract: contract years, months added to a date, days between dates."""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus a number of months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True, slots=True)
class ContractYear:
    """Contract year ``number``: the year that starts on the signature's anniversary.

    ``end`` is exclusive (the next anniversary); ``last_day`` is the last day of the year.
    """

    number: int
    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end


@lru_cache(maxsize=65536)
def contract_year(signed: dt.date, number: int) -> ContractYear:
    """Contract year 1 is the year that starts on the signature, year 2 the next, etc."""
    return ContractYear(
        number=number,
        start=add_months(signed, 12 * (number - 1)),
        end=add_months(signed, 12 * number),
    )


def year_of(signed: dt.date, day: dt.date) -> int:
    """The number of the contract year that contains ``day`` (``day`` on or after signature)."""
    number = max(1, day.year - signed.year)
    while contract_year(signed, number).start > day:
        number -= 1
    while contract_year(signed, number).end <= day:
        number += 1
    return number
