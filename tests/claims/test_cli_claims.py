"""``cpts claims generate`` on the real reference geography (INSEE codes, legal populations)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cpts.claims import residence
from cpts.cli import app
from cpts.communities.models import Community
from cpts.communities.perimeters import set_perimeter
from cpts.territory import communes
from cpts.territory.models import Commune

pytestmark = pytest.mark.django_db
runner = CliRunner()
PARIS = [f"751{n:02d}" for n in range(1, 21)]


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "communes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def residences(out: Path) -> dict[str | None, int]:
    table = pq.read_table(out / "IR_BEN_R", columns=["BEN_RES_DPT", "BEN_RES_COM"]).to_pylist()
    known = frozenset([*PARIS, "75056", "2A004", "97411", "59350"])
    counts: dict[str | None, int] = {}
    for row in table:
        code = residence.decode(row["BEN_RES_DPT"], row["BEN_RES_COM"], known)
        counts[code] = counts.get(code, 0) + 1
    return counts


def test_a_city_listed_whole_stands_for_its_arrondissements(
    geography: None, tmp_path: Path
) -> None:
    file = write(tmp_path, "code\n75056\n2A004\n97411\n")
    out = tmp_path / "claims"
    code, stdout, err = cli(
        "claims", "generate", "--out", str(out), "--communes", str(file),
        "--from", "2024-01-01", "--to", "2024-03-31", "--beneficiaries", "5000", "--seed", "3",
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert data["communes"] == 22
    assert data["beneficiaries"] == 5000
    counts = residences(out)
    assert "75056" not in counts  # never the city itself: its arrondissements
    assert set(counts) == {*PARIS, "2A004", "97411", None}
    # Weighted by the legal populations in force on the first day.
    populations = communes.leaf_populations(["75056", "2A004", "97411"], dt.date(2024, 1, 1))
    total = sum(populations.values())
    for leaf, population in populations.items():
        assert abs(counts[leaf] - population / total * (5000 - 25)) <= 4, leaf


def test_a_community_brings_its_current_perimeter(
    make_community: Callable[..., Community], tmp_path: Path
) -> None:
    community = make_community("CPTS Lille Centre", "59")
    set_perimeter(community, [Commune.objects.get(code="59350")], dt.date(2023, 1, 1))
    out = tmp_path / "lille"
    code, stdout, err = cli(
        "claims", "generate", "--out", str(out), "--community", "cpts lille centre",
        "--from", "2024-01-01", "--to", "2024-01-31", "--rows", "20000", "--seed", "1",
    )  # fmt: skip
    assert code == 0, err
    assert "20\u202f000 lignes" in stdout
    counts = residences(out)
    assert set(counts) == {"59350", None}
    assert pq.read_table(out / "ER_PRS_F").num_rows == 20_000
    code, _, err = cli(
        "claims", "generate", "--out", str(tmp_path / "again"), "--community", str(community.pk),
        "--from", "2024-01-01", "--to", "2024-01-31", "--rows", "20000", "--seed", "1",
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "again" / "ER_PRS_F" / "2024-01-000.parquet").read_bytes() == (
        out / "ER_PRS_F" / "2024-01-000.parquet"
    ).read_bytes()


@pytest.mark.parametrize(
    ("options", "csv", "message"),
    [
        (["--from", "2024-02-01", "--to", "2024-01-01"], "code\n59350\n", "commence après sa fin"),
        (["--from", "2024-13-01", "--to", "2024-12-31"], "code\n59350\n", "date invalide"),
        ([], "code\n99999\n", "ligne 2 : code INSEE inconnu « 99999 »"),
        ([], "code\n59A50\n", "ligne 2 : code INSEE mal formé « 59A50 »"),
        ([], "commune\n59350\n", "colonne « code » absente"),
        ([], "code\n", "aucune commune"),
        (["--beneficiaries", "10", "--rows", "10"], "code\n59350\n", "pas les deux"),
        (["--beneficiaries", "0"], "code\n59350\n", "doit être positif"),
        (["--community", "CPTS Nord"], "code\n59350\n", "soit --community, soit --communes"),
    ],
)
def test_bad_input_is_one_french_message_exit_2_and_nothing_written(
    geography: None, tmp_path: Path, options: list[str], csv: str, message: str
) -> None:
    file = write(tmp_path, csv)
    dates = [] if "--from" in options else ["--from", "2024-01-01", "--to", "2024-01-31"]
    out = tmp_path / "out"
    code, _, err = cli(
        "claims", "generate", "--out", str(out), "--communes", str(file), "--seed", "1",
        *dates, *options,
    )  # fmt: skip
    assert code == 2
    assert message in " ".join(err.split())
    assert err.count("Erreur") == 1
    assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["communes.csv"]


def test_neither_source_and_an_unknown_community(geography: None, tmp_path: Path) -> None:
    base = ["claims", "generate", "--out", str(tmp_path / "out"), "--seed", "1"]
    dates = ["--from", "2024-01-01", "--to", "2024-01-31"]
    code, _, err = cli(*base, *dates)
    assert code == 2
    assert "soit --community, soit --communes" in err
    code, _, err = cli(*base, *dates, "--community", "CPTS inexistante")
    assert code == 2
    assert "CPTS introuvable" in err


def test_a_non_empty_folder_needs_force(geography: None, tmp_path: Path) -> None:
    file = write(tmp_path, "code\n2A004\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mes notes")
    arguments = [
        "claims", "generate", "--out", str(out), "--communes", str(file), "--seed", "1",
        "--from", "2024-01-01", "--to", "2024-01-15", "--beneficiaries", "500",
    ]  # fmt: skip
    code, _, err = cli(*arguments)
    assert code == 2
    assert "n'est pas vide" in err
    assert (out / "notes.txt").exists()
    code, _, err = cli(*arguments, "--force")
    assert code == 0, err
    assert not (out / "notes.txt").exists()
    assert residences(out).keys() <= {"2A004", None}


def test_summary_names_every_table(geography: None, tmp_path: Path) -> None:
    file = write(tmp_path, "code\n97411\n")
    code, stdout, _ = cli(
        "claims", "generate", "--out", str(tmp_path / "out"), "--communes", str(file),
        "--seed", "1", "--from", "2024-01-01", "--to", "2024-01-15", "--beneficiaries", "500",
    )  # fmt: skip
    assert code == 0
    for table in ("ER_PRS_F", "IR_BEN_R", "IR_IMB_R", "IR_MTT_R", "DA_PRA_R"):
        assert table in stdout
    assert "500 bénéficiaires" in stdout


def test_the_community_is_read_with_the_scope_of_as(
    computable: dict[str, object], tmp_path: Path
) -> None:
    """Without ``--as``, every community; with it, that user's scope: out of it is unknown."""
    base = ["claims", "generate", "--seed", "1", "--from", "2024-01-01", "--to", "2024-01-31"]
    base += ["--community", "CPTS Nord", "--beneficiaries", "20", "--format", "json"]
    code, out, err = cli(*base, "--out", str(tmp_path / "all"))
    assert code == 0, err
    assert json.loads(out)["source"] == "CPTS Nord"
    code, _, err = cli(*base, "--out", str(tmp_path / "cpam"), "--as", "cpam59")
    assert code == 0, err
    code, _, err = cli(*base, "--out", str(tmp_path / "facil"), "--as", "facil")
    assert code == 2
    assert "CPTS introuvable dans votre périmètre : « CPTS Nord »" in err
    assert not (tmp_path / "facil").exists()


