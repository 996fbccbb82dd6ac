"""The reader refuses claims that do not have the SNDS's shape, naming table, column and rule,
from the Parquet metadata alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cpts.claims.errors import ClaimsError
from cpts.claims.indicators import compute
from cpts.claims.reader import check_claims

from .builders import act, arrow_table, beneficiary, write_claims

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


@pytest.fixture
def claims(tmp_path: Path) -> Path:
    return write_claims(tmp_path, ben=[beneficiary("a", 1950)], prs=[act("a", "2024-02-01")])


def replace(claims: Path, name: str, table: pa.Table) -> None:
    pq.write_table(table, claims / name / "part-0.parquet")


def refusal(claims: Path) -> ClaimsError:
    with pytest.raises(ClaimsError) as error:
        check_claims(claims)
    return error.value


def test_well_formed_claims_pass(claims: Path) -> None:
    check_claims(claims)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path / "nowhere")
    assert error.table is None
    assert "dossier des données introuvable" in str(error)


def test_a_missing_table_is_named(claims: Path) -> None:
    for file in (claims / "IR_MTT_R").iterdir():
        file.unlink()
    (claims / "IR_MTT_R").rmdir()
    error = refusal(claims)
    assert (error.table, error.column) == ("IR_MTT_R", None)
    assert str(error).startswith("table IR_MTT_R : table absente")


def test_a_table_without_files_is_named(claims: Path) -> None:
    (claims / "IR_IMB_R" / "part-0.parquet").unlink()
    error = refusal(claims)
    assert error.table == "IR_IMB_R"
    assert "aucun fichier .parquet" in error.rule


def test_a_missing_required_column_is_named(claims: Path) -> None:
    table = arrow_table("ER_PRS_F", [act("a", "2024-02-01")]).drop_columns(["DPN_QLF"])
    replace(claims, "ER_PRS_F", table)
    error = refusal(claims)
    assert (error.table, error.column) == ("ER_PRS_F", "DPN_QLF")
    assert str(error) == (
        "table ER_PRS_F, colonne DPN_QLF : colonne obligatoire absente "
        "(qualificatif de la dépense) dans part-0.parquet"
    )


def test_a_missing_optional_column_is_accepted(claims: Path) -> None:
    table = arrow_table("ER_PRS_F", [act("a", "2024-02-01")]).drop_columns(["PRS_PAI_MNT"])
    replace(claims, "ER_PRS_F", table)
    check_claims(claims)


def test_a_wrong_type_names_the_expected_and_the_found(claims: Path) -> None:
    table = arrow_table("ER_PRS_F", [act("a", "2024-02-01")])
    index = table.schema.get_field_index("EXE_SOI_DTD")
    table = table.set_column(index, "EXE_SOI_DTD", pa.array(["2024-02-01"]))
    replace(claims, "ER_PRS_F", table)
    error = refusal(claims)
    assert (error.table, error.column) == ("ER_PRS_F", "EXE_SOI_DTD")
    assert "type attendu date (SNDS), trouvé string" in str(error)


def test_an_unreadable_file_is_named(claims: Path) -> None:
    (claims / "IR_BEN_R" / "part-0.parquet").write_bytes(b"not parquet")
    error = refusal(claims)
    assert error.table == "IR_BEN_R"
    assert "illisible" in error.rule


def test_the_families_of_each_type_are_accepted(claims: Path) -> None:
    """int64 for an integer, a string year, a timestamp for a date, a decimal quantity: the same
    figures as with the generator's types."""
    replace(
        claims,
        "IR_BEN_R",
        pa.table(
            {
                "BEN_NIR_PSA": ["a"],
                "BEN_RNG_GEM": pa.array([1], pa.int64()),
                "BEN_NAI_ANN": ["1950"],
                "BEN_DCD_DTE": pa.array(
                    [dt.datetime(1600, 1, 1, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC")
                ),
                "BEN_RES_DPT": ["059"],
                "BEN_RES_COM": ["350"],
            }
        ),
    )
    prs = arrow_table("ER_PRS_F", [act("a", "2024-02-01", 1933, quantity=2)])
    index = prs.schema.get_field_index("PRS_ACT_QTE")
    prs = prs.set_column(index, "PRS_ACT_QTE", pa.array([Decimal("2.000")], pa.decimal128(9, 3)))
    replace(claims, "ER_PRS_F", prs)
    check_claims(claims)
    result = compute(claims, {"59350"}, {"59350"}, START, END)
    assert result.population == 1
    assert result.result("patients_70_without_gp").denominator == 1
    assert result.result("regulated_care_acts").numerator == 2


def test_compute_checks_before_reading(claims: Path) -> None:
    table = arrow_table("IR_BEN_R", [beneficiary("a", 1950)]).drop_columns(["BEN_RES_COM"])
    replace(claims, "IR_BEN_R", table)
    with pytest.raises(ClaimsError, match="table IR_BEN_R, colonne BEN_RES_COM"):
        compute(claims, {"59350"}, {"59350"}, START, END)
