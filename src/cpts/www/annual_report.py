"""The annual report of a community, downloaded as a PDF (``cpts.steering``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from cpts.accounts.access import current_user
from cpts.communities.scope import community_for
from cpts.steering.annual_report import NoContractYear, annual_report
from cpts.steering.annual_report_pdf import file_name, render_pdf

from .contract_choice import chosen_contract


def annual_report_pdf(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """The PDF of contract year ``year`` of the community's latest contract (or ``?contrat=``);
    out of scope: 404; no such year: back to the dashboard with a French message."""
    community = community_for(current_user(request), pk)
    contract = chosen_contract(community, request) if request.GET.get("contrat") else None
    try:
        report = annual_report(community, year, timezone.localdate(), contract)
    except NoContractYear as refusal:
        messages.error(request, refusal.message)
        return redirect("communities:dashboard", pk=pk)
    response = HttpResponse(render_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{file_name(report)}"'
    return response
