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
from .reader import table_files

ENGINES = ("duckdb", "spark")
LOCAL_SPARK = "local[*]"
#: The time zone of the claims' days, on both engines: a timestamp with a time zone (an instant)
#: is the day it is in France; dates and timestamps without a zone are read as written.
TIME_ZONE = "Europe/Paris"

_lock = threading.Lock()
_spark_sessions: dict[str, Any] = {}


def spark_session(master: str | None = None) -> Any:
    """The process's Spark session for ``master`` (``local[*]`` by default), started once.

    UI off, session time zone Europe/Paris (as DuckDB's: a timestamp with a time zone becomes
    its day in France, a date or a timestamp without a zone is taken as written), few shuffle partitions on one machine, and
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
            .config("spark.log.level", "ERROR")  # from the start, before setLogLevel below
            .config("spark.sql.session.timeZone", TIME_ZONE)
            .config("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED")
            .config("spark.sql.parquet.int96RebaseModeInRead", "CORRECTED")
            .config("spark.sql.ansi.enabled", "false")
        )
        if master.startswith("local"):
            # On one machine everything stays on loopback: a task's result larger than 1 MB goes
            # through the block manager, which the driver must reach at the address it advertises
            # (the machine's own address may not answer: « TaskResultLost »).
            builder = (
                builder.config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
            )
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("FATAL")  # errors come back as ClaimsError
        _spark_sessions[master] = session
        return session


def connect(engine: str = "duckdb", spark_master: str | None = None) -> Any:
    """An Ibis backend: DuckDB in memory (threads: DuckDB's default, every core), or Spark;
    both in the time zone :data:`TIME_ZONE`."""
    if engine == "duckdb":
        backend = ibis.duckdb.connect()
        backend.raw_sql(f"SET TimeZone = '{TIME_ZONE}'")
        return backend
    if engine == "spark":
        session = spark_session(spark_master)
        backend = ibis.pyspark.connect(session)
        # Ibis sets the session's time zone to UTC when it connects: ours again, after it.
        session.conf.set("spark.sql.session.timeZone", TIME_ZONE)
        return backend
    raise ClaimsError(rule=f"moteur inconnu « {engine} » (attendu : {', '.join(ENGINES)})")


def read_table(backend: Any, engine: str, claims_dir: Path, name: str) -> Any:
    """Table ``name`` of ``claims_dir`` as an Ibis table: exactly the files that
    :func:`cpts.claims.reader.table_files` lists, on either engine (never a stray file)."""
    files = [str(path.resolve()) for path in table_files(Path(claims_dir), name)]
    table_name = f"claims_{name.lower()}"
    if engine == "spark":
        backend._session.read.parquet(*files).createOrReplaceTempView(table_name)
        return backend.table(table_name)
    return backend.read_parquet(files, table_name=table_name)