def _database_url() -> str:
    """The test database's URL, for a command run in a subprocess."""
    from django.db import connection

    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings.get("PASSWORD") else ""
    # A Unix socket's folder (the embedded server of cpts.devdb) is written percent-encoded,
    # as cpts.devdb writes it; a TCP host as it is.
    host = quote(settings.get("HOST") or "127.0.0.1", safe="")
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{settings['USER']}{password}@{host}{port}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_installed_command_generates_from_a_communes_file(
    geography: None, tmp_path: Path
) -> None:
    """The real ``cpts`` binary, a process of its own: Django is set up before the CSV file's
    codes are looked up in the database (they once were looked up before: a traceback)."""
    file = write(tmp_path, "code\n59350\n")
    out = tmp_path / "claims"
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    environ.update(DATABASE_URL=_database_url(), SECRET_KEY="s" * 60)
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("cpts")), "claims", "generate",
            "--communes", str(file), "--beneficiaries", "300", "--seed", "5",
            "--from", "2024-01-01", "--to", "2024-01-31", "--out", str(out),
        ],
        env=environ, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert pq.read_table(out / "IR_BEN_R").num_rows == 300
    for table in ("ER_PRS_F", "IR_IMB_R", "IR_MTT_R", "DA_PRA_R"):
        assert list((out / table).glob("*.parquet")), table
    # The text output keeps its commas; numbers take a narrow no-break space.
    assert "300 bénéficiaires (" in completed.stdout
    assert ", graine 5." in completed.stdout


def test_the_text_output_keeps_its_commas_and_separates_thousands(
    geography: None, tmp_path: Path
) -> None:
    file = write(tmp_path, "code\n59350\n")
    code, stdout, err = cli(
        "claims", "generate", "--out", str(tmp_path / "out"), "--communes", str(file),
        "--from", "2024-01-01", "--to", "2024-01-31", "--rows", "12345", "--seed", "2",
    )  # fmt: skip
    assert code == 0, err
    first = stdout.splitlines()[0]
    assert " bénéficiaires (" in first
    assert re.search(r"\(\d[\d\u202f]* numéros BEN_NIR_PSA, \d+ résidences inconnues, ", first)
    assert ", du 01/01/2024 au 31/01/2024, graine 2." in first
    assert "  ER_PRS_F : 12\u202f345 lignes, " in stdout
    assert ", 1 fichier(s)" in stdout


@pytest.mark.parametrize("name_or_id", ["²", "١٢", "99999999999999999999999"])
def test_a_community_named_by_digits_of_another_script_is_unknown(
    geography: None, tmp_path: Path, name_or_id: str
) -> None:
    code, _, err = cli(
        "claims", "generate", "--out", str(tmp_path / "out"), "--community", name_or_id,
        "--from", "2024-01-01", "--to", "2024-01-31", "--seed", "1",
    )  # fmt: skip
    assert code == 2, err
    assert f"CPTS introuvable : « {name_or_id} »" in err
