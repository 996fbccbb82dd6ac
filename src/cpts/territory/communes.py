"""Communes and municipal arrondissements: INSEE codes resolved (former codes included), legal
populations at a date, « leaf units » (a commune with arrondissements stands for them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import Commune, FormerCode, PopulationVintage


@dataclass
class Resolution:
    """INSEE codes resolved to current communes or arrondissements."""

    communes: list[Commune] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def normalise_code(raw: str) -> str:
    code = str(raw).strip().upper()
    if code.isdigit() and len(code) == 4:  # spreadsheets drop the leading zero (01001 -> 1001)
        code = "0" + code
    return code


def resolve_map(codes: Iterable[str]) -> tuple[dict[str, Commune], dict[str, str]]:
    """For each known code, its current commune; and for former codes, the warning to show."""
    wanted = {normalise_code(code) for code in codes if str(code).strip()}
    known: dict[str, Commune] = Commune.objects.in_bulk(list(wanted))
    warnings: dict[str, str] = {}
    for item in FormerCode.objects.filter(code__in=wanted - set(known)).select_related("commune"):
        known[item.code] = item.commune
        name = f" ({item.former_name})" if item.former_name else ""
        warnings[item.code] = (
            f"{item.code}{name} est un ancien code : remplacé par {item.commune.code} {item.commune.name}"
        )
    return known, warnings


def resolve_codes(codes: Iterable[str]) -> Resolution:
    """Current communes for INSEE codes: a former code maps to its current commune with a warning,
    an unknown code is an error."""
    wanted = [normalise_code(code) for code in codes]
    known, former = resolve_map(wanted)
    result = Resolution()
    seen: set[str] = set()
    for code in wanted:
        if not code:
            result.errors.append("code INSEE vide")
            continue
        commune = known.get(code)
        if commune is None:
            result.errors.append(f"code INSEE inconnu : {code}")
            continue
        if code in former:
            result.warnings.append(former[code])
        if commune.code not in seen:
            seen.add(commune.code)
            result.communes.append(commune)
    return result


def vintage_on(day: dt.date) -> PopulationVintage | None:
    """The legal populations in force on ``day`` (the oldest one we have before its date)."""
    vintage = (
        PopulationVintage.objects.filter(in_force_from__lte=day).order_by("-in_force_from").first()
    )
    return vintage or PopulationVintage.objects.order_by("in_force_from").first()


def leaf_codes(codes: Iterable[str]) -> set[str]:
    """The leaf units of a set of communes: a commune with arrondissements stands for them."""
    codes = set(codes)
    children = dict(
        Commune.objects.filter(parent_id__in=codes).values_list("code", "parent_id")
    )  # arrondissement -> parent
    parents = set(children.values())
    return (codes - parents) | set(children)


def territory_codes(codes: Iterable[str]) -> set[str]:
    """The INSEE codes the residents of a territory listed by ``codes`` may be coded with: the
    one rule of the indicators, for the command line and the annex alike.

    * its leaf units: a city listed whole stands for its arrondissements;
    * and each city whose arrondissements are all in it (the city listed whole, or each of its
      arrondissements listed): a resident coded with the city's own code lives there.

    An arrondissement listed alone covers only itself: a resident coded at the city's level
    (75056) cannot be placed in one arrondissement; it counts only in a territory holding the
    whole city (and in its département and the nation).
    """
    leaves = leaf_codes(codes)
    children: dict[str, set[str]] = {}
    for code, parent in Commune.objects.filter(parent__isnull=False).values_list(
        "code", "parent_id"
    ):
        children.setdefault(parent, set()).add(code)
    return leaves | {parent for parent, units in children.items() if units <= leaves}


def leaf_populations(codes: Iterable[str], day: dt.date) -> dict[str, int]:
    """Legal population in force on ``day`` of each leaf unit of ``codes`` (0 when unknown)."""
    leaves = leaf_codes(codes)
    vintage = vintage_on(day)
    if vintage is None:
        rows = Commune.objects.filter(code__in=leaves).values_list("code", "population")
        known = {code: population or 0 for code, population in rows}
    else:
        known = dict(
            vintage.populations.filter(commune_id__in=leaves).values_list(
                "commune_id", "population"
            )
        )
    return {code: known.get(code, 0) for code in leaves}


def population_of(codes: Iterable[str], day: dt.date) -> int:
    """Legal population in force on ``day`` of the leaf units of ``codes``."""
    return sum(leaf_populations(codes, day).values())
