"""The pages of a refusal, in French and in the State design system.

Rendered without the request's context processors: they read the database (the user, the site's
settings), and a page saying « introuvable » must not depend on it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PAGES = {
    403: (
        "Accès refusé",
        "Votre rôle ne permet pas cette action sur cette page. Si vous pensez devoir y avoir "
        "accès, adressez-vous à l'administrateur de CPTS Pilote.",
    ),
    404: (
        "Page introuvable",
        "La page demandée n'existe pas, ou elle n'est pas dans votre périmètre.",
    ),
}


def _page(status: int) -> HttpResponse:
    heading, message = PAGES[status]
    html = render_to_string(
        "errors/page.html", {"heading": heading, "message": message, "status": status}
    )
    return HttpResponse(html, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(404)
