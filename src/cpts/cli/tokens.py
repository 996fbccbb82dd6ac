"""``cpts token``: bearer tokens of machine accounts (a SAS platform, a regulation).

Run by whoever operates the server (as ``manage.py`` is), so the token records no creator. The
new token is the only line on stdout, so that a script can capture it; the note goes to stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from .lifecycle import _fail
from .territory import django_setup

errors = Console(stderr=True)


def token(
    user: Annotated[
        str | None, typer.Option("--user", help="Compte (machine) auquel donner un jeton")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="Libellé du jeton (à quoi il sert)")] = "",
    revoke: Annotated[
        str | None,
        typer.Option("--revoke", help="Révoquer le jeton de ce préfixe (ex. cpts_Ab12Cd34)"),
    ] = None,
) -> None:
    """Crée un jeton d'accès (--user) ou en révoque un (--revoke)."""
    if (user is None) == (revoke is None):
        raise _fail("indiquez soit --user (créer un jeton), soit --revoke (révoquer un jeton).")
    django_setup()
    from cpts.accounts import tokens
    from cpts.accounts.models import User

    if revoke is not None:
        try:
            revoked = tokens.revoke(revoke, by=None)
        except tokens.TokenError as error:
            raise _fail(str(error)) from None
        errors.print(
            f"Jeton {revoked.prefix}… de « {revoked.user.username} » révoqué.", highlight=False
        )
        return
    account = User.objects.filter(username=user, is_active=True).first()
    if account is None:
        raise _fail(f"utilisateur inconnu ou désactivé : « {user} ».")
    new = tokens.issue(account, label=label)
    typer.echo(new)
    errors.print(
        f"Jeton d'accès de « {account.username} » (préfixe {new[: tokens.DISPLAY_LENGTH]}) : "
        "conservez-le maintenant, il ne sera plus affiché.",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("token")(token)
