"""Benchmark: the full indicator set on synthetic SNDS claims, DuckDB against pandas and a bare scan.

Claims of a whole region (Hauts-de-France, every commune weighted by its legal population) are
generated once per size by ``cpts.claims.generate`` (seed 2026, two years of care so that the
colorectal screening window is full) into ``var/bench-claims/<rows>``; the indicators are then
computed for the département du Nord over the last year. Side by side, each in its own process
(so that its peak memory, ``ru_maxrss``, is its own):

* ``duckdb``: ``cpts.claims.indicators.compute`` (Ibis expressions run by DuckDB), what the
  application runs;
* ``pandas``: the same definitions written in plain pandas, as an analyst would (read the
  columns, filter, group by patient, merge);
* ``scan``: a bare DuckDB scan of the same columns of the same files (every column read, nothing
  computed): the ceiling of what any engine can do on this disk;
* ``groupby``: a bare DuckDB ``GROUP BY`` patient of the period's rows, nothing else: the floor
  of any exact per-patient computation (what separates the scan from the indicators);
* ``spark``: the same Ibis expressions run by Spark on this machine (``local[*]``).

The figures of every method are checked equal before they are recorded. Throughput is rows of
``ER_PRS_F`` per second. Each process runs its method twice: ``cold_seconds`` is the first run
(what one command pays: the engine's first connection, Ibis compiling its first expressions,
Spark starting Java), ``seconds`` the second (what a server or a notebook sees), on which the
ratios are taken; the imports come before either clock. Targets (issue 17): DuckDB at least 10 × pandas, at least 50 % of the
bare scan's throughput, under 4 GB of peak memory at 50 million rows.

    .venv/bin/python benchmarks/bench_indicators.py --rows 10000000 50000000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "cpts" / "territory" / "data" / "communes.csv.gz"
REGION = "32"  # Hauts-de-France
DEPARTEMENT = "59"  # Nord
START = dt.date(2024, 1, 1)
END = dt.date(2024, 12, 31)
GENERATED_FROM = dt.date(2023, 1, 1)
SEED = 2026


def communes() -> list[dict[str, str]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def territory() -> tuple[set[str], set[str]]:
    """The Nord's codes (communes; none has arrondissements) and every known code."""
    rows = communes()
    return {row["code"] for row in rows if row["departement"] == DEPARTEMENT}, {
        row["code"] for row in rows
    }


def ensure_claims(rows: int) -> Path:
    from cpts.claims.generate import generate

    out = ROOT / "var" / "bench-claims" / str(rows)
    if (out / "ER_PRS_F").is_dir():
        return out
    region = [
        (row["code"], int(row["population"] or 0))
        for row in communes()
        if row["region"] == REGION and row["kind"] == "commune"
    ]
    began = time.monotonic()
    summary = generate(out, region, GENERATED_FROM, END, rows=rows, seed=SEED)
    print(
        f"generated {rows:,} rows ({summary.beneficiaries:,} beneficiaries) in "
        f"{time.monotonic() - began:.0f} s",
        file=sys.stderr,
    )
    return out


# --- The methods, each run in a child process ------------------------------------------------------


def run_duckdb(claims: Path, engine: str = "duckdb") -> dict[str, Any]:
    from cpts.claims.indicators import compute

    wanted, known = territory()
    computation = compute(claims, wanted, known, START, END, engine=engine)
    return {
        "population": computation.population,
        "unknown_residence": computation.unknown_residence,
        **{r.code: [r.numerator, r.denominator] for r in computation.results},
    }


def run_spark(claims: Path) -> dict[str, Any]:
    return run_duckdb(claims, engine="spark")


def run_scan(claims: Path) -> dict[str, Any]:
    """Read every column the indicators read, compute nothing but trivial aggregates."""
    import duckdb

    con = duckdb.connect()
    prs = con.execute(
        f"""SELECT count(*), max(BEN_NIR_PSA), max(BEN_RNG_GEM), max(EXE_SOI_DTD),
                   max(PRS_NAT_REF), max(PRS_ACT_QTE), max(DPN_QLF)
            FROM read_parquet('{claims}/ER_PRS_F/*.parquet')"""
    ).fetchone()
    con.execute(
        f"""SELECT count(*), max(BEN_NIR_PSA), max(BEN_RNG_GEM), max(BEN_NAI_ANN),
                   max(BEN_DCD_DTE), max(BEN_RES_DPT), max(BEN_RES_COM)
            FROM read_parquet('{claims}/IR_BEN_R/*.parquet')"""
    ).fetchone()
    for table, columns in (
        ("IR_IMB_R", "IMB_ETM_NAT, IMB_ALD_DTD, IMB_ALD_DTF"),
        ("IR_MTT_R", "MTT_DEP_DTE, MTT_FIN_DTE"),
    ):
        aggregates = ", ".join(f"max({c.strip()})" for c in columns.split(","))
        con.execute(
            f"SELECT count(*), max(BEN_NIR_PSA), max(BEN_RNG_GEM), {aggregates} "
            f"FROM read_parquet('{claims}/{table}/*.parquet')"
        ).fetchone()
    assert prs is not None
    return {"rows": prs[0]}


