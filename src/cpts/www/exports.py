"""Exports of every list as CSV or Excel: ``/exports/<liste>.<csv|xlsx>``.

The rows come from :mod:`cpts.steering.exports` (the same scope as the screens); the files are
written by :mod:`cpts.steering.tabular` and streamed: a CSV line by line
(``StreamingHttpResponse``), a workbook from a temporary file (``FileResponse``). The filters are
those of the list pages (``cpts``, ``q``, ``annee``, ``contrat``, ``region``, ``departement``,
``on``, ``du``, ``au``); a community out of scope is a 404, a filter that cannot be read a 400 in French.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.utils import timezone

from cpts.accounts.access import current_user
from cpts.communities.scope import community_for
from cpts.steering.dashboards import SERIES_START
from cpts.steering.exports import EXPORTS, Filters
from cpts.steering.tabular import csv_chunks, xlsx_file
from cpts.territory.models import Departement, Region

from .params import unreadable_parameter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BadFilter(ValueError):
    """A filter of the query string that cannot be read; the message is for the user."""


def _integer(request: HttpRequest, name: str, label: str) -> int | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise BadFilter(f"« {label} » doit être un nombre entier positif (reçu « {value[:40]} »).")
    return int(value)


#: The first day a date filter may name: the steering's first month (the ACI CPTS's year of
#: entry into force), nothing is older.
EARLIEST = SERIES_START
#: How many years after today a date filter may reach (a contract year is planned ahead).
YEARS_AHEAD = 10


def _date(request: HttpRequest, name: str, label: str) -> dt.date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = value.split("/")
            day_asked = dt.date(int(year), int(month), int(day))
        else:
            day_asked = dt.date.fromisoformat(value)
    except ValueError:
        day_asked = None
    if day_asked is not None:
        latest = dt.date(timezone.localdate().year + YEARS_AHEAD, 12, 31)
        if not EARLIEST <= day_asked <= latest:
            raise BadFilter(
                f"« {label} » doit être une date entre le {EARLIEST:%d/%m/%Y} et le "
                f"{latest:%d/%m/%Y} (reçu « {value[:40]} »)."
            )
        return day_asked
    raise BadFilter(
        f"« {label} » doit être une date AAAA-MM-JJ ou JJ/MM/AAAA (reçu « {value[:40]} »)."
    )


def filters_of(request: HttpRequest) -> Filters:
    """The filters of the query string, checked; a community out of scope is a 404."""
    problem = unreadable_parameter(request)  # before any query reads a filter
    if problem:
        raise BadFilter(problem)
    user = current_user(request)
    community_pk = _integer(request, "cpts", "CPTS")
    region = request.GET.get("region", "").strip() or None
    if region is not None and not Region.objects.filter(code=region[:3]).exists():
        raise BadFilter(f"Région inconnue : « {region[:40]} ».")
    departement = request.GET.get("departement", "").strip() or None
    if departement is not None:
        region_of = (
            Departement.objects.filter(code=departement).values_list("region_id", flat=True)
        ).first()
        if region_of is None:
            raise BadFilter(f"Département inconnu : « {departement[:40]} ».")
        if region is not None and region_of != region:
            raise BadFilter(f"Le département {departement} n'est pas dans la région {region}.")
    start = _date(request, "du", "Du")
    end = _date(request, "au", "Au")
    if start and end and start > end:
        raise BadFilter("La date de début suit la date de fin.")
    if start and end and (end - start).days > 366 * 30:
        raise BadFilter("Une série mensuelle couvre trente ans au plus.")
    return Filters(
        community=community_for(user, community_pk) if community_pk is not None else None,
        query=request.GET.get("q", "").strip()[:200],
        year=_integer(request, "annee", "Année contractuelle"),
        contract=_integer(request, "contrat", "Contrat"),
        region=region,
        day=_date(request, "on", "À la date du"),
        start=start,
        end=end,
        departement=departement,
    )


def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    user = current_user(request)
    producer = EXPORTS.get(name)
    if producer is None or fmt not in ("csv", "xlsx"):
        raise Http404("Export introuvable")
    try:
        filters = filters_of(request)
    except BadFilter as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    table = producer(user, filters)
    filename = f"{table.name}.{fmt}"
    if fmt == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            csv_chunks(table), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            xlsx_file(table), as_attachment=True, filename=filename, content_type=XLSX
        )
    response["Cache-Control"] = "no-store"  # personal data may be in it
    return response


def export_query(**params: object) -> str:
    """The query string of an export link (empty values left out)."""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"?{query}" if query else ""
