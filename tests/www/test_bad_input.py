"""Bad input (issue 15, finding 10): a French message, nothing written, never a 500.

Through the real views (Django test client) and the command line, on real INSEE codes (Lille
59350) and real RPPS keys (01234567897).
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook
from typer.testing import CliRunner

from cpts.cli import app
from cpts.communities.models import Community, Member
from cpts.territory import files
from cpts.territory.files import MAX_XLSX_UNCOMPRESSED, safe_cell
from cpts.territory.models import Perimeter, PopulationVintage

pytestmark = pytest.mark.django_db

COMMUNITIES = 3  # the ``people`` fixture's


def perimeter_post(client: Client, data: bytes, name: str = "liste.csv", **fields: Any) -> Any:
    form = {"valid_from": "2026-01-15", **fields}
    form["file"] = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("territory:import"), form)


def page_of(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def nothing_written() -> None:
    assert Community.objects.count() == COMMUNITIES
    assert not Perimeter.objects.exists()


@pytest.fixture
def ars(people: dict[str, Any], client: Client) -> Client:
    client.force_login(people["ars"])  # Hauts-de-France: Lille 59350 is in its region
    return client


# --- Perimeters, in the browser -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("nul.csv", b"community,code\nCPTS \x00Lille,59350\n", "caractères nuls (octet 0)"),
        (
            "nul.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"properties": {"name": "CPTS \x00Lille", "communes": ["59350"]}}],
                }
            ).encode(),  # an escaped \u0000: valid JSON, refused in the name
            "entité 1 : nom de communauté contient un caractère nul (octet 0)",
        ),
        (
            "long.csv",
            ("community,code\n" + "A" * 505 + ",59350\n").encode(),
            "ligne 2 : nom de communauté trop long : 505 caractères (200 au plus)",
        ),
        (
            "long-code.csv",
            ("community,code\nCPTS Lille," + "5" * 300 + "\n").encode(),
            "ligne 2 : CPTS Lille : code INSEE trop long : 300 caractères (10 au plus)",
        ),
        (
            "deep.geojson",
            b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "JSON trop imbriqué : plus de 64 niveaux",
        ),
        (
            "number.geojson",
            b'{"type": "FeatureCollection", "features": [], "x": ' + b"9" * 5000 + b"}",
            "GeoJSON illisible",
        ),
        (
            "latin1.csv",
            "community,code\nCPTS Les Trois Rivières,59350\n".encode("cp1252"),
            "n'est pas encodé en UTF-8",
        ),
        ("blank.csv", b"\r\n  \n", "Le fichier est vide."),
        ("header-only.csv", b"community;code\r\n", "aucune ligne de périmètre après l'en-tête"),
        ("no-header.csv", b"CPTS Lille,59350\n", "en-tête attendu « community,code »"),
        (
            "huge-cell.csv",
            b'community,code\nCPTS Lille,59350\n"' + b"x" * 200_000 + b'",59350\n',
            "fichier : Ligne 3 : CSV mal formé (une cellule dépasse 131072 caractères)",
        ),
    ],
)
def test_bad_perimeter_files_get_a_french_message_and_write_nothing(
    ars: Client, name: str, data: bytes, message: str
) -> None:
    page = page_of(perimeter_post(ars, data, name))
    assert message in page
    assert "rien n'a été enregistré" in page
    nothing_written()


def test_an_empty_upload_and_a_nul_in_a_form_field(ars: Client) -> None:
    assert "Le fichier soumis est vide." in page_of(perimeter_post(ars, b"", "vide.csv"))
    page = page_of(
        perimeter_post(ars, b"community,code\nCPTS Lille,59350\n", valid_from="2026\x00")
    )
    assert "Saisissez une date valide." in page
    nothing_written()
    # the coverage page's filters too
    response = ars.get(
        reverse("territory:overview"), {"region": "\x00", "on": "\x00", "page": "\x00"}
    )
    assert response.status_code == 200


def test_a_quoted_name_with_doubled_quotes_is_kept(ars: Client) -> None:
    data = (
        'community,code\n"CPTS ""Les Trois Rivières""",59350\n"CPTS ""Les Trois Rivières""",59512\n'
    )
    page = page_of(perimeter_post(ars, data.encode()))
    assert "Fichier importé : 1 CPTS, 1 créée(s)" in page
    community = Community.objects.get(name='CPTS "Les Trois Rivières"')
    assert sorted(community.perimeters.get().items.values_list("commune_id", flat=True)) == [
        "59350",
        "59512",
    ]