def run_groupby(claims: Path) -> dict[str, Any]:
    """The patients with a row in the period: one GROUP BY of the key, nothing joined."""
    import duckdb

    patients = (
        duckdb.connect()
        .execute(
            f"""SELECT count(*) FROM (
              SELECT BEN_NIR_PSA, BEN_RNG_GEM
              FROM read_parquet('{claims}/ER_PRS_F/*.parquet')
              WHERE EXE_SOI_DTD BETWEEN DATE '{START}' AND DATE '{END}' AND DPN_QLF <> 71
              GROUP BY ALL)"""
        )
        .fetchone()
    )
    assert patients is not None
    return {"patients": patients[0]}


def run_pandas(claims: Path) -> dict[str, Any]:
    """The same definitions in plain pandas, as an analyst would write them."""
    import pandas as pd

    from cpts.claims import residence
    from cpts.claims.indicators import code_lists

    codes = code_lists(END)
    wanted, known = territory()
    key = ["BEN_NIR_PSA", "BEN_RNG_GEM"]
    day = pd.Timestamp(END)
    no_date = dt.date(1600, 1, 1)
    screening_after = pd.Timestamp(END.replace(year=END.year - 2))

    prs = pd.read_parquet(
        claims / "ER_PRS_F",
        columns=[*key, "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_ACT_QTE", "DPN_QLF"],
    )
    prs["EXE_SOI_DTD"] = pd.to_datetime(prs["EXE_SOI_DTD"])
    first = min(pd.Timestamp(START), screening_after)
    prs = prs[prs.EXE_SOI_DTD.between(first, day)]
    prs = prs[~prs.DPN_QLF.isin(codes.information_only)]
    in_period = prs["EXE_SOI_DTD"] >= pd.Timestamp(START)
    prs = prs.assign(
        consumer=in_period,
        flu=in_period & prs.PRS_NAT_REF.isin(codes.flu),
        screened=(prs["EXE_SOI_DTD"] > screening_after) & prs.PRS_NAT_REF.isin(codes.screening),
        regulated=prs.PRS_ACT_QTE.where(in_period & prs.PRS_NAT_REF.isin(codes.regulated), 0.0),
    )
    care = prs.groupby(key).agg(
        consumer=("consumer", "max"),
        flu=("flu", "max"),
        screened=("screened", "max"),
        regulated=("regulated", "sum"),
    )

    ben = pd.read_parquet(
        claims / "IR_BEN_R",
        columns=[*key, "BEN_NAI_ANN", "BEN_DCD_DTE", "BEN_RES_DPT", "BEN_RES_COM"],
    )
    lookup = residence.lookup_table(known).to_pandas()
    ben = ben.merge(lookup, on=["BEN_RES_DPT", "BEN_RES_COM"], how="left")
    death = ben.BEN_DCD_DTE
    ben["dead"] = death.notna() & (death != no_date) & (death < END)
    patients = ben.groupby(key).agg(
        birth_year=("BEN_NAI_ANN", "min"), dead=("dead", "max"), code=("code", "max")
    )
    patients = patients[~patients.dead]

    mtt = pd.read_parquet(claims / "IR_MTT_R", columns=[*key, "MTT_DEP_DTE", "MTT_FIN_DTE"])
    ends = mtt.MTT_FIN_DTE
    mtt = mtt[(mtt.MTT_DEP_DTE <= END) & (ends.isna() | (ends == no_date) | (ends >= END))]
    with_gp = set(map(tuple, mtt[key].drop_duplicates().to_numpy().tolist()))

    imb = pd.read_parquet(
        claims / "IR_IMB_R", columns=[*key, "IMB_ETM_NAT", "IMB_ALD_DTD", "IMB_ALD_DTF"]
    )
    ends = imb.IMB_ALD_DTF
    imb = imb[
        imb.IMB_ETM_NAT.isin(codes.ald)
        & (imb.IMB_ALD_DTD <= END)
        & (ends.isna() | (ends == no_date) | (ends >= END))
    ]
    with_ald = set(map(tuple, imb[key].drop_duplicates().to_numpy().tolist()))

    people = patients.join(care, how="left")
    people[["consumer", "flu", "screened"]] = (
        people[["consumer", "flu", "screened"]].fillna(False).astype(bool)
    )
    people["regulated"] = people["regulated"].fillna(0.0)
    index = list(people.index)
    people["gp"] = [k in with_gp for k in index]
    people["ald"] = [k in with_ald for k in index]
    people["age"] = END.year - people.birth_year.astype(int)
    unknown = int(people.code.isna().sum())
    people = people[people.code.isin(wanted)]

    consumer = people.consumer
    adult = consumer & (people.age >= 16)
    adult_ald = adult & people.ald
    elderly = consumer & (people.age >= 70)
    flu_age = consumer & (people.age >= 65)
    screening_age = consumer & people.age.between(50, 74)

    def share(numerator: Any, denominator: Any) -> list[int]:
        return [int(numerator.sum()), int(denominator.sum())]

    return {
        "population": len(people),
        "unknown_residence": unknown,
        "consumers": [int(consumer.sum()), None],
        "patients_16_with_gp": share(adult & people.gp, adult),
        "patients_16_without_gp": share(adult & ~people.gp, adult),
        "ald_patients_without_gp": share(adult_ald & ~people.gp, adult_ald),
        "patients_70_without_gp": share(elderly & ~people.gp, elderly),
        "flu_vaccination_65": share(flu_age & people.flu, flu_age),
        "colorectal_screening_50_74": share(screening_age & people.screened, screening_age),
        "regulated_care_acts": [round(float(people.regulated.sum())), None],
    }


