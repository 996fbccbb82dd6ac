"""Members of a community: the list, the import from a file and its error report."""

from __future__ import annotations

import base64
import zlib

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from cpts.accounts.access import Action, can, current_user, may_read_member_identities, require
from cpts.aci import default_tree
from cpts.communities.members_import import MAX_BYTES, ImportReport, import_members
from cpts.communities.models import Community, Member, Profession, StructureKind
from cpts.communities.scope import community_for

#: Session key of the last error report, per community.
REPORT_KEY = "members_import_report_{pk}"
#: Errors shown on the page; the downloadable report has them all.
SHOWN_ERRORS = 200


class MembersImportForm(DsfrBaseForm):  # type: ignore[misc]
    file = forms.FileField(
        label="Fichier des membres",
        help_text=(
            "CSV (UTF-8, séparateur « ; » ou « , ») ou Excel (.xlsx), "
            f"{MAX_BYTES // (1024 * 1024)} Mo au plus. Première ligne : type, nom, rpps, "
            "profession, commune, finess, type_structure, date_adhesion et, facultatif, email."
        ),
    )


def _store_report(request: HttpRequest, pk: int, report: ImportReport) -> None:
    """Keep the error report (compressed) in the session, to download it right after."""
    packed = zlib.compress(report.to_csv().encode("utf-8"))
    request.session[REPORT_KEY.format(pk=pk)] = base64.b64encode(packed).decode("ascii")


def members(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    community = community_for(user, pk)
    form = MembersImportForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    if request.method == "POST":
        require(user, Action.FILE, community)
        if form.is_valid():
            report = import_members(community, user, form.cleaned_data["file"])
            if report.ok:
                request.session.pop(REPORT_KEY.format(pk=pk), None)
                messages.success(request, f"{report.created} membre(s) importé(s).")
                for warning in report.warnings[:20]:
                    messages.info(request, f"Ligne {warning.line} : {warning.message}")
                if len(report.warnings) > 20:
                    messages.info(
                        request, f"… et {len(report.warnings) - 20} autre(s) avertissement(s)."
                    )
                return redirect("communities:members", pk=pk)
            _store_report(request, pk, report)
    today = timezone.localdate()
    counts = dict(
        community.members.order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    total = sum(counts.values())
    parameter = default_tree().maybe_at("increase.minimum_members", today)
    minimum = parameter.integer() if parameter is not None else None
    identities = may_read_member_identities(user, community)
    page = (
        Paginator(community.members.select_related("commune"), 50).get_page(request.GET.get("page"))
        if identities
        else None
    )
    return render(
        request,
        "communities/members.html",
        {
            "community": community,
            "page_obj": page,
            "identities": identities,
            "by_profession": _counts(
                community, "profession", Member.Kind.PROFESSIONAL, Profession.choices
            ),
            "by_structure_kind": _counts(
                community, "structure_kind", Member.Kind.STRUCTURE, StructureKind.choices
            ),
            "total": total,
            "professionals": counts.get(Member.Kind.PROFESSIONAL, 0),
            "structures": counts.get(Member.Kind.STRUCTURE, 0),
            "minimum": minimum,
            "missing": max(minimum - total, 0) if minimum is not None else 0,
            "form": form if can(user, Action.FILE, community) else None,
            "report": report,
            "shown_errors": report.errors[:SHOWN_ERRORS] if report else [],
            "has_report": REPORT_KEY.format(pk=pk) in request.session,
            "title": f"Membres — {community.name}",
        },
    )


def _counts(
    community: Community, field: str, kind: str, choices: list[tuple[str, str]]
) -> list[tuple[str, int]]:
    """Members of one kind counted by ``field`` (profession or type of structure), largest
    first: what everyone who sees the community may see."""
    labels = dict(choices)
    counted = (
        community.members.filter(kind=kind)
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    rows = [(str(labels.get(value, value)) if value else "non précisé", n) for value, n in counted]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The last failed import's errors, as CSV (``ligne;champ;erreur``)."""
    community = community_for(current_user(request), pk)
    stored = request.session.get(REPORT_KEY.format(pk=community.pk))
    if not stored:
        raise Http404("Aucun rapport d'import")
    content = zlib.decompress(base64.b64decode(stored)).decode("utf-8")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="rapport-import-membres-{community.pk}.csv"'
    )
    return response
