"""What a server process loads before it answers its first request.

A new gunicorn worker otherwise pays, on its first requests, for importing every view (the URL
configuration is read lazily: about 1 s here), compiling the templates (each page's first
rendering) and building the arrays of the territory (35,000 leaf units: a few hundred ms): the
first users after each deployment or worker restart wait seconds. ``warm()`` does it once when the
WSGI application loads (``cpts.wsgi``), before the process accepts a connection. It reads the
database only for the territory's reference arrays, and closes its connections afterwards (a
connection must not cross a ``fork``). ``CPTS_WARM_UP=0`` switches it off.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver

from cpts.communities import perimeters

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def warm() -> float:
    """Import the views, compile our templates, build the territory's arrays; the seconds it
    took. Never raises: a process that could not warm up still serves (slower at first)."""
    began = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 -- imports every view module
    resolver.reverse_dict  # noqa: B018 -- builds the table ``reverse`` reads
    for path in sorted(TEMPLATES.rglob("*.html")):
        try:
            get_template(str(path.relative_to(TEMPLATES)))
        except (TemplateDoesNotExist, TemplateSyntaxError):  # pragma: no cover - caught by tests
            logger.exception("template %s could not be compiled", path)
    try:
        perimeters.warm()
    except Exception:  # the database unreachable, or not allowed here: serve, build later
        logger.warning("territory arrays not built at start-up", exc_info=True)
    finally:
        connections.close_all()
    return time.perf_counter() - began
