"""The demo's claims: a small synthetic extract shaped like the SNDS (``cpts.claims.generate``)
from which the CPAM fills the measured values of a few annexes (``seed.COMPUTED``).

It covers every commune of the départements of those communities, each weighted by its legal
population, so that the community, its département and France can be compared (France is then
these départements: the claims hold no one else). The population is scaled down to
:data:`BENEFICIARIES` people, so the rates mean something and counts do not: the annex takes
rates. The period runs from two years before the first contract year filled (the colorectal
screening looks two years back) to the last day of the last one.

Generating takes a few seconds; a stamp file beside the tables keeps the arguments, so that a
second ``make demo`` keeps them and only other arguments (another day, another territory)
generate them again. A folder that holds other claims (no stamp) is never replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cpts.claims.generate import generate
from cpts.territory.communes import leaf_populations
from cpts.territory.models import Commune

BENEFICIARIES = 40_000
SEED = 2026
STAMP = "demo-claims.json"


@dataclass(frozen=True)
class Plan:
    """What the demo's claims are generated from: same plan, same files."""

    departements: tuple[str, ...]
    start: dt.date
    end: dt.date
    beneficiaries: int = BENEFICIARIES
    seed: int = SEED

    def stamp(self, communes: list[tuple[str, int]]) -> dict[str, Any]:
        return {
            **asdict(self),
            "departements": list(self.departements),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "communes": len(communes),
            "population": sum(population for _, population in communes),
        }


def communes_of(plan: Plan) -> list[tuple[str, int]]:
    """(INSEE code, legal population on the first day) of every leaf unit of the départements."""
    codes = Commune.objects.filter(departement_id__in=plan.departements, parent__isnull=True)
    return sorted(leaf_populations(codes.values_list("code", flat=True), plan.start).items())


def ensure_claims(folder: Path, plan: Plan) -> str:
    """Make ``folder`` hold the claims of ``plan``: ``"kept"`` (already there, same stamp),
    ``"generated"``, or ``"foreign"`` (other claims, left alone: the demo then fills nothing)."""
    folder = Path(folder)
    communes = communes_of(plan)
    stamp = plan.stamp(communes)
    stamp_file = folder / STAMP
    if folder.is_dir() and any(folder.iterdir()):
        if not stamp_file.is_file():
            return "foreign"
        try:
            if json.loads(stamp_file.read_text(encoding="utf-8")) == stamp:
                return "kept"
        except ValueError:
            pass  # an unreadable stamp: the demo's own folder, generated again
    generate(
        folder,
        communes,
        plan.start,
        plan.end,
        beneficiaries=plan.beneficiaries,
        seed=plan.seed,
        overwrite=True,  # only the demo's own folder (stamped) or an empty one
    )
    stamp_file.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return "generated"
