"""WSGI entry point. The application warms up before it serves (``cpts.www.warmup``: views
imported, templates compiled, the territory's arrays built), unless ``CPTS_WARM_UP=0``."""

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpts.settings")
application = get_wsgi_application()

if os.environ.get("CPTS_WARM_UP", "1") != "0":
    from cpts.www.warmup import warm

    logging.getLogger("cpts.www.warmup").info("warmed up in %.2f s", warm())