METHODS = {
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "scan": run_scan,
    "groupby": run_groupby,
    "spark": run_spark,
}


#: What each method imports before its clock starts: every method is timed from its data, not
#: from the interpreter's imports (pandas, DuckDB, Ibis and PySpark each take a fraction of a
#: second to import).
IMPORTS = {
    "duckdb": ("cpts.claims.indicators", "ibis.backends.duckdb"),
    "spark": ("cpts.claims.indicators", "ibis.backends.pyspark", "pyspark.sql"),
    "scan": ("duckdb",),
    "groupby": ("duckdb",),
    "pandas": ("pandas", "cpts.claims.indicators"),
}


def child(method: str, claims: Path) -> None:
    import importlib

    for module in IMPORTS[method]:
        importlib.import_module(module)
    began = time.perf_counter()
    figures = METHODS[method](claims)
    cold = time.perf_counter() - began
    began = time.perf_counter()  # again in the same process: what a server or a notebook sees
    METHODS[method](claims)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    if method == "spark":  # the JVM is a child process, still running: its own peak (VmHWM)
        peak += jvm_peak_mb()
    print(json.dumps({"seconds": seconds, "cold": cold, "peak_mb": peak, "figures": figures}))


def jvm_peak_mb() -> float:
    from pyspark import SparkContext

    gateway: Any = SparkContext._gateway
    status = Path(f"/proc/{gateway.proc.pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB -> MB
    return 0.0


def measure(method: str, claims: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", method, "--claims", str(claims)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000, 50_000_000])
    parser.add_argument("--runs", type=int, default=3, help="runs of DuckDB and the scan")
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--child", choices=list(METHODS))
    parser.add_argument("--claims", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.claims)
        return

    machine = f"{os.cpu_count()} cores, {platform.machine()}, CPython {platform.python_version()}"
    for rows in args.rows:
        claims = ensure_claims(rows)
        size = sum(f.stat().st_size for f in claims.rglob("*.parquet")) / 1e6
        report: dict[str, Any] = {"rows": rows, "machine": machine, "disk_mb": round(size)}
        reference = None
        for method in args.methods:
            runs = args.runs if method in ("duckdb", "scan", "groupby") else 1
            results = [measure(method, claims) for _ in range(runs)]
            figures = results[0]["figures"]
            if method not in ("scan", "groupby"):
                if reference is None:
                    reference = figures
                elif figures != reference:
                    raise SystemExit(f"{method} disagrees:\n{figures}\n{reference}")
            seconds = statistics.median(r["seconds"] for r in results)
            report[method] = {
                "seconds": round(seconds, 2),
                "cold_seconds": round(statistics.median(r["cold"] for r in results), 2),
                "rows_per_second": round(rows / seconds),
                "peak_mb": round(max(r["peak_mb"] for r in results)),
            }
            print(f"{rows:,} rows, {method}: {report[method]}", file=sys.stderr)
        if "duckdb" in report and "pandas" in report:
            report["duckdb_vs_pandas"] = round(
                report["pandas"]["seconds"] / report["duckdb"]["seconds"], 1
            )
        if "duckdb" in report and "scan" in report:
            report["duckdb_share_of_scan"] = round(
                report["scan"]["seconds"] / report["duckdb"]["seconds"], 2
            )
        if "duckdb" in report and "groupby" in report:
            report["duckdb_share_of_groupby"] = round(
                report["groupby"]["seconds"] / report["duckdb"]["seconds"], 2
            )
        report["figures"] = reference
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
