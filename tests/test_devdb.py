"""One database engine everywhere: the embedded PostgreSQL server, and settings that refuse others."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cpts import devdb


@pytest.fixture
def fresh_var() -> Iterator[Path]:
    """A var/ of its own under this checkout's (a short path: the socket lives there)."""
    var = devdb.var_dir() / "test-devdb"
    if var.exists():
        devdb.stop(var)
        shutil.rmtree(var)
    yield var
    devdb.stop(var)
    shutil.rmtree(var)


def test_embedded_server_starts_with_btree_gist_on_a_socket_only(fresh_var: Path) -> None:
    url = devdb.start(fresh_var, database="cpts_devdb")
    assert devdb.start(fresh_var, database="cpts_devdb") == url  # idempotent
    assert devdb.is_running(fresh_var)
    assert url == devdb.database_url(fresh_var, "cpts_devdb")
    assert (fresh_var / "postgres" / "PG_VERSION").read_text().strip() == "18"

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # contracts' exclusion constraint
        db.execute("CREATE TABLE period (who int, during daterange)")
        db.execute("ALTER TABLE period ADD EXCLUDE USING gist (who WITH =, during WITH &&)")
        db.execute("INSERT INTO period VALUES (1, '[2026-01-01,2027-01-01)')")
        with pytest.raises(psycopg.errors.ExclusionViolation):
            db.execute("INSERT INTO period VALUES (1, '[2026-06-01,2026-07-01)')")
        listen = db.execute("SHOW listen_addresses").fetchone()
        assert listen == ("",)  # no TCP at all: only the Unix socket in var/postgres

    assert devdb.stop(fresh_var)
    assert not devdb.is_running(fresh_var)
    devdb.start(fresh_var, database=None)  # restarts on the same data
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        assert db.execute("SELECT count(*) FROM period").fetchone() == (1,)


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    environ.update(SECRET_KEY="s" * 60, **env)
    return subprocess.run(
        [sys.executable, "-c", "import cpts.settings"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///var/cpts.sqlite3", "DATABASE_URL must name a PostgreSQL server"),
        ("mysql://user:pw-x7q@db/cpts", "DATABASE_URL must name a PostgreSQL server"),
        ("", "DATABASE_URL must be set"),
    ],
)
def test_settings_refuse_anything_but_postgresql(url: str, message: str) -> None:
    result = _import_settings(DATABASE_URL=url)
    assert result.returncode != 0
    assert message in result.stderr
    assert "pw-x7q" not in result.stderr  # never prints a password


def test_settings_of_the_demo_default_to_the_embedded_server(tmp_path: Path) -> None:
    code = "from cpts.settings import DATABASES; print(DATABASES['default']['HOST'])"
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(DEBUG="1", CPTS_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str(tmp_path.resolve() / "var" / "postgres")
