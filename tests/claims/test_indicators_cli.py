"""``cpts indicators list`` and ``cpts indicators compute``, run as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cpts.cli import app

from .builders import act, beneficiary, gp, write_claims


def run(*arguments: str) -> Any:
    return CliRunner().invoke(app, ["indicators", *arguments])


def test_list_json_gives_code_label_and_reference() -> None:
    result = run("list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["code"] for row in rows} >= {
        "consumers",
        "patients_16_with_gp",
        "patients_16_without_gp",
        "ald_patients_without_gp",
        "patients_70_without_gp",
        "flu_vaccination_65",
        "colorectal_screening_50_74",
        "regulated_care_acts",
    }
    for row in rows:
        assert set(row) == {"code", "label", "reference"}
        assert "ACI CPTS" in row["reference"]


@pytest.fixture
def claims(tmp_path: Path) -> Path:
    """Lille (59350), Paris 18e (75118, coded by arrondissement), Ajaccio (2A004), Saint-Denis
    de La Réunion (97411), Roubaix (59512, outside), an unknown residence."""
    return write_claims(
        tmp_path / "claims",
        ben=[
            beneficiary("lille", 1950, "059", "350"),
            beneficiary("paris", 1980, "075", "118"),
            beneficiary("ajaccio", 1960, "209", "004"),
            beneficiary("reunion", 1955, "097", "411"),
            beneficiary("roubaix", 1950, "059", "512"),
            beneficiary("nowhere", 1950, "000", "000"),
        ],
        prs=[
            act(nir, "2024-03-01")
            for nir in ("lille", "paris", "ajaccio", "reunion", "roubaix", "nowhere")
        ]
        + [act("reunion", "2024-10-01", 3360), act("lille", "2024-11-11", 1935, quantity=2)],
        mtt=[gp("lille", "2020-01-01"), gp("paris", "2020-01-01", "2023-12-31")],
    )


def communes_file(tmp_path: Path, *codes: str) -> Path:
    path = tmp_path / "communes.csv"
    path.write_text("code\n" + "".join(f"{code}\n" for code in codes), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_compute_with_a_communes_file(geography: None, claims: Path, tmp_path: Path) -> None:
    # Paris listed whole (75056) covers the 18th arrondissement.
    path = communes_file(tmp_path, "59350", "75056", "2A004", "97411")
    result = run(
        "compute", "--claims", str(claims), "--communes", str(path),
        "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert data["engine"] == "duckdb"
    assert data["territory"] == {"communes": 24, "population": 4}  # Paris + 20 arrondissements
    assert data["unknown_residence"] == 1
    rows = {row["code"]: row for row in data["indicators"]}
    assert rows["consumers"] == {
        "code": "consumers",
        "label": "Patients consommants du territoire",
        "numerator": 4,
        "denominator": None,
        "value": 4,
    }
    assert rows["patients_16_with_gp"]["numerator"] == 1
    assert rows["patients_16_with_gp"]["denominator"] == 4
    assert rows["patients_16_with_gp"]["value"] == 0.25
    assert (rows["flu_vaccination_65"]["numerator"], rows["flu_vaccination_65"]["denominator"]) == (
        1,
        2,
    )
    assert rows["regulated_care_acts"]["value"] == 2
    assert "Calcul terminé" in result.stderr


@pytest.mark.django_db
def test_compute_for_a_community(people: dict[str, Any], claims: Path, tmp_path: Path) -> None:
    from cpts.communities.perimeters import set_perimeter
    from cpts.territory.models import Commune

    set_perimeter(people["nord"], list(Commune.objects.filter(code="59350")), dt.date(2023, 1, 1))
    result = run(
        "compute", "--claims", str(claims), "--community", "CPTS Nord", "--as", "coord",
        "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["territory"] == {"communes": 1, "population": 1}
    # the coordinator of Nord does not see Toulouse
    result = run(
        "compute", "--claims", str(claims), "--community", "CPTS Toulouse", "--as", "coord",
        "--from", "2024-01-01", "--to", "2024-12-31",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "introuvable" in result.stderr
    assert result.stdout == ""


@pytest.mark.django_db
def test_unknown_and_malformed_codes_are_refused_with_their_lines(
    geography: None, claims: Path, tmp_path: Path
) -> None:
    path = communes_file(tmp_path, "59350", "99999", "59 35", "2C004")
    result = run(
        "compute", "--claims", str(claims), "--communes", str(path),
        "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "ligne 3 : code INSEE inconnu « 99999 »" in result.stderr
    assert "ligne 4 : code INSEE mal formé « 59 35 »" in result.stderr
    assert "ligne 5 : code INSEE mal formé « 2C004 »" in result.stderr


@pytest.mark.django_db
def test_a_missing_column_is_named_and_nothing_is_written(
    geography: None, claims: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    file = claims / "IR_MTT_R" / "part-0.parquet"
    pq.write_table(pq.read_table(file).drop_columns(["MTT_FIN_DTE"]), file)
    path = communes_file(tmp_path, "59350")
    result = run(
        "compute", "--claims", str(claims), "--communes", str(path),
        "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "table IR_MTT_R, colonne MTT_FIN_DTE" in result.stderr
    assert "colonne obligatoire absente" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--from", "2024-12-31", "--to", "2024-01-01"), "période vide"),
        (("--from", "2024-13-01", "--to", "2024-12-31"), "date invalide"),
        (("--from", "2024-01-01", "--to", "2024-12-31", "--engine", "pandas"), "moteur"),
    ],
)
def test_bad_periods_and_engines_exit_2(
    tmp_path: Path, arguments: tuple[str, ...], message: str
) -> None:
    path = communes_file(tmp_path, "59350")
    result = run("compute", "--claims", str(tmp_path), "--communes", str(path), *arguments)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.django_db
def test_a_missing_claims_folder_exits_2(geography: None, tmp_path: Path) -> None:
    path = communes_file(tmp_path, "59350")
    result = run(
        "compute", "--claims", str(tmp_path / "none"), "--communes", str(path),
        "--from", "2024-01-01", "--to", "2024-12-31",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "dossier des données introuvable" in result.stderr
