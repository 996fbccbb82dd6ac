"""Reading files users send (CSV, GeoJSON, Excel) and writing the CSV files they download, safely.

Every import reads its file through this module, so that bad input gets one French message and
never reaches the database or exhausts the server:

* **Encoding**: UTF-8, with or without BOM. A file in Latin-1 / Windows-1252 (what « CSV » means
  in an older Excel) is *refused* with a message telling how to save it as UTF-8: guessing an
  encoding can silently turn « Rivières » into « RiviÃ¨res », and a refused file costs one
  click to fix, a mangled name costs a correction later.
* **NUL bytes** (``\\x00``) are refused: PostgreSQL cannot store them, and no text file has them.
* **CSV**: the delimiter is ``;`` (French Excel), ``,`` or a tab, read from the header line;
  quotes follow RFC 4180 (a doubled quote inside a quoted cell is one quote).
* **GeoJSON**: size bounded by the caller; nesting depth bounded *before* parsing.
* **Excel (.xlsx)**: a zip whose declared uncompressed size is bounded before openpyxl opens it
  (a 1 MB file can otherwise decompress to gigabytes); Python's :mod:`zipfile` never inflates a
  member past its declared size (a lying header ends in a CRC error), so the bound holds.
* **Exports**: every cell of a CSV we write goes through :func:`safe_cell`, so that a name such as
  ``=1+1`` or ``@SUM(...)`` is shown as text, never run as a formula by a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: The longest text a name may have (the database's ``max_length`` of names).
MAX_NAME = 200
#: The deepest nesting of arrays and objects accepted in a JSON file (a GeoJSON needs about 6).
MAX_JSON_DEPTH = 64
#: The largest total uncompressed size of an Excel file's parts.
MAX_XLSX_UNCOMPRESSED = 40 * 1024 * 1024
#: The largest number of parts of an Excel file (a workbook of one sheet has about 10).
MAX_XLSX_MEMBERS = 1000

SAVE_AS_UTF8 = (
    "Le fichier n'est pas encodé en UTF-8 (il l'est sans doute en Latin-1 / Windows-1252). "
    "Dans Excel : « Fichier > Enregistrer sous » et choisissez « CSV UTF-8 (délimité par des "
    "virgules) » ; dans LibreOffice : cochez « Éditer les paramètres du filtre » et choisissez "
    "le jeu de caractères « Unicode (UTF-8) »."
)


class FileError(Exception):
    """The file as a whole cannot be read; the message is for the user, in French."""


def decode_text(data: bytes) -> str:
    """The text of an uploaded text file: UTF-8 (BOM removed), without NUL bytes."""
    if b"\x00" in data:
        raise FileError(
            "Le fichier contient des caractères nuls (octet 0) : ce n'est pas un fichier texte "
            "CSV ou GeoJSON (un fichier UTF-16 en contient aussi : enregistrez-le en UTF-8)."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(SAVE_AS_UTF8) from None
    if not text.strip():
        raise FileError("Le fichier est vide.")
    return text


def text_problem(value: str, max_length: int = MAX_NAME) -> str | None:
    """Why ``value`` cannot be stored as a text of at most ``max_length`` characters, if it cannot."""
    if "\x00" in value:
        return "contient un caractère nul (octet 0)"
    if len(value) > max_length:
        return f"trop long : {len(value)} caractères ({max_length} au plus)"
    return None


# --- CSV ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line of the file where the row ends (header = 1), as a spreadsheet numbers it
    cells: list[str]


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ";"))
    return best if counts[best] else ","


def read_csv(data: bytes) -> tuple[list[str], Iterator[CsvRow]]:
    """The header and the rows of a CSV file (``;``, ``,`` or tab; RFC 4180 quotes).

    Raises :class:`FileError` for a file that cannot be read at all; the rows raise it too, naming
    the line, if the file turns out malformed further down.
    """
    text = decode_text(data)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=_delimiter(first_line),
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=False,
    )
    try:
        header = next(reader)
        while not any(cell.strip() for cell in header):
            header = next(reader)
    except StopIteration:
        raise FileError("Le fichier est vide.") from None
    except csv.Error as error:
        raise FileError(f"Ligne 1 : en-tête illisible ({error}).") from None

    def rows() -> Iterator[CsvRow]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileError(
                    f"Ligne {reader.line_num} : CSV mal formé ({_csv_error(error)})."
                ) from None
            yield CsvRow(reader.line_num, row)

    return header, rows()


def _csv_error(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"une cellule dépasse {csv.field_size_limit()} caractères"
    return text


# --- JSON -----------------------------------------------------------------------------------------

#: A string (closed or not: the closing quote is optional so that the scan stays linear) or a
#: bracket; possessive quantifiers, so that no input makes the expression backtrack.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings ignored), without parsing
    it: counted before :func:`json.loads`, which would exhaust the stack on 100,000 levels."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()[0]
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def load_json(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document, its nesting bounded; :class:`FileError` with a French message otherwise."""
    if json_depth(text) > max_depth:
        raise FileError(
            f"JSON trop imbriqué : plus de {max_depth} niveaux de tableaux ou d'objets "
            "(un GeoJSON en a moins de 10)."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FileError(
            f"Ligne {error.lineno} : JSON illisible ({error.msg}, colonne {error.colno})."
        ) from None
    except (RecursionError, ValueError) as error:  # e.g. an integer of 5,000 digits
        raise FileError(f"JSON illisible : {error}.") from None


# --- Excel ----------------------------------------------------------------------------------------


def check_xlsx(data: bytes, limit: int = MAX_XLSX_UNCOMPRESSED) -> None:
    """Refuse a file that is not a zip, is corrupt, or would decompress past ``limit`` bytes,
    before any of it is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise FileError(
            "Le classeur Excel est illisible ou endommagé (un fichier .xlsx est attendu ; "
            "un ancien .xls doit être enregistré au format .xlsx)."
        ) from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise FileError(
            f"Le classeur Excel a trop de parties ({len(members)}) : {MAX_XLSX_MEMBERS} au plus."
        )
    total = sum(member.file_size for member in members)
    if total > limit:
        raise FileError(
            f"Le classeur Excel décompressé ferait {total // (1024 * 1024)} Mo "
            f"({limit // (1024 * 1024)} Mo au plus) : enregistrez la feuille des données seule, "
            "ou en CSV UTF-8."
        )


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula, as :func:`read_xlsx` gives it with ``formulas=True``: a workbook
    written by a program (openpyxl, pandas) keeps no computed value, so its cached value would
    read as an empty cell."""

    text: str

    def __str__(self) -> str:
        return self.text


def read_xlsx(
    data: bytes, limit: int = MAX_XLSX_UNCOMPRESSED, *, formulas: bool = False
) -> Iterator[list[Any]]:
    """The rows of the first sheet of an Excel file, each a list of cell values, checked by
    :func:`check_xlsx` first. Raises :class:`FileError` for a file openpyxl cannot read.

    A formula cell gives its cached value (``None`` if the program that wrote the file computed
    none), or, with ``formulas=True``, a :class:`Formula`, so that the caller can refuse it
    rather than read it as empty."""
    check_xlsx(data, limit)
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except Exception:  # openpyxl raises many kinds on a corrupt file; none is a bug of ours
        raise FileError("Le classeur Excel est illisible ou endommagé.") from None
    try:
        if not workbook.worksheets:
            raise FileError("Le classeur Excel n'a aucune feuille.")
        rows = workbook.worksheets[0].iter_rows(values_only=not formulas)
        while True:
            try:
                row = next(rows)
                values = list(row) if not formulas else [_formula_or_value(cell) for cell in row]
            except StopIteration:
                return
            except FileError:
                raise
            except Exception:
                raise FileError("Le classeur Excel est illisible ou endommagé.") from None
            yield values
    finally:
        workbook.close()


def _formula_or_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        # an array or data-table formula is an object whose ``text`` (if any) is the formula
        text = value if isinstance(value, str) else getattr(value, "text", None)
        return Formula(str(text or "=")[:200])
    return value


# --- CSV exports ----------------------------------------------------------------------------------

#: A number as a French or English spreadsheet writes it: « -1 200,00 », « +3.5 », « -12 % ».
_NUMBER = re.compile(r"[+-]?\d[\d \u00a0\u202f.,]*(?: ?[%€])?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell of a CSV export that a spreadsheet shows as text, never runs as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
    ``'`` (OWASP's advice), except a plain number (« -1 200,00 »), which stays a number.
    """
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_stream(
    header: Iterable[object], rows: Iterable[Iterable[object]], batch: int = 500
) -> Iterator[str]:
    """A CSV file for a spreadsheet, ``batch`` lines at a time (for a streamed response): ``;``
    (French Excel), CRLF, a BOM first (so Excel reads UTF-8), every cell through
    :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    pending = 0
    text = "\ufeff"
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending == batch:
            yield text + out.getvalue()
            text = ""
            out.seek(0)
            out.truncate()
            pending = 0
    yield text + out.getvalue()


def csv_export(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """A CSV file for a spreadsheet (:func:`csv_stream`, in one string)."""
    return "".join(csv_stream(header, rows))
