"""The :class:`~ninja.NinjaAPI` of ``/api/v1``: its routers, its token, its errors."""

from __future__ import annotations

from ninja import NinjaAPI

from . import communities, contracts, crises, errors, indicators, sas
from .auth import BearerToken

api = NinjaAPI(
    title="CPTS Pilote",
    version="1",
    description=(
        "API REST de CPTS Pilote : CPTS, périmètres, membres, contrats et leurs années, "
        "indicateurs de l'annexe et calculés, versements, crises, demandes du SAS ; écriture des "
        "valeurs et décisions d'indicateurs, déclaration de crise. Jeton d'accès obligatoire (Authorization: Bearer …, `cpts token "
        "--user …`), avec les droits de son utilisateur à l'écran : hors périmètre, 404. "
        "Listes paginées (limit, offset), dates ISO 8601, montants en chaînes à deux décimales."
    ),
    auth=BearerToken(),
    urls_namespace="api-v1",
    # The interactive documentation page loads its scripts from a CDN, which the CSP refuses:
    # the schema is published at /api/v1/openapi.json and printed by `cpts api schema`.
    docs_url=None,
)
errors.install(api)
api.add_router("", communities.router)
api.add_router("", contracts.router)
api.add_router("", crises.router)
api.add_router("", indicators.router)
api.add_router("", sas.router)
