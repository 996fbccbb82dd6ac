"""Tiny claims written by hand, in the SNDS's shape (one Parquet file per table), and the
expected values computed by hand.

Contract year 1 of CPTS Nord runs from 15 January 2023 to 14 January 2024; its perimeter is
Lille (59350) and Villeneuve-d'Ascq (59009), its département the Nord (59).

=====  ==================  ====  ====================  ===================
who    lives in            born  care in the year      médecin traitant
=====  ==================  ====  ====================  ===================
B1     Lille               1970  yes (1 March 2023)    yes, since 2015
B2     Villeneuve-d'Ascq   1980  yes (1 June 2023)     no
B3     Lille               2015  yes (1 May 2023)      no (a child)
B4     Douai (59, out)     1960  yes (1 April 2023)    yes, since 2015
B5     Arras (62)          1950  yes (1 Feb. 2023)     no
B6     Lille               1975  no (1 Dec. 2022)      yes
=====  ==================  ====  ====================  ===================

Consumers: CPTS 3 (B1, B2, B3), Nord 4 (+ B4), France 5 (+ B5).
Patients of 16 or more with a médecin traitant: CPTS 1 / 2 = 50 %; Nord 2 / 3 = 66.67 %;
France 2 / 4 = 50 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cpts.claims.residence import encode
from cpts.claims.schema import NO_DATE, TABLES

YEAR_1 = (dt.date(2023, 1, 15), dt.date(2024, 1, 14))
PERIMETER = ["59350", "59009"]
NO_END = dt.date.fromisoformat(NO_DATE)

EXPECTED: dict[str, dict[str, tuple[int, int | None, Decimal]]] = {
    "community": {
        "consumers": (3, None, Decimal(3)),
        "patients_16_with_gp": (1, 2, Decimal("0.5000")),
    },
    "departement": {
        "consumers": (4, None, Decimal(4)),
        "patients_16_with_gp": (2, 3, Decimal("0.6667")),
    },
    "national": {
        "consumers": (5, None, Decimal(5)),
        "patients_16_with_gp": (2, 4, Decimal("0.5000")),
    },
}

PEOPLE = [
    # id, residence, born, day of care, médecin traitant since
    ("B1", "59350", 1970, dt.date(2023, 3, 1), dt.date(2015, 1, 1)),
    ("B2", "59009", 1980, dt.date(2023, 6, 1), None),
    ("B3", "59350", 2015, dt.date(2023, 5, 1), None),
    ("B4", "59178", 1960, dt.date(2023, 4, 1), dt.date(2015, 1, 1)),
    ("B5", "62041", 1950, dt.date(2023, 2, 1), None),
    ("B6", "59350", 1975, dt.date(2022, 12, 1), dt.date(2015, 1, 1)),
]


def write_table(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    """``DIR/<name>/part-0.parquet`` with the table's own schema (missing columns are null)."""
    schema = TABLES[name].arrow_schema
    columns = {field.name: [row.get(field.name) for row in rows] for field in schema}
    (folder / name).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), folder / name / "part-0.parquet")


def write_claims(folder: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """The claims of the table above in ``folder`` (``skip``: tables left out)."""
    beneficiaries, acts, doctors = [], [], []
    for person, residence, born, care, since in PEOPLE:
        departement, commune = encode(residence)
        key = {"BEN_NIR_PSA": person, "BEN_RNG_GEM": 1}
        beneficiaries.append(
            {
                **key,
                "BEN_NAI_ANN": born,
                "BEN_SEX_COD": 1,
                "BEN_DCD_DTE": NO_END,
                "BEN_RES_DPT": departement,
                "BEN_RES_COM": commune,
            }
        )
        acts.append(
            {
                **key,
                "EXE_SOI_DTD": care,
                "EXE_SOI_DTF": care,
                "FLX_DIS_DTD": care.replace(day=28),
                "PRS_NAT_REF": 1111,  # a general practitioner's consultation
                "PRS_ACT_QTE": 1.0,
                "DPN_QLF": 0,
                "PSE_SPE_COD": 1,
                "PRS_PAI_MNT": 26.5,
                "BSE_REM_MNT": 18.55,
            }
        )
        if since is not None:
            doctors.append(
                {**key, "MTT_DEP_DTE": since, "MTT_FIN_DTE": NO_END, "MTT_PFS_NUM": "59000001"}
            )
    tables = {
        "IR_BEN_R": beneficiaries,
        "ER_PRS_F": acts,
        "IR_MTT_R": doctors,
        "IR_IMB_R": [],
    }
    for name, rows in tables.items():
        if name not in skip:
            write_table(folder, name, rows)
    return folder
