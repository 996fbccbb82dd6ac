"""The territory on real reference data (INSEE COG 2026, populations légales 2023), on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from typer.testing import CliRunner

from cpts.cli import app
from cpts.communities import perimeters
from cpts.communities.models import Community
from cpts.communities.perimeter_imports import import_perimeters
from cpts.communities.population_imports import import_populations
from cpts.contracts import engine, services
from cpts.territory import communes
from cpts.territory.models import Commune, Perimeter
from cpts.territory.reference import DATA_DIR, load_reference_data

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 1)


def shipped_communes() -> list[dict[str, str]]:
    """The shipped file, read independently of the database, to check the figures."""
    return list(
        csv.DictReader(
            io.StringIO(gzip.decompress((DATA_DIR / "communes.csv.gz").read_bytes()).decode())
        )
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_data_is_real_and_loading_is_idempotent(geography: None) -> None:
    assert Commune.objects.filter(kind="commune").count() == 34_875
    paris = Commune.objects.get(code="75056")
    arrondissements = list(paris.arrondissements.values_list("code", flat=True))
    assert arrondissements == [f"751{n:02d}" for n in range(1, 21)]
    assert (
        paris.population == sum(a.population or 0 for a in paris.arrondissements.all()) == 2_103_778
    )
    assert Commune.objects.get(code="69123").arrondissements.count() == 9  # Lyon
    assert Commune.objects.get(code="13055").arrondissements.count() == 16  # Marseille
    assert Commune.objects.get(code="2A004").name == "Ajaccio"
    report = load_reference_data()
    assert (report.communes, report.arrondissements) == (34_875, 45)
    assert Commune.objects.count() == 34_920


def test_a_former_code_maps_to_the_current_commune_with_a_warning(geography: None) -> None:
    result = communes.resolve_codes(["01003", "75118", "99999"])
    assert [commune.code for commune in result.communes] == ["01165", "75118"]
    assert "01003 est un ancien code : remplacé par 01165" in result.warnings[0]
    assert result.errors == ["code INSEE inconnu : 99999"]


def test_a_whole_city_means_all_of_its_arrondissements(geography: None) -> None:
    assert communes.population_of(["75056"], DAY) == 2_103_778
    assert communes.population_of(["75056", "75118"], DAY) == 2_103_778  # no double count
    assert communes.leaf_codes(["69123"]) == {f"6938{n}" for n in range(1, 10)}


def test_whole_region_import_and_its_coverage(tmp_path: Path, geography: None) -> None:
    corse = [
        row for row in shipped_communes() if row["region"] == "94" and row["kind"] == "commune"
    ]
    assert len(corse) == 360
    left_out = {"2B049", "2A272"}  # two communes no community covers
    lines = ["community,code,finess"]
    for row in corse:
        if row["code"] in left_out:
            continue
        name = "CPTS Pays Ajaccien" if row["departement"] == "2A" else "CPTS Haute-Corse"
        if row["code"].startswith("2B0"):
            name = "CPTS Bastia Cap Corse"
        lines.append(f"{name},{row['code']},")
    lines.append("CPTS Haute-Corse,2B033,")  # Bastia claimed twice: one overlap
    report = import_perimeters(write(tmp_path, "corse.csv", "\n".join(lines) + "\n"), DAY)
    assert report.ok, report.errors
    assert (report.communities, report.created) == (3, 3)

    stats = perimeters.coverage(DAY, region="94")
    population = sum(int(row["population"]) for row in corse)
    uncovered = sum(int(row["population"]) for row in corse if row["code"] in left_out)
    assert stats["communes"] == 360
    assert stats["population"] == population
    assert stats["covered_population"] == population - uncovered
    assert stats["covered_share"] == pytest.approx((population - uncovered) / population, abs=1e-4)
    assert stats["uncovered_communes"] == 2
    assert stats["overlaps"] == 1
    assert stats["communities"] == 3
    assert [unit["code"] for unit in perimeters.overlapping_units(DAY, region="94")] == ["2B033"]
    assert {c["code"] for c in perimeters.uncovered_communes(DAY, region="94")} == left_out
    ajaccien = Community.objects.get(name="CPTS Pays Ajaccien")
    assert ajaccien.departement_id == "2A"
    assert ajaccien.population == sum(
        int(r["population"])
        for r in corse
        if r["departement"] == "2A" and r["code"] not in left_out
    )
    # the same file again changes nothing
    again = import_perimeters(
        write(tmp_path, "corse.csv", "\n".join(lines) + "\n"), dt.date(2026, 6, 1)
    )
    assert (again.created, again.changed, again.unchanged) == (0, 0, 3)
    assert Perimeter.objects.count() == 3
    # before the perimeters took effect, nothing was covered
    assert perimeters.coverage(dt.date(2026, 2, 1), region="94")["covered_population"] == 0


def test_geojson_with_arrondissements_and_overlaps(tmp_path: Path, geography: None) -> None:
    features = [
        {"type": "Feature", "geometry": None, "properties": {"name": "CPTS Paris Nord", "communes": [], "arrondissements": ["75117", "75118"]}},
        {"type": "Feature", "geometry": None, "properties": {"name": "CPTS Paris", "communes": ["75056"]}},
    ]  # fmt: skip
    path = write(
        tmp_path, "paris.geojson", json.dumps({"type": "FeatureCollection", "features": features})
    )
    assert import_perimeters(path, DAY).ok
    stats = perimeters.coverage(DAY, departement="75")
    assert (stats["communes"], stats["covered_share"], stats["overlaps"]) == (1, 1.0, 2)
    nord = Community.objects.get(name="CPTS Paris Nord")
    expected = sum(c.population or 0 for c in Commune.objects.filter(code__in=["75117", "75118"]))
    assert nord.population == expected


@pytest.mark.parametrize(
    ("name", "text", "messages"),
    [
        (
            "bad.csv",
            "community,code\nCPTS A,75118\nCPTS A,99999\n,75117\nCPTS B,\n",
            [
                "ligne 3 : CPTS A : code INSEE inconnu « 99999 »",
                "ligne 4 : nom de communauté vide",
                "ligne 5 : CPTS B : code INSEE vide",
            ],
        ),
        ("header.csv", "nom_cpts;commune\nA;75118\n", ["en-tête attendu"]),
        (
            "finess.csv",
            "community,code,finess\nCPTS A,75118,750000012\nCPTS A,75117,750000020\n",
            ["ligne 3 : CPTS A : deux numéros FINESS différents"],
        ),
        (
            "empty.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "properties": {"name": "CPTS Vide", "communes": []}}
                    ],
                }
            ),
            ["entité 1 : CPTS Vide : périmètre vide"],
        ),
        ("broken.geojson", '{"type": "FeatureCollection", "features": [', ["GeoJSON illisible"]),
        ("list.xlsx", "x", ["format non reconnu"]),
        (
            "key.csv",
            "community,code,finess\nCPTS A,75118,750712185\n",
            ["ligne 2 : CPTS A : FINESS « 750712185 »"],
        ),
    ],
)
def test_bad_files_are_refused_line_by_line_and_nothing_is_written(
    tmp_path: Path, geography: None, name: str, text: str, messages: list[str]
) -> None:
    report = import_perimeters(write(tmp_path, name, text), DAY)
    assert not report.ok
    rendered = [str(problem) for problem in report.errors]
    for message in messages:
        assert any(message in line for line in rendered), rendered
    assert not Community.objects.exists()
    assert not Perimeter.objects.exists()
    assert report.as_csv().startswith("\ufeffligne;gravité;message")


def test_a_perimeter_change_that_changes_the_size_flags_the_contract(
    tmp_path: Path, contracted: dict[str, Any]
) -> None:
    nord = contracted["nord"]  # 100 000 inhabitants: size 3, contract signed 15/01/2023
    first = write(tmp_path, "a.csv", "community,code\nCPTS Nord,59350\n")  # Lille
    assert import_perimeters(first, dt.date(2025, 2, 1)).ok
    nord.refresh_from_db()
    lille = Commune.objects.get(code="59350").population
    assert nord.population == lille
    contract = contracted["contract"]
    amendment = contract.amendments.get()  # proposed, never applied silently
    assert (amendment.status, amendment.size_class, amendment.population) == ("proposed", 4, lille)
    # an amendment is never retroactive: signed today, it would take effect on the next
    # anniversary (a 15 January), in the contract (until 14 Jan 2028): today, 25 Nov 2026, year 5
    today = timezone.localdate()
    anniversary = dt.date(today.year + (today > dt.date(today.year, 1, 15)), 1, 15)
    expected = anniversary if anniversary < dt.date(2028, 1, 15) else None
    assert amendment.effective_from == expected
    assert [row["number"] for row in amendment.impact] == (
        [anniversary.year - 2022] if expected else []
    )
    assert engine.year_facts(contract, 1).size_class == 3
    assert "taille 3 → 4" in services.amendment_summary(amendment)
    second = write(
        tmp_path, "b.csv", "community,code\nCPTS Nord,59350\nCPTS Nord,59512\n"
    )  # + Roubaix
    report = import_perimeters(second, dt.date(2025, 9, 1))
    assert (report.changed, report.unchanged) == (1, 0)
    versions = list(nord.perimeters.order_by("valid_from").values_list("valid_from", "valid_to"))
    assert versions == [(dt.date(2025, 2, 1), dt.date(2025, 9, 1)), (dt.date(2025, 9, 1), None)]
    # the new proposal supersedes the first one
    assert list(contract.amendments.order_by("pk").values_list("status", flat=True)) == [
        "dismissed",
        "proposed",
    ]
    assert perimeters.coverage(dt.date(2025, 3, 1), departement="59")["covered_population"] == lille


def test_an_insee_populations_file_can_be_imported(tmp_path: Path, geography: None) -> None:
    text = (
        "DEP;CODCOM;COM;PMUN\n75;101;Paris 1er;15000\n75;102;Paris 2e;21000\n01;003;Ancienne;100\n"
    )
    report = import_populations(write(tmp_path, "pop.csv", text), 2030, dt.date(2033, 1, 1))
    assert report.ok
    assert "ancien code" in str(report.warnings[0])
    assert communes.population_of(["75101", "75102"], dt.date(2033, 6, 1)) == 36_000
    assert (
        communes.population_of(["75101", "75102"], dt.date(2032, 6, 1)) != 36_000
    )  # 2023 still in force
    bad = import_populations(
        write(tmp_path, "bad.csv", "CODGEO;PMUN\n99999;12\n"), 2031, dt.date(2034, 1, 1)
    )
    assert not bad.ok
    assert "ligne 2 : code INSEE inconnu « 99999 »" in str(bad.errors[0])


def test_the_command_line(tmp_path: Path, geography: None) -> None:
    runner = CliRunner()
    path = write(tmp_path, "p.csv", "community,code\nCPTS Lyon,69123\nCPTS Lyon 3,69383\n")
    result = runner.invoke(
        app, ["territory", "import-perimeters", str(path), "--date", "2026-01-15"]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(
        runner.invoke(
            app,
            [
                "territory",
                "stats",
                "--format",
                "json",
                "--departement",
                "69",
                "--date",
                "2026-02-01",
            ],
        ).stdout
    )
    lyon = Commune.objects.get(code="69123").population
    assert stats["covered_population"] == lyon
    assert stats["overlaps"] == 1
    rows = json.loads(
        runner.invoke(
            app,
            [
                "territory",
                "communities",
                "--format",
                "json",
                "--region",
                "84",
                "--date",
                "2026-02-01",
            ],
        ).stdout
    )
    assert [(r["name"], r["size_class"], r["codes"]) for r in rows] == [
        ("CPTS Lyon", 4, 1),
        ("CPTS Lyon 3", 3, 1),
    ]
    bad = runner.invoke(
        app,
        [
            "territory",
            "import-perimeters",
            str(write(tmp_path, "x.csv", "community,code\nA,00000\n")),
        ],
    )
    assert bad.exit_code == 2
    assert "rien n'a été enregistré" in bad.stderr


def test_territory_pages(tmp_path: Path, people: dict[str, Any], client: Client) -> None:
    import_perimeters(write(tmp_path, "p.csv", "community,code\nCPTS Nord,59350\n"), DAY)
    client.force_login(people["national"])
    page = client.get(reverse("territory:overview"), {"region": "32"}).content.decode()
    assert "<svg" in page
    assert "Couverture par département (alternative à la carte)" in page
    assert "Nord (59)" in page
    client.force_login(people["coordinator"])
    assert client.get(reverse("territory:perimeter", args=[people["nord"].pk])).status_code == 200
    assert (
        client.get(reverse("territory:perimeter", args=[people["toulouse"].pk])).status_code == 404
    )
    assert client.get(reverse("territory:import")).status_code == 403
    client.force_login(people["ars"])
    assert client.get(reverse("territory:import")).status_code == 200
