"""Load the shipped reference geography (INSEE via Etalab; see ``data/SOURCE.md``).

Idempotent: running it again updates names and populations in place and creates nothing twice.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import (
    Commune,
    CommunePopulation,
    Departement,
    Epci,
    FormerCode,
    PopulationVintage,
    Region,
)

DATA_DIR = Path(__file__).parent / "data"
#: The legal populations shipped: INSEE « populations légales » 2023 (census reference date
#: 1 January 2023), in force from 1 January 2026 (décret n° 2025-1417 of 29 December 2025
#: authenticates them; each vintage comes into force on 1 January of its year + 3).
POPULATION_YEAR = 2023
POPULATION_IN_FORCE = dt.date(2026, 1, 1)
POPULATION_SOURCE = "INSEE, populations légales 2023 (population municipale), via @etalab/decoupage-administratif 6.0.0"


@dataclass(frozen=True)
class LoadReport:
    regions: int
    departements: int
    communes: int
    arrondissements: int
    former_codes: int
    epcis: int = 0


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
    former = [
        FormerCode(
            code=row["former_code"], commune_id=row["current_code"], former_name=row["former_name"]
        )
        for row in _rows("former_codes.csv.gz")
    ]
    FormerCode.objects.bulk_create(
        former,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["commune", "former_name"],
    )
    vintage, _ = PopulationVintage.objects.update_or_create(
        year=POPULATION_YEAR,
        defaults={"in_force_from": POPULATION_IN_FORCE, "source": POPULATION_SOURCE},
    )
    populations = {
        item.code: item.population
        for item in communes + arrondissements
        if item.population is not None
    }
    store_populations(vintage, populations)
    epcis = load_epcis()
    return LoadReport(
        len(regions), len(departements), len(communes), len(arrondissements), len(former), epcis
    )


def load_epcis() -> int:
    """The intercommunalities and their member communes (replaced as a whole: idempotent)."""
    rows = list(_rows("epci.csv.gz"))
    Epci.objects.bulk_create(
        (Epci(code=row["code"], name=row["name"], nature=row["nature"]) for row in rows),
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "nature"],
    )
    Epci.objects.exclude(code__in=[row["code"] for row in rows]).delete()
    Membership = Epci.communes.through
    Membership.objects.all().delete()
    Membership.objects.bulk_create(
        (
            Membership(epci_id=row["code"], commune_id=code)
            for row in rows
            for code in row["communes"].split()
        ),
        batch_size=5000,
    )
    return len(rows)


def store_populations(vintage: PopulationVintage, populations: dict[str, int]) -> int:
    """Replace the populations of a vintage (idempotent)."""
    CommunePopulation.objects.filter(vintage=vintage).delete()
    CommunePopulation.objects.bulk_create(
        (
            CommunePopulation(vintage=vintage, commune_id=code, population=value)
            for code, value in populations.items()
        ),
        batch_size=5000,
    )
    return len(populations)
