"""Values that pass the Parquet footers' check and still cannot be used: refused with one
French ClaimsError naming table and column (DuckDB here; ``test_indicators_engines.py`` runs the
same cases on Spark and asserts the same outcome)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cpts.claims.errors import ClaimsError
from cpts.claims.indicators import Computation, compute

from .builders import act, arrow_table, beneficiary, gp, write_claims

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
TERRITORY = frozenset({"59350"})
PARIS = ZoneInfo("Europe/Paris")
#: A timestamp without a time zone (as SAS or Spark's TIMESTAMP_NTZ write), late on D.
NAIVE_LATE_ON_D = dt.datetime(2024, 12, 31, 23, 30)  # noqa: DTZ001 - naive on purpose


def _column(table: pa.Table, name: str, values: list[object], kind: pa.DataType) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, name, pa.array(values, kind))


def _year_strings(years: list[str | None]) -> Callable[[Path], None]:
    def write(claims: Path) -> None:
        ben = arrow_table("IR_BEN_R", [beneficiary(f"b{i}", 1950) for i in range(len(years))])
        pq.write_table(
            _column(ben, "BEN_NAI_ANN", list(years), pa.string()),
            claims / "IR_BEN_R" / "part-0.parquet",
        )

    return write


def _huge_year(claims: Path) -> None:
    ben = arrow_table("IR_BEN_R", [beneficiary("a", 1950), beneficiary("b", 1950)])
    pq.write_table(
        _column(ben, "BEN_NAI_ANN", [1950, 2**64 - 1], pa.uint64()),
        claims / "IR_BEN_R" / "part-0.parquet",
    )


def _null_key(
    table: str, column: str, rows: int, *, statistics: bool = True
) -> Callable[[Path], None]:
    """Empty keys; ``statistics`` False: a file without statistics, where only a scan can tell
    (with them, the footers count the empty values and nothing is scanned)."""

    def write(claims: Path) -> None:
        path = claims / table / "part-0.parquet"
        data = pq.read_table(path)
        values = data[column].to_pylist()
        values[:rows] = [None] * rows
        spoiled = _column(data, column, values, data.schema.field(column).type)
        pq.write_table(spoiled, path, write_statistics=statistics)

    return write


#: (how to spoil well-formed claims, table, column, words of the message)
BAD = {
    "year_string": (
        _year_strings(["1950", "19x0", "19x0", "1950.0", " 1960 ", None]),
        "IR_BEN_R",
        "BEN_NAI_ANN",
        "3 valeurs de BEN_NAI_ANN ne sont pas des années (par exemple « 1950.0 »)",
    ),
    "year_uint64": (
        _huge_year,
        "IR_BEN_R",
        "BEN_NAI_ANN",
        "1 valeur de BEN_NAI_ANN n’est pas une année (par exemple « 18446744073709551615 »)",
    ),
    "year_too_old": (
        _year_strings(["1950", "1600", "1849"]),
        "IR_BEN_R",
        "BEN_NAI_ANN",
        "2 années de naissance avant 1850, invraisemblables (par exemple « 1600 »)",
    ),
    "null_nir_ben": (
        _null_key("IR_BEN_R", "BEN_NIR_PSA", 2),
        "IR_BEN_R",
        "BEN_NIR_PSA",
        "2 lignes sans valeur : l'identifiant du patient (BEN_NIR_PSA, BEN_RNG_GEM) est",
    ),
    "null_rank_prs": (
        _null_key("ER_PRS_F", "BEN_RNG_GEM", 1),
        "ER_PRS_F",
        "BEN_RNG_GEM",
        "1 ligne sans valeur",
    ),
    "null_rank_prs_no_statistics": (
        _null_key("ER_PRS_F", "BEN_RNG_GEM", 2, statistics=False),
        "ER_PRS_F",
        "BEN_RNG_GEM",
        "2 lignes sans valeur",
    ),
    "null_nir_mtt": (
        _null_key("IR_MTT_R", "BEN_NIR_PSA", 1),
        "IR_MTT_R",
        "BEN_NIR_PSA",
        "1 ligne sans valeur",
    ),
}


def bad_claims(claims: Path, case: str) -> Path:
    """Well-formed claims of three patients, then spoiled as ``BAD[case]`` says."""
    write_claims(
        claims,
        ben=[beneficiary("a", 1950), beneficiary("b", 1960), beneficiary("c", 1970)],
        prs=[act("a", "2024-02-01"), act("b", "2024-03-01"), act("c", "2024-04-01")],
        mtt=[
            {"BEN_NIR_PSA": nir, "BEN_RNG_GEM": 1, "MTT_DEP_DTE": "2020-01-01"}
            for nir in ("a", "b")
        ],
    )
    BAD[case][0](claims)
    return claims


def refusal(claims: Path, engine: str = "duckdb") -> ClaimsError:
    with pytest.raises(ClaimsError) as error:
        compute(claims, TERRITORY, TERRITORY, START, END, engine=engine)
    return error.value


@pytest.mark.parametrize("case", sorted(BAD))
def test_values_no_expression_can_use_are_refused(tmp_path: Path, case: str) -> None:
    _, table, column, words = BAD[case]
    error = refusal(bad_claims(tmp_path, case))
    assert (error.table, error.column) == (table, column)
    assert words in str(error)


def test_a_year_of_digits_with_spaces_is_a_year(tmp_path: Path) -> None:
    write_claims(tmp_path, ben=[beneficiary("b0", 1950)], prs=[act("b0", "2024-02-01")])
    _year_strings([" 1950 "])(tmp_path)
    result = compute(tmp_path, TERRITORY, TERRITORY, START, END)
    assert result.population == 1
    assert result.result("patients_70_without_gp").denominator == 1


def test_a_birth_after_d_is_not_in_the_population(tmp_path: Path) -> None:
    write_claims(tmp_path, ben=[beneficiary("a", 1950), beneficiary("baby", 2025)])
    assert compute(tmp_path, TERRITORY, TERRITORY, START, END).population == 1


def corrupt_pages(claims: Path) -> Path:
    """A data page spoiled behind a sound footer: the reader's check passes, the engine fails."""
    rows = [act(f"p{i}", "2024-02-01", quantity=float(i)) for i in range(2000)]
    write_claims(claims, ben=[beneficiary("p1", 1950)], prs=rows)
    path = claims / "ER_PRS_F" / "part-0.parquet"
    pq.write_table(arrow_table("ER_PRS_F", rows), path, compression="zstd")
    data = bytearray(path.read_bytes())
    for index in range(4, len(data) // 2):
        data[index] = (data[index] * 7 + 13) % 256
    path.write_bytes(bytes(data))
    pq.read_schema(path)  # the footer still reads
    return claims


def test_a_corrupted_data_page_is_one_claims_error(tmp_path: Path) -> None:
    error = refusal(corrupt_pages(tmp_path))
    assert error.table == "ER_PRS_F"
    assert str(error).startswith("table ER_PRS_F : lecture impossible des données : ")


def stray_files(claims: Path) -> Path:
    """Files an engine must not read beside the Parquet files: notes, hidden and Spark
    metadata files (garbage named ``.parquet``), a sub-folder named ``.parquet``."""
    write_claims(claims, ben=[beneficiary("a", 1950)], prs=[act("a", "2024-02-01")])
    folder = claims / "ER_PRS_F"
    (folder / "README.txt").write_text("notes\n", encoding="utf-8")
    (folder / ".part-1.parquet.crc").write_text("x", encoding="utf-8")
    (folder / ".tmp.parquet").write_text("garbage", encoding="utf-8")
    (folder / "_temporary.parquet").write_text("garbage", encoding="utf-8")
    (folder / "_SUCCESS").write_text("", encoding="utf-8")
    (folder / "sub.parquet").mkdir()
    return claims


def check_one_consumer(result: Computation) -> None:
    assert result.result("consumers").numerator == 1


def test_only_visible_parquet_files_are_read(tmp_path: Path) -> None:
    check_one_consumer(compute(stray_files(tmp_path), TERRITORY, TERRITORY, START, END))


def time_zoned(claims: Path) -> Path:
    """Care days as timestamps at midnight in Paris with the zone (instants: 23:00 or 22:00 UTC
    the day before), and a médecin traitant declared at 23:30 on D, a timestamp without a zone
    (kept as written: still D)."""
    write_claims(claims, ben=[beneficiary("jan", 1950), beneficiary("jul", 1950)])
    rows = [
        ("jan", dt.datetime(2024, 1, 1, tzinfo=PARIS)),  # 2023-12-31 23:00 UTC
        ("jul", dt.datetime(2024, 7, 1, tzinfo=PARIS)),  # 2024-06-30 22:00 UTC
    ]
    prs = arrow_table("ER_PRS_F", [act(nir, "2024-01-01") for nir, _ in rows])
    pq.write_table(
        _column(prs, "EXE_SOI_DTD", [day for _, day in rows], pa.timestamp("us", tz=PARIS.key)),
        claims / "ER_PRS_F" / "part-0.parquet",
    )
    mtt = arrow_table("IR_MTT_R", [gp("jan", "2024-12-31")])
    pq.write_table(
        _column(mtt, "MTT_DEP_DTE", [NAIVE_LATE_ON_D], pa.timestamp("us")),
        claims / "IR_MTT_R" / "part-0.parquet",
    )
    return claims


def check_time_zoned(result: Computation) -> None:
    # Both are consumers of 2024: the first day of January in France stays in 2024.
    assert result.result("consumers").numerator == 2
    assert result.result("patients_16_with_gp").numerator == 1


def test_mixed_zoned_and_naive_timestamps_are_refused(tmp_path: Path) -> None:
    """Spark takes one file's type for the whole table: zoned and naive timestamps of one
    column cannot be read alike, so the reader refuses the mix."""
    time_zoned(tmp_path)
    naive = arrow_table("ER_PRS_F", [act("jan", "2024-01-01")])
    pq.write_table(
        _column(naive, "EXE_SOI_DTD", [NAIVE_LATE_ON_D], pa.timestamp("us")),
        tmp_path / "ER_PRS_F" / "part-1.parquet",
    )
    error = refusal(tmp_path)
    assert (error.table, error.column) == ("ER_PRS_F", "EXE_SOI_DTD")
    assert "avec fuseau horaire dans part-0.parquet, sans dans part-1.parquet" in str(error)


def test_timestamps_with_a_zone_are_days_in_france(tmp_path: Path) -> None:
    check_time_zoned(compute(time_zoned(tmp_path), TERRITORY, TERRITORY, START, END))
