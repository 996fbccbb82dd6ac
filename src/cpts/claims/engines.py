"""The engines that run the indicators' Ibis expressions: DuckDB on one machine, Spark for more.

The indicators are written once, as Ibis expressions (:mod:`cpts.claims.indicators`); Ibis
compiles them to DuckDB's SQL or to Spark SQL. DuckDB is the default: embedded, in-memory, it
reads Parquet at disk speed on every core. Spark (PySpark) runs the same expressions on a cluster
(``spark_master="spark://host:7077"``) or on this machine (``local[*]``); it needs Java 17.

A Spark session takes seconds to start: one is kept per process and master.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import ibis

from .errors import ClaimsError

ENGINES = ("duckdb", "spark")
LOCAL_SPARK = "local[*]"

_lock = threading.Lock()
_spark_sessions: dict[str, Any] = {}


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session for ``master`` (``local[*]`` by default), started once.

    UI off, session time zone UTC (dates never shift), few shuffle partitions on one machine, and
    Parquet dates read as written (``1600-01-01``, the SNDS's « no date », stays itself rather
    than being rebased from the Julian calendar).
    """
    master = master or LOCAL_SPARK
    with _lock:
        session = _spark_sessions.get(master)
        if session is not None:
            return session
        from pyspark.sql import SparkSession

        builder = (
            SparkSession.builder.master(master)
            .appName("cpts-indicators")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED")
            .config("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED")
            .config("spark.sql.ansi.enabled", "false")
        )
        if master.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", "4").config(
                "spark.driver.bindAddress", "127.0.0.1"
            )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        _spark_sessions[master] = session
        return session


def connect(engine: str = "duckdb", spark_master: str | None = None) -> Any:
    """An Ibis backend: DuckDB in memory (threads: DuckDB's default, every core), or Spark."""
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(spark_master))
    raise ClaimsError(rule=f"moteur inconnu « {engine} » (attendu : {', '.join(ENGINES)})")


def read_table(backend: Any, engine: str, claims_dir: Path, name: str) -> Any:
    """Table ``name`` of ``claims_dir`` (``DIR/<TABLE>/*.parquet``) as an Ibis table."""
    folder = claims_dir.resolve() / name
    if engine == "spark":
        return backend.read_parquet(str(folder), table_name=f"claims_{name.lower()}")
    return backend.read_parquet(str(folder / "*.parquet"), table_name=f"claims_{name.lower()}")
