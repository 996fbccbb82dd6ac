"""The values of a query string, checked before any query: the one cleaning shared by the
steering dashboard (:mod:`cpts.www.steering`) and the exports (:mod:`cpts.www.exports`).

A control character (a NUL byte above all: PostgreSQL refuses it in a text and the query fails)
or a value longer than any filter we read is refused with a French message, so that a forged
link is a 400, never a 500."""

from __future__ import annotations

import re

from django.http import HttpRequest

#: The longest value a filter of these pages may hold (a search text is cut at 200 characters).
MAX_LENGTH = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def unreadable_parameter(request: HttpRequest) -> str | None:
    """A French message if a value of the query string cannot be a filter, else ``None``."""
    for name, values in request.GET.lists():
        for value in values:
            if _CONTROL.search(value) or _CONTROL.search(name):
                return f"Le filtre « {_CONTROL.sub('', name)[:40]} » contient un caractère de contrôle."
            if len(value) > MAX_LENGTH:
                return f"Le filtre « {_CONTROL.sub('', name)[:40]} » est trop long."
    return None
