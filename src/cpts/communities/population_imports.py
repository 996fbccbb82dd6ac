"""Import an INSEE « populations légales » file supplied by a user (CSV, as INSEE publishes it).

Accepted columns: the commune's INSEE code (``CODGEO``, ``COM`` with 5 characters, or ``DEP`` +
``CODCOM``) and the population municipale (``PMUN``, or ``population``). All or nothing: an
unknown code stops the import; a former code is added to its current commune with a warning.

Legal populations are national reference data: only administrators import them (the rule lives in
:func:`cpts.accounts.access.require_population_import`). The file is read by :mod:`.files`: UTF-8
only (Latin-1 is refused with a message telling how to save as UTF-8), NUL bytes refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from cpts.accounts.access import require_population_import
from cpts.accounts.models import User
from cpts.territory.communes import normalise_code, resolve_map
from cpts.territory.files import FileError, read_csv
from cpts.territory.models import Commune, PopulationVintage
from cpts.territory.reference import store_populations

from .perimeter_imports import MAX_BYTES, ImportReport, Problem, _key

#: INSEE's legal populations of census year N come into force on 1 January of N + 3.
IN_FORCE_AFTER_YEARS = 3
#: Years of census a vintage may have, and the largest population of a commune (Paris: 2.1 M).
YEARS = range(1800, 2201)
MAX_POPULATION = 10_000_000


def default_in_force(year: int) -> dt.date:
    return dt.date(year + IN_FORCE_AFTER_YEARS, 1, 1)


def _rows(data: bytes, report: ImportReport) -> list[tuple[int, str, int]]:
    """The (line, code, population) of every readable line; problems go to ``report``."""
    head, reader = read_csv(data)
    header = [_key(name) for name in head]

    def column(*names: str) -> int | None:
        return next((header.index(name) for name in names if name in header), None)

    dep_col, com_col = column("dep"), column("codcom")
    # DEP + CODCOM when both are there (INSEE's layout, where COM is the commune's name)
    code_col = (
        None
        if dep_col is not None and com_col is not None
        else column("codgeo", "codeinsee", "code", "com")
    )
    pop_col = column("pmun", "population", "populationmunicipale")
    if pop_col is None or (code_col is None and (dep_col is None or com_col is None)):
        report.errors.append(Problem(1, "colonnes attendues : CODGEO (ou DEP et CODCOM) et PMUN"))
        return []
    rows: list[tuple[int, str, int]] = []
    for line in reader:
        number, row = line.line, line.cells
        if not any(cell.strip() for cell in row):
            continue
        try:
            if code_col is not None:
                code = normalise_code(row[code_col])
            else:
                if dep_col is None or com_col is None:
                    raise ValueError("no code")
                code = row[dep_col].strip().zfill(2) + row[com_col].strip().zfill(3)
            text = row[pop_col].replace(" ", "").replace("\u202f", "").replace("\xa0", "")
            population = int(text) if len(text) <= 12 else -1
        except (IndexError, ValueError):
            report.errors.append(Problem(number, "ligne illisible : code ou population manquant"))
            continue
        if len(code) > 10:
            report.errors.append(Problem(number, f"code INSEE trop long ({len(code)} caractères)"))
            continue
        if population < 0 or population > MAX_POPULATION:
            report.errors.append(
                Problem(
                    number,
                    f"{code} : population « {row[pop_col].strip()[:20]} » invalide "
                    f"(un nombre entre 0 et {MAX_POPULATION:,})".replace(",", "\u202f"),
                )
            )
            continue
        rows.append((number, code, population))
    return rows


def import_populations(
    path: Path, year: int, in_force_from: dt.date, *, user: User | None = None
) -> ImportReport:
    """Check the whole file, then record the vintage ``year`` in one transaction, or nothing.

    ``user`` is who imports (``None``: the command line without ``--as``, an administrator);
    raises ``PermissionDenied`` for anyone else.
    """
    require_population_import(user)
    report = ImportReport()
    if year not in YEARS:
        report.errors.append(
            Problem("fichier", f"millésime {year} invalide (entre {YEARS[0]} et {YEARS[-1]})")
        )
        return report
    if path.stat().st_size > MAX_BYTES:
        report.errors.append(
            Problem("fichier", f"fichier trop volumineux ({MAX_BYTES // 1024 // 1024} Mo au plus)")
        )
        return report
    try:
        rows = _rows(path.read_bytes(), report)
    except FileError as error:
        report.errors.append(Problem("fichier", str(error)))
        return report
    known, former = resolve_map(code for _, code, _ in rows)
    populations: dict[str, int] = {}
    for number, code, population in rows:
        commune = known.get(code)
        if commune is None:
            report.errors.append(Problem(number, f"code INSEE inconnu « {code} »"))
            continue
        if code in former:
            report.warnings.append(Problem(number, former[code]))
        populations[commune.code] = populations.get(commune.code, 0) + population
    if not populations and not report.errors:
        report.errors.append(Problem("fichier", "aucune population"))
    if report.errors:
        return report
    with transaction.atomic():
        vintage, _ = PopulationVintage.objects.update_or_create(
            year=year,
            defaults={
                "in_force_from": in_force_from,
                "source": f"fichier INSEE importé : {path.name}"[:300],
            },
        )
        # a commune with arrondissements counts as the sum of its arrondissements
        for parent in Commune.objects.filter(arrondissements__code__in=populations).distinct():
            total = sum(
                populations.get(child, 0)
                for child in parent.arrondissements.values_list("code", flat=True)
            )
            populations.setdefault(parent.code, total)
        report.codes = store_populations(vintage, populations)
    return report
