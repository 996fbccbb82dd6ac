"""Who may import what (issue 15, finding 2): an ARS writes the perimeters of its own region only,
in the browser and on the command line (``--as``); populations are for administrators only.

Real reference data: Toulouse 31555 (Occitanie, 76), Montpellier 34172 (Hérault, Occitanie),
Lille 59350 and Roubaix 59512 (Nord, Hauts-de-France, 32), Amiens 80021 (Somme, 32).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from cpts.accounts import access
from cpts.accounts.models import Role, User
from cpts.cli import app
from cpts.communities.models import Community
from cpts.territory.models import Perimeter, PerimeterItem, PopulationVintage

pytestmark = pytest.mark.django_db

#: Finding 2: an ARS of Hauts-de-France moves a community of Occitanie (Toulouse, size 3 -> 4) and
#: creates a community in département 34.
ATTACK = "community,code\nCPTS Toulouse,31555\nCPTS Hérault,34172\n"


def post(client: Client, text: str, name: str = "liste.csv", **fields: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"valid_from": "2026-01-15", **fields}
    data["file"] = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("territory:import"), data)


def nothing_written(people: dict[str, Any], communities: int = 3) -> None:
    assert Community.objects.count() == communities
    assert not Perimeter.objects.exists()
    toulouse = Community.objects.get(pk=people["toulouse"].pk)
    assert toulouse.population == 100_000  # still size 3
    assert not Community.objects.filter(name="CPTS Hérault").exists()


def test_the_ars_of_hauts_de_france_cannot_write_in_occitanie(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["ars"])
    response = post(client, ATTACK)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "rien n'a été enregistré" in page
    assert (
        "ligne 2 : CPTS Toulouse : la commune 31555 Toulouse (département 31) est hors de votre "
        "région (Hauts-de-France) : import refusé" in page
    )
    assert "ligne 2 : CPTS Toulouse : cette CPTS a son siège dans le département 31" in page
    assert "ligne 3 : CPTS Hérault : la commune 34172 Montpellier (département 34)" in page
    assert "ligne 3 : CPTS Hérault : la création de cette CPTS, dont le siège serait" in page
    nothing_written(people)
    # the downloaded report names the same lines
    report = client.get(reverse("territory:import_report")).content.decode("utf-8")
    assert "\r\n2;erreur;CPTS Toulouse : la commune 31555 Toulouse" in report
    assert "\r\n3;erreur;CPTS Hérault : la commune 34172 Montpellier" in report


def test_one_line_out_of_the_region_refuses_the_whole_file(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["ars"])
    # CPTS Nord is in the region, but one of its communes is not (Toulouse, line 3)
    response = post(client, "community;code\nCPTS Nord;59350\nCPTS Nord;31555\nCPTS Somme;80021\n")
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "ligne 3 : CPTS Nord : la commune 31555 Toulouse (département 31)" in page
    assert "ligne 2 :" not in page
    assert "ligne 4 :" not in page
    nothing_written(people)
    assert Community.objects.get(name="CPTS Nord").population == 100_000


def test_the_ars_writes_its_own_region_and_the_ars_of_occitanie_its_own(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["ars"])
    response = post(client, "community,code\nCPTS Nord,59350\nCPTS Somme,80021\n")
    assert response.status_code == 200
    assert "Fichier importé : 2 CPTS, 1 créée(s), 1 modifiée(s)" in html.unescape(
        response.content.decode()
    )
    assert Community.objects.get(name="CPTS Somme").departement_id == "80"
    assert Perimeter.objects.count() == 2
    # the very file refused to the ARS of Hauts-de-France is the Occitanie ARS's to import
    client.force_login(people["ars_occitanie"])
    response = post(client, ATTACK)
    assert "Fichier importé : 2 CPTS, 1 créée(s), 1 modifiée(s)" in html.unescape(
        response.content.decode()
    )
    assert Community.objects.get(name="CPTS Hérault").departement_id == "34"
    assert Community.objects.get(name="CPTS Toulouse").population > 175_000  # size 4 now


def test_other_roles_may_not_import_perimeters_and_the_administrator_may(
    people: dict[str, Any], client: Client
) -> None:
    for role in ("coordinator", "cpam", "national", "facilitator"):
        client.force_login(people[role])
        assert client.get(reverse("territory:import")).status_code == 403
        assert post(client, ATTACK).status_code == 403
    nothing_written(people)
    client.force_login(people["admin"])
    assert "Fichier importé : 2 CPTS" in post(client, ATTACK).content.decode()


def test_the_scope_is_decided_in_access(people: dict[str, Any]) -> None:
    assert access.writable_region_ids(people["ars"]) == {"32"}
    assert access.writable_region_ids(people["admin"]) is None
    assert access.writable_region_ids(None) is None  # the command line without --as
    assert access.writable_region_ids(people["cpam"]) == set()
    assert access.writable_departements(people["ars"]) == {"02", "59", "60", "62", "80"}
    assert access.departements_out_of_scope(people["ars"], {"59", "31", "34"}) == {"31", "34"}
    assert access.departements_out_of_scope(people["admin"], {"59", "31"}) == set()
    people["ars"].is_active = False
    assert access.writable_region_ids(people["ars"]) == set()


# --- The command line: --as USERNAME --------------------------------------------------------------


def cli(*arguments: str) -> Any:
    return CliRunner().invoke(app, ["territory", *arguments])


def test_the_command_line_applies_the_scope_of_as(tmp_path: Path, people: dict[str, Any]) -> None:
    path = tmp_path / "occitanie.csv"
    path.write_text(ATTACK, encoding="utf-8")
    refused = cli("import-perimeters", str(path), "--date", "2026-01-15", "--as", "ars-hdf")
    assert refused.exit_code == 2
    assert "ligne 2 : CPTS Toulouse : la commune 31555 Toulouse" in refused.stderr
    assert "ligne 3 : CPTS Hérault : la commune 34172 Montpellier" in refused.stderr
    assert "rien n'a été enregistré" in refused.stderr
    nothing_written(people)

    unknown = cli("import-perimeters", str(path), "--as", "personne")
    assert unknown.exit_code == 2
    assert "utilisateur « personne » inconnu ou désactivé" in unknown.stderr
    coordinator = cli("import-perimeters", str(path), "--as", "coord")
    assert coordinator.exit_code == 2
    assert "L'import des périmètres est réservé aux ARS" in coordinator.stderr
    assert "Traceback" not in coordinator.output
    nothing_written(people)

    accepted = cli("import-perimeters", str(path), "--date", "2026-01-15", "--as", "ars-occ")
    assert accepted.exit_code == 0, accepted.output
    assert Community.objects.get(name="CPTS Hérault").departement_id == "34"


def test_without_as_the_command_line_acts_as_an_administrator(
    tmp_path: Path, people: dict[str, Any]
) -> None:
    path = tmp_path / "occitanie.csv"
    path.write_text(ATTACK, encoding="utf-8")
    result = cli("import-perimeters", str(path), "--date", "2026-01-15")
    assert result.exit_code == 0, result.output
    assert Perimeter.objects.count() == 2


def test_the_author_of_a_change_made_with_as_is_recorded(
    tmp_path: Path, people: dict[str, Any], client: Client
) -> None:
    """The audit trail names the user given by --as: the new community, the perimeter versions
    and their communes, and the population of the community that changed."""
    path = tmp_path / "nord.csv"
    path.write_text(
        "community,code\nCPTS Nord,59350\nCPTS Nord,59512\nCPTS Somme,80021\n", encoding="utf-8"
    )
    result = cli("import-perimeters", str(path), "--date", "2026-01-15", "--as", "ars-hdf")
    assert result.exit_code == 0, result.output
    ars = people["ars"]
    somme = Community.objects.get(name="CPTS Somme")
    assert [(row.history_type, row.history_user) for row in somme.history.all()] == [
        ("~", ars),  # its population
        ("+", ars),
    ]
    nord = Community.objects.get(pk=people["nord"].pk)
    assert nord.history.latest("history_date").history_user == ars
    for perimeter in Perimeter.objects.all():
        assert perimeter.history.get().history_user == ars
        authors = set(
            PerimeterItem.history.filter(perimeter_id=perimeter.pk).values_list(
                "history_user", flat=True
            )
        )
        assert authors == {ars.pk}
    # and the browser records the signed-in user the same way
    client.force_login(people["admin"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("territory:import"),
        {
            "valid_from": "2026-02-01",
            "file": SimpleUploadedFile("p.csv", b"community,code\nCPTS Pas-de-Calais,62041\n"),
        },
    )
    perimeter = Perimeter.objects.get(community=people["pas_de_calais"])
    assert perimeter.history.get().history_user == people["admin"]


def test_populations_are_imported_by_administrators_only(
    tmp_path: Path, people: dict[str, Any], client: Client
) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("CODGEO;PMUN\n59350;236710\n", encoding="utf-8")
    for username in ("ars-hdf", "cpam59", "coord", "national"):
        result = cli("import-populations", str(path), "--year", "2030", "--as", username)
        assert result.exit_code == 2
        assert "réservé à l'administration" in result.stderr
    assert not PopulationVintage.objects.filter(year=2030).exists()
    result = cli("import-populations", str(path), "--year", "2030", "--as", "root")
    assert result.exit_code == 0, result.output
    vintage = PopulationVintage.objects.get(year=2030)
    assert vintage.in_force_from == dt.date(2033, 1, 1)
    assert vintage.populations.get(commune_id="59350").population == 236_710


def test_an_inactive_user_is_refused(tmp_path: Path, people: dict[str, Any]) -> None:
    User.objects.filter(username="root").update(is_active=False)
    path = tmp_path / "occitanie.csv"
    path.write_text(ATTACK, encoding="utf-8")
    result = cli("import-perimeters", str(path), "--as", "root")
    assert result.exit_code == 2
    assert "inconnu ou désactivé" in result.stderr
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 0
    nothing_written(people)
