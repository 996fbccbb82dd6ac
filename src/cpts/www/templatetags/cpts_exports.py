"""The « Exporter » button group of a list page: the same list as CSV or Excel."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from cpts.www.exports import export_query

register = template.Library()


@register.inclusion_tag("includes/export_buttons.html")
def export_buttons(name: str, label: str = "", **filters: Any) -> dict[str, Any]:
    """``{% export_buttons "versements" "les versements" cpts=community.pk %}``: two links to
    ``/exports/<name>.csv`` and ``.xlsx`` with the list's filters."""
    query = export_query(**filters)
    return {
        "csv": reverse("exports:export", args=[name, "csv"]) + query,
        "xlsx": reverse("exports:export", args=[name, "xlsx"]) + query,
        "label": label,
    }
