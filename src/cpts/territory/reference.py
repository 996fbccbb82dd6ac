"""Load the shipped reference geography (INSEE via Etalab; see ``data/SOURCE.md``).

Idempotent: running it again updates names and populations in place and creates nothing twice.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import Commune, Departement, Region

DATA_DIR = Path(__file__).parent / "data"
#: Reference year of the legal populations shipped (INSEE populations légales 2023, in force 2026).
POPULATION_YEAR = 2023


@dataclass(frozen=True)
class LoadReport:
    regions: int
    departements: int
    communes: int
    arrondissements: int


def _rows(name: str) -> Iterator[dict[str, str]]:
    path = DATA_DIR / name
    data = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    yield from csv.DictReader(io.StringIO(data.decode("utf-8")))


@transaction.atomic
def load_reference_data() -> LoadReport:
    regions = [Region(code=row["code"], name=row["name"]) for row in _rows("regions.csv")]
    Region.objects.bulk_create(
        regions, update_conflicts=True, unique_fields=["code"], update_fields=["name"]
    )
    departements = [
        Departement(code=row["code"], name=row["name"], region_id=row["region"])
        for row in _rows("departements.csv")
    ]
    Departement.objects.bulk_create(
        departements,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "region"],
    )
    communes: list[Commune] = []
    arrondissements: list[Commune] = []
    for row in _rows("communes.csv.gz"):
        item = Commune(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            departement_id=row["departement"],
            parent_id=row["parent"] or None,
            population=int(row["population"]) if row["population"] else None,
            population_year=POPULATION_YEAR,
        )
        (arrondissements if item.kind == Commune.Kind.ARRONDISSEMENT else communes).append(item)
    fields = ["name", "kind", "departement", "parent", "population", "population_year"]
    for batch in (communes, arrondissements):  # parents first
        Commune.objects.bulk_create(
            batch,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=fields,
        )
    return LoadReport(len(regions), len(departements), len(communes), len(arrondissements))
