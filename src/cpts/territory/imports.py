"""Import perimeters as ARS publish them: CSV (``community,code[,finess]``) or GeoJSON (a
FeatureCollection whose features carry ``name``, ``communes`` and optionally ``arrondissements``
in their properties).

All or nothing: every line is checked first, and one bad line means nothing is written; the
report names each bad line and why. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from cpts.communities.identifiers import finess_error
from cpts.communities.models import Community

from .models import Commune
from .perimeters import PerimeterChange, PerimeterError, normalise_code, resolve_map, set_perimeter

MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Problem:
    line: int | str  # the line of the file (CSV: header = 1), or the feature (GeoJSON: "entité 3")
    message: str

    def __str__(self) -> str:
        where = f"ligne {self.line}" if isinstance(self.line, int) else str(self.line)
        return f"{where} : {self.message}"


@dataclass
class ParsedCommunity:
    name: str
    finess: str
    codes: list[str] = field(default_factory=list)
    lines: list[int | str] = field(default_factory=list)


@dataclass
class ImportReport:
    communities: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    codes: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    amendments: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def sort(self) -> None:
        """Problems in the order of the file (line numbers first)."""

        def key(problem: Problem) -> tuple[int, int, str]:
            return (
                (0, problem.line, "")
                if isinstance(problem.line, int)
                else (1, 0, str(problem.line))
            )

        self.errors.sort(key=key)
        self.warnings.sort(key=key)

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["ligne", "gravité", "message"])
        for kind, problems in (("erreur", self.errors), ("avertissement", self.warnings)):
            for problem in problems:
                writer.writerow([problem.line, kind, problem.message])
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "communities": self.communities,
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "codes": self.codes,
            "errors": [str(problem) for problem in self.errors],
            "warnings": [str(problem) for problem in self.warnings],
            "amendments": self.amendments,
        }


def _key(text: str) -> str:
    """Header names compared without case, accents or spaces."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in text if char.isalnum())


