"""One code, two engines: DuckDB and Spark give the same Computation on the same claims."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cpts.claims import residence
from cpts.claims.indicators import Computation, compute_many
from cpts.claims.schema import TABLES

from . import test_indicators_bad_values as bad
from . import test_indicators_cases as cases

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
COMMUNES = ["59350", "59009", "62041", "75056", "75101", "75118", "2A004", "2B033", "97411"]
NATURES = [1110, 1111, 1933, 1935, 1941, 1945, 3331, 3360, 1163, 3317]


def _days(rng: np.random.Generator, size: int, first: str, last: str) -> pa.Array:
    low = np.datetime64(first, "D").astype(int)
    high = np.datetime64(last, "D").astype(int)
    return pa.array(rng.integers(low, high + 1, size).astype("datetime64[D]"), pa.date32())


def _with_no_dates(rng: np.random.Generator, days: pa.Array, share: float) -> pa.Array:
    values = days.to_pylist()
    for index in np.flatnonzero(rng.random(len(values)) < share):
        values[index] = dt.date(1600, 1, 1)
    return pa.array(values, pa.date32())


def _write(claims: Path, name: str, columns: dict[str, pa.Array]) -> None:
    folder = claims / name
    folder.mkdir(parents=True)
    schema = pa.schema([(column, TABLES[name].column(column).arrow_type) for column in columns])
    table = pa.table(columns, schema=schema)
    half = table.num_rows // 2  # two files, as an extract is split
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")


def random_claims(claims: Path, patients: int = 3000, acts: int = 20000, seed: int = 17) -> None:
    """Claims drawn at random (fixed seed): duplicates, twins, deaths, unknown residences,
    ``1600-01-01`` dates, regularisations and information-only rows included."""
    rng = np.random.default_rng(seed)
    nirs = np.array([f"N{number:06d}" for number in rng.integers(0, patients * 0.9, patients)])
    ranks = rng.integers(1, 3, patients).astype("int32")
    homes = [residence.encode(code) for code in COMMUNES] + [("000", "000"), ("099", "001")]
    chosen = [homes[index] for index in rng.integers(0, len(homes), patients)]
    deaths = _days(rng, patients, "2020-01-01", "2026-12-31").to_pylist()
    alive = rng.random(patients) < 0.85
    _write(
        claims,
        "IR_BEN_R",
        {
            "BEN_NIR_PSA": pa.array(nirs),
            "BEN_RNG_GEM": pa.array(ranks),
            "BEN_NAI_ANN": pa.array(rng.integers(1925, 2024, patients).astype("int16")),
            "BEN_DCD_DTE": pa.array(
                [
                    dt.date(1600, 1, 1) if keep else day
                    for keep, day in zip(alive, deaths, strict=True)
                ],
                pa.date32(),
            ),
            "BEN_RES_DPT": pa.array([pair[0] for pair in chosen]),
            "BEN_RES_COM": pa.array([pair[1] for pair in chosen]),
        },
    )
    who = rng.integers(0, patients, acts)
    _write(
        claims,
        "ER_PRS_F",
        {
            "BEN_NIR_PSA": pa.array(nirs[who]),
            "BEN_RNG_GEM": pa.array(ranks[who]),
            "EXE_SOI_DTD": _days(rng, acts, "2022-01-01", "2025-03-31"),
            "PRS_NAT_REF": pa.array(
                np.array(NATURES)[rng.integers(0, len(NATURES), acts)].astype("int32")
            ),
            "PRS_ACT_QTE": pa.array(rng.choice([1.0, 1.0, 1.0, 2.0, -1.0], acts)),
            "DPN_QLF": pa.array(rng.choice([0, 0, 0, 0, 71], acts).astype("int32")),
        },
    )
    for name, reasons in (("IR_IMB_R", [41, 43, 45, 11]), ("IR_MTT_R", None)):
        count = patients // 2
        who = rng.integers(0, patients, count)
        starts = _days(rng, count, "2010-01-01", "2025-06-30")
        ends = _with_no_dates(rng, _days(rng, count, "2018-01-01", "2099-12-31"), 0.5)
        if reasons is None:
            columns = {"MTT_DEP_DTE": starts, "MTT_FIN_DTE": ends}
        else:
            columns = {
                "IMB_ETM_NAT": pa.array(
                    np.array(reasons)[rng.integers(0, 4, count)].astype("int32")
                ),
                "IMB_ALD_DTD": starts,
                "IMB_ALD_DTF": ends,
            }
        _write(
            claims,
            name,
            {"BEN_NIR_PSA": pa.array(nirs[who]), "BEN_RNG_GEM": pa.array(ranks[who]), **columns},
        )


def _both(
    claims: Path, territories: dict[str, set[str]], known: set[str]
) -> dict[str, Computation]:
    computed: dict[str, dict[str, Computation]] = {}
    for engine in ("duckdb", "spark"):
        began = time.monotonic()
        computed[engine] = compute_many(claims, territories, known, START, END, engine=engine)
        print(f"{engine}: {time.monotonic() - began:.2f} s")
    for name in territories:
        duck, spark = computed["duckdb"][name], computed["spark"][name]
        assert spark.engine == "spark"
        assert dataclasses.replace(spark, engine="duckdb") == duck, name
    return computed["duckdb"]


@pytest.mark.spark
def test_duckdb_and_spark_give_identical_results(tmp_path: Path) -> None:
    # The hand-made cases of test_indicators_cases: twins, deaths, ALD, 1600-01-01, residences...
    hand = tmp_path / "hand"
    cases.write_claims(
        hand,
        ben=[
            cases.beneficiary("T", 2000, rank=1),
            cases.beneficiary("T", 2000, rank=2),
            cases.beneficiary("dead", 1950, death="2024-06-01"),
            cases.beneficiary("dies-on-d", 1950, death="2024-12-31"),
            cases.beneficiary("reunion", 1955, "097", "411"),
            cases.beneficiary("corsica", 1970, "209", "004"),
            cases.beneficiary("unknown", 1970, "000", "000"),
            cases.beneficiary("born-2008", 2008),
        ],
        prs=[
            cases.act("T", "2024-02-01", rank=1),
            cases.act("T", "2024-03-01", 1933, rank=2),
            cases.act("T", "2024-03-02", 1933, rank=2, quantity=-1),
            cases.act("dead", "2024-02-01"),
            cases.act("dies-on-d", "2024-10-01", 3360),
            cases.act("reunion", "2024-10-01", 3331),
            cases.act("reunion", "2024-11-01", 1945, quantity=2),
            cases.act("corsica", "2023-05-01", 1163),
            cases.act("corsica", "2024-05-01", qualifier=71),
            cases.act("corsica", "2024-06-01"),
            cases.act("unknown", "2024-06-01"),
            cases.act("born-2008", "2024-06-01"),
        ],
        imb=[
            cases.ald("reunion", "2019-01-01"),
            cases.ald("corsica", "2019-01-01", "2024-06-30"),
            cases.ald("dies-on-d", "2019-01-01", "2099-12-31"),
        ],
        mtt=[cases.gp("T", "2020-01-01", rank=2), cases.gp("corsica", "2020-01-01", None)],
    )
    _both(hand, {"territory": set(cases.TERRITORY)}, set(cases.KNOWN))

    drawn = tmp_path / "random"
    random_claims(drawn)
    known = set(COMMUNES)
    france = _both(
        drawn,
        {"nord": {"59350", "59009"}, "paris": {"75056", "75101", "75118"}, "france": known},
        known,
    )["france"]
    # the draw is not degenerate: every indicator has something to count
    assert france.unknown_residence > 100
    for result in france.results:
        assert result.numerator != 0, result.code


@pytest.mark.spark
def test_bad_input_gives_the_same_outcome_on_both_engines(tmp_path: Path) -> None:
    """The cases of test_indicators_bad_values: the same ClaimsError (table, column, message)
    on Spark as on DuckDB, never a traceback; the same figures where the input is accepted."""
    for case in sorted(bad.BAD):
        claims = bad.bad_claims(tmp_path / case, case)
        duck, spark = bad.refusal(claims), bad.refusal(claims, "spark")
        assert (spark.table, spark.column, spark.rule) == (duck.table, duck.column, duck.rule)
    corrupt = bad.corrupt_pages(tmp_path / "corrupt")
    assert bad.refusal(corrupt, "spark").table == "ER_PRS_F"
    for name, write, check in (
        ("stray", bad.stray_files, bad.check_one_consumer),
        ("zoned", bad.time_zoned, bad.check_time_zoned),
    ):
        claims = write(tmp_path / name)
        territory = bad.TERRITORY
        duck = compute_many(claims, {"t": territory}, territory, START, END)["t"]
        spark = compute_many(claims, {"t": territory}, territory, START, END, engine="spark")["t"]
        assert dataclasses.replace(spark, engine="duckdb") == duck, name
        check(spark)