def test_a_semicolon_csv_with_a_bom_as_french_excel_writes_it(ars: Client) -> None:
    data = "\ufeffCommunauté;Code INSEE\r\nCPTS Lille Métropole;59350\r\n".encode()
    page = page_of(perimeter_post(ars, data))
    assert "Fichier importé : 1 CPTS, 1 créée(s)" in page
    assert Community.objects.get(name="CPTS Lille Métropole").departement_id == "59"


def test_a_formula_in_a_name_is_neutralised_in_the_downloaded_report(ars: Client) -> None:
    page = page_of(perimeter_post(ars, b"community,code\n=1+1,99999\n@SUM(A1),59350x\n"))
    assert "=1+1 : code INSEE inconnu « 99999 »" in page
    report = ars.get(reverse("territory:import_report"))
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    text = report.content.decode("utf-8")
    assert text.startswith("\ufeffligne;gravité;message\r\n")
    assert "\r\n2;erreur;'=1+1 : code INSEE inconnu « 99999 »\r\n" in text
    assert "\r\n3;erreur;'@SUM(A1) : code INSEE inconnu « 59350X »\r\n" in text
    assert ";=" not in text
    assert ";@" not in text
    nothing_written()


# --- Members, in the browser ----------------------------------------------------------------------

HEADER = ["type", "nom", "rpps", "profession", "commune"]
MARTIN = ["professionnel", "Dr Martin", "01234567897", "médecin généraliste", "59350"]


def members_post(client: Client, pk: int, data: bytes, name: str) -> Any:
    return client.post(
        reverse("communities:members", args=[pk]), {"file": SimpleUploadedFile(name, data)}
    )


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb(uncompressed: int) -> bytes:
    """A valid workbook (one valid member) whose sheet XML is padded with whitespace up to
    ``uncompressed`` bytes: a few kB on the wire."""
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADER, MARTIN])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b" " * uncompressed + b"</worksheet>")
            bomb.writestr(info.filename, data)
    return out.getvalue()


