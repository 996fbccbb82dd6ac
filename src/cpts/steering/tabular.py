"""A table written as CSV or Excel (.xlsx), streamed, its cells never run as formulas.

Every export (:mod:`cpts.steering.exports`) produces a :class:`Table`: French column titles, each
with a kind, and rows of plain values (``str``, ``int``, ``Decimal``, ``date``, ``None``). The two
writers below turn it into a file, the same way for every list:

* **CSV** (:func:`csv_chunks`): what French Excel opens with a double click, as
  :func:`cpts.territory.files.csv_export` already writes it: UTF-8 with a BOM, ``;`` between
  cells, CRLF. Amounts are written ``1234,56`` (two decimals, a decimal *comma*, no thousands
  separator: French Excel and LibreOffice read it as a number, and a space would make it text);
  other decimals with a comma too; dates ISO ``2026-01-15`` (unambiguous, sortable, read as a
  date by a spreadsheet in any language). Every cell goes through
  :func:`~cpts.territory.files.safe_cell`. The rows are written as they come: nothing holds the
  whole file.
* **Excel** (:func:`xlsx_file`): an openpyxl *write-only* workbook (rows go to a temporary file
  as they come), saved to an anonymous temporary file that the response streams. Amounts are
  numbers with the format ``#,##0.00``, dates are dates (``dd/mm/yyyy``), integers numbers, and
  every text is a *string* cell (never a formula, even when it starts with ``=``), neutralised by
  ``safe_cell`` as well (a copy-paste to a CSV stays safe).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any

from cpts.territory.files import csv_stream, safe_cell

#: The rows written to the CSV buffer before it is handed to the response.
CSV_BATCH = 500

#: The control characters an XML file (hence a workbook) cannot hold; removed from the CSV too, so
#: both files say the same. They are removed *before* a cell is neutralised: removed after, they
#: would uncover a formula (« \x01=HYPERLINK(...) » would become « =HYPERLINK(...) »).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clean_text(text: str) -> str:
    """``text`` without the control characters a workbook refuses (not yet neutralised)."""
    return CONTROL_CHARACTERS.sub("", text)


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    AMOUNT = "amount"  # euros: two decimals
    DECIMAL = "decimal"  # a measure, an objective, a share: as many decimals as it has
    DATE = "date"


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Table:
    """A list to export: its file name (without extension), its sheet title, its columns, and its
    rows (an iterable read once, lazily)."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


# --- CSV ------------------------------------------------------------------------------------------


def csv_value(value: Any, kind: Kind) -> str:
    """A value as a French spreadsheet reads it from a CSV file (not yet neutralised)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | float) and kind in (Kind.AMOUNT, Kind.DECIMAL):
        number = Decimal(str(value)) if isinstance(value, float) else value
        text = f"{number:.2f}" if kind == Kind.AMOUNT else _plain(number)
        return text.replace(".", ",")
    return clean_text(str(value))


def _plain(number: Decimal) -> str:
    """A decimal without exponent nor trailing zeros after the point (``12.50`` -> ``12.5``)."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def csv_chunks(table: Table) -> Iterator[str]:
    """The CSV file of ``table``, a few hundred lines at a time (BOM first), written by the one
    CSV writer, :func:`cpts.territory.files.csv_stream` (which neutralises every cell)."""
    kinds = [column.kind for column in table.columns]
    rows = (
        [csv_value(value, kind) for value, kind in zip(row, kinds, strict=True)]
        for row in table.rows
    )
    return csv_stream([column.title for column in table.columns], rows, CSV_BATCH)


# --- Excel ----------------------------------------------------------------------------------------

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "dd/mm/yyyy"


def xlsx_file(table: Table) -> IO[bytes]:
    """The Excel workbook of ``table`` in an anonymous temporary file, positioned at its start
    (the caller streams it, then closes it: it disappears)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title))
    kinds = [column.kind for column in table.columns]

    def text_cell(value: str) -> Any:
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = safe_cell(clean_text(value))  # cleaned first, then neutralised
        cell.data_type = "s"  # a string, even if it starts with "=": never a formula
        return cell

    def cell(value: Any, kind: Kind) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return text_cell("oui" if value else "non")
        if isinstance(value, dt.datetime):
            return text_cell(value.isoformat(sep=" ", timespec="minutes"))
        if isinstance(value, dt.date):
            written = WriteOnlyCell(sheet, value=value)
            written.number_format = DATE_FORMAT
            return written
        if isinstance(value, Decimal | int | float) and kind != Kind.TEXT:
            # openpyxl writes a Decimal as its exact text: the cents are kept
            written = WriteOnlyCell(sheet, value=value)
            if kind == Kind.AMOUNT:
                written.number_format = AMOUNT_FORMAT
            return written
        return text_cell(str(value))

    sheet.append([text_cell(column.title) for column in table.columns])
    for row in table.rows:
        sheet.append([cell(value, kind) for value, kind in zip(row, kinds, strict=True)])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that streams it
    workbook.save(output)
    output.seek(0)
    return output


def _sheet_title(title: str) -> str:
    """A sheet title Excel accepts: 31 characters at most, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return cleaned[:31] or "Export"
