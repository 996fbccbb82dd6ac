"""Bearer tokens of machine accounts: only their digest is stored; revoked or unknown: no user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from cpts.accounts import tokens
from cpts.accounts.models import ApiToken, Role, User
from cpts.cli import app

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture
def sas(make_user: Callable[..., User]) -> User:
    return make_user("sas", Role.NATIONAL)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_an_issued_token_authenticates_its_user(sas: User) -> None:
    token = tokens.issue(sas, label="plateforme SAS")
    assert token.startswith("cpts_")
    assert tokens.authenticate(bearer(token)) == sas
    assert tokens.authenticate(f"bearer   {token}  ") == sas
    row = ApiToken.objects.get()
    assert row.label == "plateforme SAS"
    assert token.startswith(row.prefix)
    assert row.created_by is None
    assert row.history.count() == 1


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "cpts_abc",
        "Bearer cpts_short",
        "Bearer cpts_" + "A" * 43,  # well formed, unknown
        "Basic dXNlcjpwYXNzd29yZA==",
        "Token cpts_" + "A" * 43,
    ],
)
def test_malformed_unknown_or_other_schemes_authenticate_nobody(
    sas: User, header: str | None
) -> None:
    tokens.issue(sas)
    assert tokens.authenticate(header) is None


def test_another_scheme_with_a_valid_token_is_refused(sas: User) -> None:
    token = tokens.issue(sas)
    assert tokens.authenticate(f"Basic {token}") is None
    assert tokens.authenticate(token) is None


def test_a_revoked_token_authenticates_nobody(sas: User, people: dict[str, Any]) -> None:
    token = tokens.issue(sas)
    row = tokens.revoke(token[: tokens.DISPLAY_LENGTH], by=people["admin"])
    assert tokens.authenticate(bearer(token)) is None
    assert row.revoked_by == people["admin"]
    first = row.revoked_at
    assert tokens.revoke(token, by=None).revoked_at == first  # revoking twice changes nothing
    with pytest.raises(tokens.TokenError):
        tokens.revoke("cpts_unknown", by=None)


def test_an_inactive_user_is_refused(sas: User) -> None:
    token = tokens.issue(sas)
    sas.is_active = False
    sas.save()
    assert tokens.authenticate(bearer(token)) is None


def test_only_the_digest_is_stored(sas: User) -> None:
    token = tokens.issue(sas)
    secret = token[tokens.DISPLAY_LENGTH :]
    for table in (ApiToken._meta.db_table, ApiToken.history.model._meta.db_table):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")
            cells = [str(cell) for row in cursor.fetchall() for cell in row]
        assert not any(token in cell or secret in cell for cell in cells)
    assert ApiToken.objects.get().digest == tokens.digest_of(token)


def test_last_used_at_is_written_at_most_once_a_minute(sas: User) -> None:
    token = tokens.issue(sas)
    assert ApiToken.objects.get().last_used_at is None
    tokens.authenticate(bearer(token))
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    tokens.authenticate(bearer(token))
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    tokens.authenticate(bearer(token))
    assert ApiToken.objects.get().last_used_at > first - dt.timedelta(seconds=1)


def test_cli_prints_the_token_alone_on_stdout(sas: User) -> None:
    result = runner.invoke(app, ["token", "--user", "sas", "--label", "régulation"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert tokens.authenticate(bearer(lines[0])) == sas
    assert "plus affiché" in result.stderr
    assert ApiToken.objects.get().label == "régulation"


def test_cli_revokes_by_prefix(sas: User) -> None:
    token = tokens.issue(sas)
    result = runner.invoke(app, ["token", "--revoke", token[: tokens.DISPLAY_LENGTH]])
    assert result.exit_code == 0, result.stderr
    assert "révoqué" in result.stderr
    assert tokens.authenticate(bearer(token)) is None
    unknown = runner.invoke(app, ["token", "--revoke", "cpts_nothing"])
    assert unknown.exit_code == 2
    assert "aucun jeton" in unknown.stderr


@pytest.mark.parametrize("username", ["nobody", "sas"])
def test_cli_refuses_an_unknown_or_inactive_user(sas: User, username: str) -> None:
    User.objects.filter(username="sas").update(is_active=False)
    result = runner.invoke(app, ["token", "--user", username])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "inconnu ou désactivé" in result.stderr
    assert not ApiToken.objects.exists()


def test_cli_needs_exactly_one_of_user_and_revoke() -> None:
    assert runner.invoke(app, ["token"]).exit_code == 2
    assert runner.invoke(app, ["token", "--user", "a", "--revoke", "b"]).exit_code == 2
