"""The CPAM's payment runs of the demos: when a CPAM would have paid, year after year."""

from __future__ import annotations

import datetime as dt

from cpts.aci import default_tree


def run_dates(today: dt.date, since: dt.date | None = None) -> list[dt.date]:
    """The CPAM's payment runs: end of June and mid-December each year from the ACI's entry into
    force (or from ``since``, the first entry due in the CPAM's scope), and today."""
    first = default_tree().parameter("agreement.grid_version").dates[0]
    first = max(first, since) if since is not None else first
    days = [
        day
        for year in range(first.year, today.year + 1)
        for day in (dt.date(year, 6, 30), dt.date(year, 12, 15))
        if first <= day < today
    ]
    return [*days, today]
