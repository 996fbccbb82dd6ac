"""The errors of the REST API, as JSON ``{"detail": "…"}`` in French, never an HTML page.

A bad parameter is a 400 (not django-ninja's 422) naming the parameter and why; a missing,
invalid or revoked token a 401 with ``WWW-Authenticate: Bearer``; out of scope a 404 (the data
never leaks); a role that may not act a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cpts.aci import InvalidInput
from cpts.contracts.locks import Busy
from cpts.core.errors import RuleError

BEARER = 'Bearer realm="CPTS Pilote"'
UNAUTHORIZED = "Jeton d'accès manquant, invalide ou révoqué (Authorization: Bearer …)."
NOT_FOUND = "Ressource introuvable, ou hors de votre périmètre."
FORBIDDEN = "Votre rôle ne permet pas cette action."
UNPARSABLE = "Requête invalide : le corps de la requête n'est pas un JSON valide."


class ParameterError(Schema):
    parameter: str
    message: str


class Problem(Schema):
    """An error: a French sentence, and for a bad request the parameters at fault."""

    detail: str
    errors: list[ParameterError] | None = None


#: The error answers every operation documents (the schema tells clients what to expect).
ERRORS: dict[int, type[Schema]] = {400: Problem, 401: Problem, 404: Problem}
#: The error answers of a write: also 403 (a role that may not act on what it sees) and 409
#: (a payment run, a termination or a fill of the annex under way: try again after it).
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 403: Problem, 409: Problem}


def bad_request(detail: str, parameter: str | None = None) -> HttpError:
    """A 400 to raise from an operation (a filter that parses but makes no sense)."""
    error = HttpError(400, detail)
    error.parameter = parameter  # type: ignore[attr-defined]
    return error


def _explain(error: dict[str, Any]) -> str:
    """A pydantic error in French (the common ones; pydantic's English message otherwise)."""
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    match kind:
        case "missing":
            return "paramètre obligatoire"
        case "int_parsing" | "int_type" | "int_from_float":
            return "un nombre entier est attendu"
        case "greater_than_equal":
            return f"la valeur doit être au moins {context.get('ge')}"
        case "less_than_equal":
            return f"la valeur doit être au plus {context.get('le')}"
        case "greater_than":
            return f"la valeur doit être supérieure à {context.get('gt')}"
        case "less_than":
            return f"la valeur doit être inférieure à {context.get('lt')}"
        case (
            "date_parsing"
            | "date_from_datetime_parsing"
            | "date_from_datetime_inexact"
            | "date_type"
        ):
            return "une date AAAA-MM-JJ est attendue"
        case "string_pattern_mismatch":
            return "format inattendu"
        case "string_too_long":
            return f"au plus {context.get('max_length')} caractères"
        case "enum" | "literal_error":
            return f"valeurs possibles : {context.get('expected')}"
        case "decimal_parsing" | "decimal_type" | "float_parsing" | "finite_number":
            return "un nombre décimal est attendu"
        case "decimal_max_digits":
            return f"au plus {context.get('max_digits')} chiffres"
        case "decimal_max_places":
            return f"au plus {context.get('decimal_places')} décimales"
        case "decimal_whole_digits":
            return f"au plus {context.get('whole_digits')} chiffres avant la virgule"
        case "bool_parsing" | "bool_type":
            return "vrai ou faux (true, false) est attendu"
        case "string_type":
            return "une chaîne de caractères est attendue"
        case "list_type":
            return "une liste est attendue"
        case "too_long":
            return f"au plus {context.get('max_length')} éléments"
        case "dict_type" | "model_attributes_type" | "model_type":
            return "un objet JSON est attendu"
        case "json_invalid":
            return "JSON invalide"
        case "value_error":
            return str(context.get("error", "valeur invalide"))
    return str(error.get("msg", "valeur invalide"))


def _parameter(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ())]
    # ninja's locations start with where (query, path) and the schema's name: keep the field.
    return location[-1] if location else "?"


def install(api: NinjaAPI) -> None:
    """Our answers for every error, in place of django-ninja's English ones."""

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = [
            {"parameter": _parameter(error), "message": _explain(error)} for error in exc.errors
        ]
        detail = "Requête invalide : " + " ; ".join(
            f"« {error['parameter']} » : {error['message']}" for error in errors
        )
        return api.create_response(request, {"detail": detail, "errors": errors}, status=400)

    def unauthorized(request: HttpRequest, exc: Any) -> HttpResponse:
        response = api.create_response(request, {"detail": UNAUTHORIZED}, status=401)
        header = request.headers.get("Authorization")
        response["WWW-Authenticate"] = BEARER + (', error="invalid_token"' if header else "")
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
            # django-ninja's words for a body that is not JSON
            exc = bad_request(UNPARSABLE, "body")
        body: dict[str, Any] = {"detail": exc.message}
        parameter = getattr(exc, "parameter", None)
        if parameter:
            body["errors"] = [{"parameter": parameter, "message": exc.message}]
        return api.create_response(request, body, status=exc.status_code)

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": NOT_FOUND}, status=404)

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": FORBIDDEN}, status=403)

    def refused(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=400)

    def not_computable(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message}, status=400)

    def busy(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(AuthenticationError, unauthorized)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(RuleError, refused)
    api.add_exception_handler(InvalidInput, not_computable)
    api.add_exception_handler(Busy, busy)


def json_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under ``/api/v1/``: a JSON 404, not the screens' HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"detail": NOT_FOUND}, status=404)
