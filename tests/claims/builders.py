"""Claims written by hand: each SNDS table from a few dict rows, with ``schema.py``'s types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cpts.claims.schema import NO_DATE, TABLES


def _value(kind: str, value: Any) -> Any:
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def arrow_table(name: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Table ``name`` with every column of ``schema.py`` (a key absent from a row is null)."""
    table = TABLES[name]
    rows = list(rows)
    columns = {
        column.name: pa.array(
            [_value(column.snds_type, row.get(column.name)) for row in rows], column.arrow_type
        )
        for column in table.columns
    }
    return pa.table(columns, schema=table.arrow_schema)


def write_table(claims_dir: Path, name: str, rows: Iterable[Mapping[str, Any]]) -> Path:
    folder = claims_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "part-0.parquet"
    pq.write_table(arrow_table(name, rows), path)
    return path


def write_claims(
    claims_dir: Path,
    *,
    prs: Iterable[Mapping[str, Any]] = (),
    ben: Iterable[Mapping[str, Any]] = (),
    imb: Iterable[Mapping[str, Any]] = (),
    mtt: Iterable[Mapping[str, Any]] = (),
) -> Path:
    write_table(claims_dir, "ER_PRS_F", prs)
    write_table(claims_dir, "IR_BEN_R", ben)
    write_table(claims_dir, "IR_IMB_R", imb)
    write_table(claims_dir, "IR_MTT_R", mtt)
    return claims_dir


def beneficiary(
    nir: str,
    born: int,
    departement: str = "059",
    commune: str = "350",
    *,
    rank: int = 1,
    death: str = NO_DATE,
) -> dict[str, Any]:
    return {
        "BEN_NIR_PSA": nir,
        "BEN_RNG_GEM": rank,
        "BEN_NAI_ANN": born,
        "BEN_SEX_COD": 1,
        "BEN_DCD_DTE": death,
        "BEN_RES_DPT": departement,
        "BEN_RES_COM": commune,
    }


def act(
    nir: str,
    day: str,
    nature: int = 1110,
    *,
    rank: int = 1,
    quantity: float = 1.0,
    qualifier: int = 0,
) -> dict[str, Any]:
    return {
        "BEN_NIR_PSA": nir,
        "BEN_RNG_GEM": rank,
        "EXE_SOI_DTD": day,
        "EXE_SOI_DTF": day,
        "PRS_NAT_REF": nature,
        "PRS_ACT_QTE": quantity,
        "DPN_QLF": qualifier,
    }


def gp(nir: str, start: str, end: str | None = NO_DATE, *, rank: int = 1) -> dict[str, Any]:
    return {"BEN_NIR_PSA": nir, "BEN_RNG_GEM": rank, "MTT_DEP_DTE": start, "MTT_FIN_DTE": end}


def ald(
    nir: str, start: str, end: str | None = NO_DATE, *, reason: int = 41, rank: int = 1
) -> dict[str, Any]:
    return {
        "BEN_NIR_PSA": nir,
        "BEN_RNG_GEM": rank,
        "IMB_ETM_NAT": reason,
        "IMB_ALD_DTD": start,
        "IMB_ALD_DTF": end,
    }