def test_an_excel_zip_bomb_is_refused_before_openpyxl_reads_it(
    people: dict[str, Any], client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = zip_bomb(MAX_XLSX_UNCOMPRESSED + 1024 * 1024)
    assert len(bomb) < 200 * 1024  # a few kB decompressing to more than the limit
    opened: list[object] = []
    import openpyxl

    original = openpyxl.load_workbook
    monkeypatch.setattr(
        openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or original(*a, **k)
    )
    client.force_login(people["coordinator"])
    page = page_of(members_post(client, people["nord"].pk, bomb, "membres.xlsx"))
    assert "Le classeur Excel décompressé ferait 41 Mo (40 Mo au plus)" in page
    assert opened == []
    assert not Member.objects.exists()
    # the same workbook, without its padding, imports its member (and openpyxl reads it)
    response = members_post(client, people["nord"].pk, workbook([HEADER, MARTIN]), "m.xlsx")
    assert response.status_code == 302
    assert len(opened) == 1
    assert people["nord"].members.get().rpps == "01234567897"


def corrupt_workbook() -> bytes:
    """A zip with the parts of a workbook, whose workbook part is not XML."""
    source = zipfile.ZipFile(io.BytesIO(workbook([HEADER, MARTIN])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for info in source.infolist():
            data = source.read(info.filename)
            broken.writestr(
                info.filename, b"<workbook" if info.filename.endswith("k.xml") else data
            )
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("m.xlsx", corrupt_workbook(), "Le classeur Excel est illisible ou endommagé"),
        ("m.xlsx", b"PK\x03\x04 not a zip", "Le classeur Excel est illisible ou endommagé"),
        (
            "m.csv",
            (";".join(HEADER) + "\n" + ";".join(MARTIN).replace("Dr", "Dr\x00") + "\n").encode(),
            "caractères nuls (octet 0)",
        ),
        (
            "m.csv",
            (";".join(HEADER) + "\n" + ";".join(MARTIN) + "\n").encode("cp1252"),
            "n'est pas encodé en UTF-8",
        ),
    ],
)
def test_bad_member_files_get_a_french_message_and_write_nothing(
    people: dict[str, Any], client: Client, name: str, data: bytes, message: str
) -> None:
    client.force_login(people["coordinator"])
    page = page_of(members_post(client, people["nord"].pk, data, name))
    assert message in page
    assert not Member.objects.exists()


def test_a_quoted_member_name_and_a_long_one(people: dict[str, Any], client: Client) -> None:
    client.force_login(people["coordinator"])
    long_name = ";".join([*MARTIN[:1], "B" * 505, "10101201233", *MARTIN[3:]])
    data = ";".join(HEADER) + "\n" + long_name + "\n"
    page = page_of(members_post(client, people["nord"].pk, data.encode(), "m.csv"))
    assert "Le nom dépasse 200 caractères (505)." in page
    assert not Member.objects.exists()
    data = (
        ",".join(HEADER) + '\nprofessionnel,"Dr ""Jo"" Martin, fils",01234567897,sage-femme,59350\n'
    )
    assert members_post(client, people["nord"].pk, data.encode(), "m.csv").status_code == 302
    assert people["nord"].members.get().name == 'Dr "Jo" Martin, fils'


# --- The command line -----------------------------------------------------------------------------


def cli(*arguments: str) -> Any:
    return CliRunner().invoke(app, ["territory", *arguments])


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_bad_perimeter_files_on_the_command_line(tmp_path: Path, people: dict[str, Any]) -> None:
    cases = [
        ("nul.csv", b"community,code\nCPTS \x00Lille,59350\n", "caractères nuls (octet 0)"),
        (
            "deep.geojson",
            b'{"type": "FeatureCollection", "features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "JSON trop imbriqué",
        ),
        ("long.csv", ("community,code\n" + "A" * 505 + ",59350\n").encode(), "505 caractères"),
        # a name that is rich markup is printed as it is, not interpreted (nor crashing)
        ("markup.csv", b"community,code\nCPTS [/] [bold],99999\n", "CPTS [/] [bold] : code INSEE"),
    ]
    for name, data, message in cases:
        result = cli("import-perimeters", write(tmp_path, name, data), "--date", "2026-01-15")
        assert result.exit_code == 2, (name, result.output)
        assert message in result.stderr, name
        assert "rien n'a été enregistré" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    nothing_written()


def test_bad_population_files_on_the_command_line(tmp_path: Path, people: dict[str, Any]) -> None:
    cases = [
        ("latin1.csv", "CODGEO;PMUN;NOM\n59350;236710;Lille é\n".encode("cp1252"), "UTF-8"),
        ("nul.csv", b"CODGEO;PMUN\n59350;236\x00710\n", "caractères nuls"),
        ("big.csv", b"CODGEO;PMUN\n59350;99999999999\n", "ligne 2 : 59350 : population"),
        ("digits.csv", b"CODGEO;PMUN\n59350;" + b"9" * 5000 + b"\n", "ligne 2 : 59350"),
    ]
    for name, data, message in cases:
        result = cli("import-populations", write(tmp_path, name, data), "--year", "2030")
        assert result.exit_code == 2, (name, result.output)
        assert message in result.stderr, name
        assert result.exception is None or isinstance(result.exception, SystemExit)
    bad_year = cli(
        "import-populations", write(tmp_path, "ok.csv", b"CODGEO;PMUN\n59350;1\n"), "--year", "9999"
    )
    assert bad_year.exit_code == 2
    assert "millésime 9999 invalide" in bad_year.stderr
    assert not PopulationVintage.objects.filter(year__in=[2030, 9999]).exists()


# --- Cells of CSV exports -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        # plain numbers stay numbers: a negative amount in a money export, a share
        ("-1 200,00", "-1 200,00"),
        ("-1\u202f200,00 €", "-1\u202f200,00 €"),
        ("+12,5 %", "+12,5 %"),
        ("-3.5", "-3.5"),
        ("CPTS Nord", "CPTS Nord"),
        (12, "12"),
        (None, ""),
    ],
)
def test_cells_that_could_run_as_formulas_are_neutralised(value: object, shown: str) -> None:
    assert safe_cell(value) == shown


def test_every_csv_export_goes_through_the_one_helper() -> None:
    """No module writes CSV by hand: ``csv.writer`` is used by ``files.csv_export`` only."""
    source = Path(files.__file__).parents[1]
    writers = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if "csv.writer(" in path.read_text(encoding="utf-8")
    )
    assert writers == ["territory/files.py"]