def parse_csv(content: str, report: ImportReport) -> dict[str, ParsedCommunity]:
    content = content.lstrip("\ufeff")
    if not content.strip():
        report.errors.append(Problem(1, "fichier vide"))
        return {}
    try:
        dialect = csv.Sniffer().sniff(content.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    header = [_key(name) for name in next(reader)]
    aliases = {
        "community": {"community", "communaute", "cpts", "nom"},
        "code": {"code", "codeinsee", "insee", "codgeo"},
    }
    columns: dict[str, int] = {}
    for name, accepted in aliases.items():
        for index, column in enumerate(header):
            if column in accepted:
                columns[name] = index
                break
    if "finess" in header:
        columns["finess"] = header.index("finess")
    missing = [name for name in ("community", "code") if name not in columns]
    if missing:
        report.errors.append(
            Problem(
                1,
                "en-tête attendu « community,code » (et « finess » facultatif) ; manque : "
                + ", ".join(missing),
            )
        )
        return {}
    parsed: dict[str, ParsedCommunity] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(columns.values()):
            report.errors.append(Problem(number, f"ligne incomplète : {len(row)} colonne(s)"))
            continue
        name = row[columns["community"]].strip()
        code = row[columns["code"]].strip()
        finess = row[columns["finess"]].strip() if "finess" in columns else ""
        if not name:
            report.errors.append(Problem(number, "nom de communauté vide"))
            continue
        if not code:
            report.errors.append(Problem(number, f"{name} : code INSEE vide"))
            continue
        _add(parsed, name, finess, [code], number, report)
    return parsed


def parse_geojson(content: str, report: ImportReport) -> dict[str, ParsedCommunity]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        report.errors.append(Problem(error.lineno, f"GeoJSON illisible : {error.msg}"))
        return {}
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        report.errors.append(Problem("fichier", "un GeoJSON FeatureCollection est attendu"))
        return {}
    parsed: dict[str, ParsedCommunity] = {}
    for index, feature in enumerate(data["features"], start=1):
        where = f"entité {index}"
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            report.errors.append(Problem(where, "propriétés absentes"))
            continue
        name = str(properties.get("name") or "").strip()
        if not name:
            report.errors.append(Problem(where, "propriété « name » absente ou vide"))
            continue
        codes: list[str] = []
        for key in ("communes", "arrondissements"):
            value = properties.get(key, [])
            if not isinstance(value, list):
                report.errors.append(
                    Problem(where, f"{name} : « {key} » doit être une liste de codes INSEE")
                )
                continue
            codes += [str(code) for code in value]
        if not codes:
            report.errors.append(Problem(where, f"{name} : périmètre vide"))
            continue
        _add(parsed, name, str(properties.get("finess") or "").strip(), codes, where, report)
    return parsed


def _add(
    parsed: dict[str, ParsedCommunity],
    name: str,
    finess: str,
    codes: list[str],
    line: int | str,
    report: ImportReport,
) -> None:
    key = name.casefold()
    entry = parsed.get(key)
    if entry is None:
        parsed[key] = ParsedCommunity(
            name=name, finess=finess, codes=list(codes), lines=[line] * len(codes)
        )
        return
    if finess and entry.finess and finess != entry.finess:
        report.errors.append(
            Problem(line, f"{name} : deux numéros FINESS différents ({entry.finess} et {finess})")
        )
        return
    entry.finess = entry.finess or finess
    entry.codes += codes
    entry.lines += [line] * len(codes)


def import_perimeters(path: Path, valid_from: dt.date, *, dry_run: bool = False) -> ImportReport:
    """Check the whole file, then (if nothing is wrong) record every perimeter in one transaction."""
    report = ImportReport()
    if path.stat().st_size > MAX_BYTES:
        report.errors.append(
            Problem("fichier", f"fichier trop volumineux ({MAX_BYTES // 1024 // 1024} Mo au plus)")
        )
        return report
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        content = path.read_text(encoding="latin-1")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        parsed = parse_geojson(content, report)
    elif suffix in (".csv", ".txt"):
        parsed = parse_csv(content, report)
    else:
        report.errors.append(
            Problem("fichier", f"format non reconnu « {suffix} » : .csv ou .geojson attendu")
        )
        return report
    return apply(parsed, valid_from, report, source=path.name, dry_run=dry_run)


def apply(
    parsed: dict[str, ParsedCommunity],
    valid_from: dt.date,
    report: ImportReport,
    source: str,
    dry_run: bool = False,
) -> ImportReport:
    every_code = {code for entry in parsed.values() for code in entry.codes}
    known, former = resolve_map(every_code)
    resolved: dict[str, list[Commune]] = {}
    for key, entry in parsed.items():
        communes: dict[str, Commune] = {}
        for code, line in zip(entry.codes, entry.lines, strict=True):
            code = normalise_code(code)
            commune = known.get(code)
            if commune is None:
                report.errors.append(Problem(line, f"{entry.name} : code INSEE inconnu « {code} »"))
                continue
            if code in former:
                report.warnings.append(Problem(line, f"{entry.name} : {former[code]}"))
            communes[commune.code] = commune
        resolved[key] = list(communes.values())
        problem = finess_error(entry.finess) if entry.finess else None
        if problem:
            report.errors.append(
                Problem(entry.lines[0], f"{entry.name} : FINESS « {entry.finess} » : {problem}")
            )
    _check_identities(parsed, report)
    report.sort()
    report.communities = len(parsed)
    report.codes = sum(len(communes) for communes in resolved.values())
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for key, entry in parsed.items():
            community, created = _community(entry, resolved[key])
            try:
                change: PerimeterChange = set_perimeter(
                    community, resolved[key], valid_from, source
                )
            except PerimeterError as error:
                report.errors.append(Problem(entry.lines[0], str(error)))
                transaction.set_rollback(True)
                return report
            report.created += int(created)
            report.changed += int(change.changed and not created)
            report.unchanged += int(not change.changed)
            if change.amendment:
                report.amendments.append(f"{community.name} : {change.amendment}")
    return report


def _check_identities(parsed: dict[str, ParsedCommunity], report: ImportReport) -> None:
    """A FINESS number names one community: the same FINESS under two names is an error, and so is
    a name whose FINESS differs from the one already recorded."""
    by_finess: dict[str, list[str]] = defaultdict(list)
    for entry in parsed.values():
        if entry.finess:
            by_finess[entry.finess].append(entry.name)
    for finess, names in by_finess.items():
        if len(names) > 1:
            report.errors.append(
                Problem(
                    "fichier", f"FINESS {finess} donné à plusieurs communautés : {', '.join(names)}"
                )
            )
    existing = {
        community.name.casefold(): community
        for community in Community.objects.filter(name__in=[e.name for e in parsed.values()])
    }
    for key, entry in parsed.items():
        known = existing.get(key)
        if known is not None and known.finess and entry.finess and known.finess != entry.finess:
            report.errors.append(
                Problem(
                    entry.lines[0],
                    f"{entry.name} : FINESS {entry.finess} différent de celui enregistré ({known.finess})",
                )
            )


def _community(entry: ParsedCommunity, communes: list[Commune]) -> tuple[Community, bool]:
    """The community named in the file (by FINESS where it has one), created if new; its seat is
    the département holding most of its population."""
    community = None
    if entry.finess:
        community = Community.objects.filter(finess=entry.finess).first()
    if community is None:
        community = Community.objects.filter(name__iexact=entry.name).first()
    if community is not None:
        if entry.finess and not community.finess:
            community.finess = entry.finess
            community.save(update_fields=["finess"])
        return community, False
    weights: dict[str, int] = defaultdict(int)
    for commune in communes:
        weights[commune.departement_id] += commune.population or 0
    departement = max(weights.items(), key=lambda item: (item[1], item[0]))[0]
    return Community.objects.create(
        name=entry.name, finess=entry.finess, departement_id=departement, population=0
    ), True
