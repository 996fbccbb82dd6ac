"""The REST API of CPTS Pilote, under ``/api/v1`` (django-ninja, OpenAPI 3).

Bearer tokens only (:mod:`cpts.accounts.tokens`, shared with the FHIR API): a browser session is
never accepted here, so no CSRF token is asked. A token's user reads with exactly the rights of its
browser: :mod:`cpts.accounts.access` decides, and out of scope is a 404. See ``docs/api.md``.
"""

from .api import api

__all__ = ["api"]
