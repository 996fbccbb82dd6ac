"""Bearer tokens of machine accounts: issue, authenticate, revoke.

A token is ``cpts_`` followed by 43 URL-safe characters (``secrets.token_urlsafe(32)``, 256 bits).
Only its SHA-256 digest is stored; a token is found by its digest, so no comparison of secrets runs
in Python (the database compares digests, which reveal nothing of the token). The same tokens will
serve the REST and FHIR APIs, with the rights of their user (:mod:`cpts.accounts.access`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User

PREFIX = "cpts_"
# The displayed, non-secret part: the fixed prefix and the first 8 random characters.
DISPLAY_LENGTH = len(PREFIX) + 8
_TOKEN = re.compile(rf"^{PREFIX}[A-Za-z0-9_-]{{43}}$")
# last_used_at is written at most once a minute: a busy client must not write on every request.
USE_RESOLUTION = dt.timedelta(minutes=1)


class TokenError(Exception):
    """A token that cannot be revoked (unknown, ambiguous); the message is in French."""


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, created_by: User | None = None, label: str = "") -> str:
    """A new token for ``user``, returned in clear this once and never stored."""
    while True:
        token = PREFIX + secrets.token_urlsafe(32)
        prefix = token[:DISPLAY_LENGTH]
        # 48 random bits in the prefix: a clash is improbable, but the prefix must stay unique.
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    ApiToken.objects.create(
        user=user, label=label, digest=digest_of(token), prefix=prefix, created_by=created_by
    )
    return token


def authenticate(header_value: str | None) -> User | None:
    """The active user of the token in an ``Authorization: Bearer <token>`` header, else None."""
    if not header_value:
        return None
    scheme, _, token = header_value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN.match(token):
        return None
    found = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= USE_RESOLUTION:
        # A queryset update: no history row for a mere use, and no race with a concurrent write.
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return found.user


@transaction.atomic
def revoke(token_or_prefix: str, by: User | None) -> ApiToken:
    """Revoke a token given whole or by its displayed prefix; revoking twice changes nothing."""
    value = token_or_prefix.strip()
    if _TOKEN.match(value):
        found = ApiToken.objects.select_for_update().filter(digest=digest_of(value)).first()
    else:
        found = ApiToken.objects.select_for_update().filter(prefix=value.rstrip("…")).first()
    if found is None:
        raise TokenError(f"aucun jeton ne correspond à « {value[:DISPLAY_LENGTH]} ».")
    if found.revoked_at is None:
        found.revoked_at = timezone.now()
        found.revoked_by = by
        found.save(update_fields=["revoked_at", "revoked_by"])
    return found
