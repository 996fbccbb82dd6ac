"""Settings for the test suite: PostgreSQL, as in production (127.0.0.1:5432, trust auth).

The suite runs with DEBUG off, as production does, and with production's settings except HTTPS:
the test client and the browser tests speak plain HTTP to a local server.
"""

from __future__ import annotations

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpts")
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
