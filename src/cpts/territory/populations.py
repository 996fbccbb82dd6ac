"""Import an INSEE « populations légales » file supplied by a user (CSV, as INSEE publishes it).

Accepted columns: the commune's INSEE code (``CODGEO``, ``COM`` with 5 characters, or ``DEP`` +
``CODCOM``) and the population municipale (``PMUN``, or ``population``). All or nothing: an
unknown code stops the import; a former code is added to its current commune with a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from django.db import transaction

from .imports import ImportReport, Problem, _key
from .models import Commune, PopulationVintage
from .perimeters import normalise_code, resolve_map
from .reference import store_populations

#: INSEE's legal populations of census year N come into force on 1 January of N + 3.
IN_FORCE_AFTER_YEARS = 3


def default_in_force(year: int) -> dt.date:
    return dt.date(year + IN_FORCE_AFTER_YEARS, 1, 1)


def import_populations(path: Path, year: int, in_force_from: dt.date) -> ImportReport:
    report = ImportReport()
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")
    lines = content.splitlines()
    if not lines:
        report.errors.append(Problem(1, "fichier vide"))
        return report
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    header = [_key(name) for name in next(reader)]

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
        return report
    rows: list[tuple[int, str, int]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            if code_col is not None:
                code = normalise_code(row[code_col])
            else:
                if dep_col is None or com_col is None:
                    raise ValueError("no code")
                code = row[dep_col].strip().zfill(2) + row[com_col].strip().zfill(3)
            population = int(
                row[pop_col].replace(" ", "").replace("\u202f", "").replace("\xa0", "")
            )
        except (IndexError, ValueError):
            report.errors.append(Problem(number, "ligne illisible : code ou population manquant"))
            continue
        if population < 0:
            report.errors.append(Problem(number, f"{code} : population négative"))
            continue
        rows.append((number, code, population))
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
