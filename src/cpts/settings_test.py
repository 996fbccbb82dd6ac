"""Settings for the test suite: PostgreSQL, as in production.

``DATABASE_URL`` names the server if set (CI may point it at a real one); by default the suite
runs on this checkout's embedded server (:mod:`cpts.devdb`, var/postgres), which
``tests/conftest.py`` starts if it is down. Django creates its ``test_cpts`` database there.

The suite runs with DEBUG off, as production does, and with production's settings except HTTPS:
the test client and the browser tests speak plain HTTP to a local server.
"""

from __future__ import annotations

import os

from cpts import devdb

os.environ.setdefault("DATABASE_URL", devdb.database_url())
os.environ.setdefault("SECRET_KEY", "tests-only-" + "x" * 50)  # never used outside the tests

from cpts.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405

# Plain HTTP for the test client and the live server of the browser tests.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# The caches are production's (CACHES, from cpts.settings): the steering figures' shared cache is
# the PostgreSQL table cpts_shared_cache of the test database, created by the migrations.
