"""Commands of contracts and payments: ``cpts contracts show``, ``cpts payments run``.

Each acts as a named user (``--as``) with that user's rights, exactly as in the browser, and
leaves an audit trail in that user's name. Without ``--as``, ``contracts show`` reads as an
administrator; ``payments run`` always needs the user who runs the payments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .territory import _date, _print_json, django_setup

console = Console()
errors = Console(stderr=True)
contracts_app = typer.Typer(
    help="Contrats des CPTS : années, données fixées, montants.", no_args_is_help=True
)
payments_app = typer.Typer(help="Campagnes de paiement.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]Erreur[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(2)


def _user(username: str | None) -> Any:
    """The user named ``--as`` (active), or an administrator when none is named."""
    from cpts.accounts.models import Role, User

    if username is None:
        admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if admin is None:
            raise _fail("aucun administrateur actif : indiquez l'utilisateur avec --as.")
        return admin
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _fail(f"utilisateur inconnu ou désactivé : « {username} ».")
    return user


def _community(user: Any, name_or_id: str) -> Any:
    """A community of the user's scope, by id or exact name (out of scope: unknown, as a 404)."""
    from .territory_args import find_community

    return find_community(user, name_or_id)


def contracts_of(community: Any) -> dict[str, Any]:
    """Every contract of ``community`` and its years, from their recorded facts."""
    import datetime as dt

    from django.utils import timezone

    from cpts.aci.money import euros
    from cpts.contracts import workflow
    from cpts.contracts.selectors import years_of

    today = timezone.localdate()
    contracts = []
    for contract in community.contracts.order_by("signed_on").prefetch_related("years"):
        years = [
            {
                "number": row.number,
                "start": row.start.isoformat(),
                "end": row.last_day.isoformat(),
                "population": row.facts.population,
                "size_class": row.facts.size_class,
                "grid": row.facts.grid,
                "members": row.facts.members,
                "total": euros(row.total) if row.total is not None else None,
                "recorded": row.facts.recorded,
                "final": row.facts.total is not None,
            }
            for row in years_of(contract)
        ]
        contracts.append(
            {
                "signed_on": contract.signed_on.isoformat(),
                "ends_on": (contract.ends_on - dt.timedelta(days=1)).isoformat(),
                "terminated_on": contract.terminated_on.isoformat()
                if contract.terminated_on
                else None,
                "status": contract.status_on(today),
                "years": years,
            }
        )
    return {
        "community": community.name,
        "community_id": community.pk,
        "stage": workflow.stage_of(community).value,
        "contracts": contracts,
    }


@contracts_app.command("show")
def show(
    community: Annotated[
        str, typer.Option("--community", help="Nom exact ou identifiant de la CPTS")
    ],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Agir en tant que cet utilisateur (ses droits)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Contrats d'une CPTS : années contractuelles, données fixées le premier jour, totaux."""
    django_setup()
    user = _user(as_user)
    data = contracts_of(_community(user, community))
    if output == "json":
        _print_json(data)
        return
    if not data["contracts"]:
        console.print(f"{data['community']} : aucun contrat.")
        return
    for contract in data["contracts"]:
        table = Table(
            title=f"{data['community']} — contrat signé le {contract['signed_on']} ({contract['status']})"
        )
        for column in (
            "Année",
            "Début",
            "Fin",
            "Population",
            "Taille",
            "Grille",
            "Membres",
            "Total",
        ):
            table.add_column(column)
        for year in contract["years"]:
            table.add_row(
                str(year["number"]),
                year["start"],
                year["end"],
                str(year["population"]),
                str(year["size_class"]),
                year["grid"],
                str(year["members"]),
                year["total"] or "—",
            )
        console.print(table)


@payments_app.command("run")
def run(
    on: Annotated[str, typer.Option("--on", help="Date de la campagne (AAAA-MM-JJ)")],
    as_user: Annotated[str, typer.Option("--as", help="L'agent qui lance la campagne")],
    community: Annotated[
        str | None, typer.Option("--community", help="Limiter à une CPTS (nom ou identifiant)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text ou json")] = "text",
) -> None:
    """Verse tout ce qui est dû à la date donnée, dans le périmètre de l'utilisateur."""
    django_setup()
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from cpts.contracts.services import RuleError
    from cpts.payments import ledger

    day = _date(on, "on")
    user = _user(as_user)
    selected = None
    if community is not None:
        from cpts.communities.models import Community

        selected = Community.objects.filter(pk=_community(user, community).pk)
    try:
        report = ledger.run_payments(user, day, selected)
    except RuleError as error:
        raise _fail(str(error)) from None
    except (PermissionDenied, Http404):
        raise _fail(
            f"{user.username} n'a pas le droit de lancer une campagne de paiement."
        ) from None
    if output == "json":
        _print_json(report.to_dict())
        return
    console.print(ledger.describe(report))
    for item in report.skipped:
        console.print(f"[yellow]Écarté[/] {item['community']} : {item['reason']}", soft_wrap=True)
    if report.paid:
        table = Table(title="Écritures")
        for column in ("CPTS", "Année", "Nature", "Montant"):
            table.add_column(column)
        for payment in report.paid:
            table.add_row(
                payment.community.name,
                str(payment.contract_year or "—"),
                payment.get_kind_display(),
                f"{Decimal(payment.amount):.2f}",
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(contracts_app, name="contracts")
    app.add_typer(payments_app, name="payments")
