"""Check that a folder of claims has the SNDS's shape before any computation reads it.

A folder holds one sub-folder per table, ``DIR/<TABLE>/*.parquet``. The check reads the Parquet
footers only (the schema of each file), never the rows: it takes milliseconds on a national
extract. It refuses, with a :class:`~cpts.claims.errors.ClaimsError` naming the table, the column
and the rule: a missing folder, table or file, a missing required column, and a column whose type
is not of the SNDS type's family:

========  =========================================================
SNDS      Parquet types accepted
========  =========================================================
string    string, large string, string view, dictionary of strings
integer   any integer (8 to 64 bits, signed or not)
year      any integer, or a string (``"1950"``)
number    any integer, any floating point, decimal
date      date (32 or 64 bits), timestamp (with a time zone or without)
boolean   boolean
========  =========================================================

The files of a table are the ones both engines read, and only those (:func:`table_files`): the
regular files of ``DIR/<TABLE>/`` whose name ends in ``.parquet`` and begins with neither ``.``
nor ``_`` (hidden and temporary files of writers, Spark's ``_SUCCESS``); any other file, such as
a ``README.txt``, and sub-folders are ignored. The engines are given this very list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ClaimsError
from .schema import REQUIRED_TABLES, TABLES, Table


def _is_string(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _is_string(kind.value_type)
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


def _is_integer(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind))


def accepts(snds_type: str, kind: pa.DataType) -> bool:
    """Whether a Parquet column of Arrow type ``kind`` can stand for the SNDS type ``snds_type``."""
    if snds_type == "string":
        return _is_string(kind)
    if snds_type == "integer":
        return _is_integer(kind)
    if snds_type == "year":
        return _is_integer(kind) or _is_string(kind)
    if snds_type == "number":
        return bool(_is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))
    if snds_type == "date":
        return bool(pa.types.is_date(kind) or pa.types.is_timestamp(kind))
    if snds_type == "boolean":
        return bool(pa.types.is_boolean(kind))
    raise ValueError(snds_type)  # pragma: no cover - schema.py only uses the types above


def is_data_file(path: Path) -> bool:
    """A file an engine reads: ``*.parquet``, not hidden (``.``), not metadata (``_``)."""
    return (
        path.name.endswith(".parquet") and not path.name.startswith((".", "_")) and path.is_file()
    )


def table_files(claims_dir: Path, name: str) -> list[Path]:
    """The Parquet files of table ``name``, sorted, the very list each engine is given; a
    missing folder or one without such a file is refused."""
    folder = claims_dir / name
    if not folder.is_dir():
        raise ClaimsError(name, rule=f"table absente : dossier {folder} introuvable")
    try:
        files = sorted(path for path in folder.iterdir() if is_data_file(path))
    except OSError as error:
        raise ClaimsError(
            name, rule=f"dossier illisible {folder} ({error.strerror or error})"
        ) from None
    if not files:
        raise ClaimsError(name, rule=f"table vide : aucun fichier .parquet dans {folder}")
    return files


def check_table(claims_dir: Path, table: Table) -> None:
    """Refuse a table whose files miss a required column or give it a type of another family,
    or mix, in one date column, timestamps with a time zone and timestamps without one (Spark
    reads every file with one file's type: the two cannot be read alike)."""
    zoned: dict[str, tuple[bool, str]] = {}  # date column -> (with a zone?, first file)
    for file in table_files(claims_dir, table.name):
        try:
            schema = pq.read_schema(file)
        except (OSError, pa.ArrowException) as error:
            raise ClaimsError(
                table.name, rule=f"fichier Parquet illisible {file.name} ({error})"
            ) from None
        for column in table.required:
            index = schema.get_field_index(column.name)
            if index < 0:
                raise ClaimsError(
                    table.name,
                    column.name,
                    rule=f"colonne obligatoire absente ({column.label}) dans {file.name}",
                )
            found = schema.field(index).type
            if not accepts(column.snds_type, found):
                raise ClaimsError(
                    table.name,
                    column.name,
                    rule=f"type attendu {column.snds_type} (SNDS), trouvé {found} dans {file.name}",
                )
            if pa.types.is_timestamp(found) or pa.types.is_date(found):
                zone = pa.types.is_timestamp(found) and found.tz is not None
                first = zoned.setdefault(column.name, (zone, file.name))
                if first[0] != zone:
                    with_zone, without = (
                        (first[1], file.name) if first[0] else (file.name, first[1])
                    )
                    raise ClaimsError(
                        table.name,
                        column.name,
                        rule=(
                            f"horodatages avec fuseau horaire dans {with_zone}, sans dans "
                            f"{without} : un même type dans tous les fichiers de la table"
                        ),
                    )


def last_care_day(claims_dir: Path) -> dt.date | None:
    """The last day of care of the claims (the greatest ``EXE_SOI_DTD``) as the Parquet footers'
    statistics give it, without reading a row; None where a row group has no such statistics.
    An extract stops months before the day it is taken: a period ending later than this day would
    silently count nobody's care after it."""
    last: dt.date | None = None
    for file in table_files(claims_dir, "ER_PRS_F"):
        metadata = pq.ParquetFile(file).metadata
        names = [metadata.schema.column(i).name for i in range(metadata.num_columns)]
        if "EXE_SOI_DTD" not in names:
            return None
        index = names.index("EXE_SOI_DTD")
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(index).statistics
            if statistics is None or not statistics.has_min_max:
                return None
            value = statistics.max
            day = value.date() if isinstance(value, dt.datetime) else value
            if not isinstance(day, dt.date):
                return None
            last = day if last is None else max(last, day)
    return last


def null_counts(claims_dir: Path, name: str, columns: Iterable[str]) -> dict[str, int | None]:
    """The empty values of each column of table ``name`` as the Parquet footers count them (the
    statistics of every row group), without reading a row; None where a row group has no such
    statistics (then only a scan can tell)."""
    counts: dict[str, int | None] = dict.fromkeys(columns, 0)
    for file in table_files(claims_dir, name):
        metadata = pq.ParquetFile(file).metadata
        indexes = {metadata.schema.column(i).name: i for i in range(metadata.num_columns)}
        for column, count in counts.items():
            if count is None:
                continue
            index = indexes.get(column)
            for group in range(metadata.num_row_groups):
                statistics = (
                    None if index is None else metadata.row_group(group).column(index).statistics
                )
                if statistics is None or not statistics.has_null_count:
                    counts[column] = None
                    break
                counts[column] = (counts[column] or 0) + statistics.null_count
    return counts


def check_claims(claims_dir: Path, tables: Iterable[str] = REQUIRED_TABLES) -> None:
    """Check every table an indicator computation reads (``ER_PRS_F``, ``IR_BEN_R``,
    ``IR_IMB_R``, ``IR_MTT_R``), from the Parquet metadata only."""
    if not claims_dir.is_dir():
        raise ClaimsError(rule=f"dossier des données introuvable : {claims_dir}")
    for name in tables:
        check_table(claims_dir, TABLES[name])
