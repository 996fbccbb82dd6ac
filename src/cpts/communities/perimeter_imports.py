"""Import perimeters as ARS publish them: CSV (``community,code[,finess]``) or GeoJSON (a
FeatureCollection whose features carry ``name``, ``communes`` and optionally ``arrondissements``
in their properties).

All or nothing: every line is checked first, and one bad line means nothing is written; the
report names each bad line and why. Importing the same file twice changes nothing.

Who may import what is decided in :mod:`cpts.accounts.access`: an ARS imports the perimeters of its
region only (a community whose seat, or one of whose communes, lies elsewhere refuses the whole
file, naming the lines), an administrator everything. Files are read by :mod:`.files` (UTF-8,
NUL bytes refused, JSON depth bounded); names longer than the database allows are refused.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from cpts.accounts.access import (
    departements_out_of_scope,
    require_perimeter_import,
    writable_region_ids,
)
from cpts.accounts.models import User
from cpts.core.audit import save_audited
from cpts.territory.files import (
    MAX_NAME,
    FileError,
    csv_export,
    decode_text,
    load_json,
    read_csv,
    text_problem,
)
from cpts.territory.models import Commune, Region

from .identifiers import finess_error
from .models import Community
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
        """The report as a CSV file for a spreadsheet (``ligne;gravité;message``, BOM, cells that
        could run as formulas neutralised)."""
        return csv_export(
            ["ligne", "gravité", "message"],
            [
                [problem.line, kind, problem.message]
                for kind, problems in (("erreur", self.errors), ("avertissement", self.warnings))
                for problem in problems
            ],
        )

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


def parse_csv(data: bytes, report: ImportReport) -> dict[str, ParsedCommunity]:
    try:
        head, rows = read_csv(data)
        header = [_key(name) for name in head]
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
        for row in rows:
            number, cells = row.line, row.cells
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) <= max(columns.values()):
                report.errors.append(Problem(number, f"ligne incomplète : {len(cells)} colonne(s)"))
                continue
            name = cells[columns["community"]].strip()
            code = cells[columns["code"]].strip()
            finess = cells[columns["finess"]].strip() if "finess" in columns else ""
            if _checked(name, code, finess, number, report):
                _add(parsed, name, finess, [code], number, report)
    except FileError as error:
        report.errors.append(Problem("fichier", str(error)))
        return {}
    return parsed


def _checked(name: str, code: str, finess: str, line: int | str, report: ImportReport) -> bool:
    """Is this line's text storable (a name, a code, a FINESS number)? Problems go to ``report``."""
    if not name:
        report.errors.append(Problem(line, "nom de communauté vide"))
        return False
    problem = text_problem(name, MAX_NAME)
    if problem:
        report.errors.append(Problem(line, f"nom de communauté {problem}"))
        return False
    if not code:
        report.errors.append(Problem(line, f"{name} : code INSEE vide"))
        return False
    for label, value, length in (("code INSEE", code, 10), ("FINESS", finess, 20)):
        problem = text_problem(value, length)
        if problem:
            report.errors.append(Problem(line, f"{name} : {label} {problem}"))
            return False
    return True


def parse_geojson(data: bytes, report: ImportReport) -> dict[str, ParsedCommunity]:
    try:
        document = load_json(decode_text(data))
    except FileError as error:
        report.errors.append(Problem("fichier", f"GeoJSON illisible : {error}"))
        return {}
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(document.get("features"), list)
    ):
        report.errors.append(Problem("fichier", "un GeoJSON FeatureCollection est attendu"))
        return {}
    parsed: dict[str, ParsedCommunity] = {}
    for index, feature in enumerate(document["features"], start=1):
        where = f"entité {index}"
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            report.errors.append(Problem(where, "propriétés absentes"))
            continue
        name = properties.get("name")
        if not isinstance(name, str) or not name.strip():
            report.errors.append(
                Problem(where, "propriété « name » absente, vide ou non textuelle")
            )
            continue
        name = name.strip()
        finess = properties.get("finess") or ""
        if not isinstance(finess, str | int):
            report.errors.append(Problem(where, f"{name} : « finess » doit être un texte"))
            continue
        finess = str(finess).strip()
        codes: list[str] = []
        for key in ("communes", "arrondissements"):
            value = properties.get(key, [])
            if not isinstance(value, list) or not all(
                isinstance(code, str | int) and not isinstance(code, bool) for code in value
            ):
                report.errors.append(
                    Problem(where, f"{name} : « {key} » doit être une liste de codes INSEE")
                )
                continue
            codes += [str(code).strip() for code in value]
        if not codes:
            report.errors.append(Problem(where, f"{name} : périmètre vide"))
            continue
        if all(_checked(name, code, finess, where, report) for code in codes):
            _add(parsed, name, finess, codes, where, report)
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


def import_perimeters(
    path: Path, valid_from: dt.date, *, dry_run: bool = False, user: User | None = None
) -> ImportReport:
    """Import the file at ``path`` (see :func:`import_perimeter_data`)."""
    require_perimeter_import(user)
    if path.stat().st_size > MAX_BYTES:
        report = ImportReport()
        report.errors.append(
            Problem("fichier", f"fichier trop volumineux ({MAX_BYTES // 1024 // 1024} Mo au plus)")
        )
        return report
    return import_perimeter_data(
        path.read_bytes(), path.name, valid_from, dry_run=dry_run, user=user
    )


def import_perimeter_data(
    data: bytes,
    name: str,
    valid_from: dt.date,
    *,
    dry_run: bool = False,
    user: User | None = None,
) -> ImportReport:
    """Check the whole file, then (if nothing is wrong) record every perimeter in one transaction.

    ``user`` is who imports (``None``: the command line without ``--as``, an administrator); its
    scope is that of :mod:`cpts.accounts.access`. Raises ``PermissionDenied`` for a role that may
    not import perimeters at all; a file outside the user's scope is refused in the report.
    """
    require_perimeter_import(user)
    report = ImportReport()
    if len(data) > MAX_BYTES:
        report.errors.append(
            Problem("fichier", f"fichier trop volumineux ({MAX_BYTES // 1024 // 1024} Mo au plus)")
        )
        return report
    suffix = Path(name).suffix.lower()
    if suffix in (".geojson", ".json"):
        parsed = parse_geojson(data, report)
    elif suffix in (".csv", ".txt"):
        parsed = parse_csv(data, report)
    else:
        report.errors.append(
            Problem("fichier", f"format non reconnu « {suffix} » : .csv ou .geojson attendu")
        )
        return report
    if not parsed and not report.errors:
        report.errors.append(Problem("fichier", "aucune ligne de périmètre après l'en-tête"))
    return apply(parsed, valid_from, report, source=name, dry_run=dry_run, user=user)


def apply(
    parsed: dict[str, ParsedCommunity],
    valid_from: dt.date,
    report: ImportReport,
    source: str,
    dry_run: bool = False,
    user: User | None = None,
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
    existing = {key: _existing(entry) for key, entry in parsed.items()}
    _check_scope(parsed, existing, resolved, known, report, user)
    report.sort()
    report.communities = len(parsed)
    report.codes = sum(len(communes) for communes in resolved.values())
    if report.errors or dry_run:
        return report
    with transaction.atomic():
        for key, entry in parsed.items():
            try:
                community, created = _community(entry, existing[key], resolved[key], user)
                change: PerimeterChange = set_perimeter(
                    community, resolved[key], valid_from, source, user=user
                )
            except PerimeterError as error:
                report.errors.append(Problem(entry.lines[0], str(error)))
                transaction.set_rollback(True)
                return report
            except IntegrityError:  # a community of that name created meanwhile by someone else
                report.errors.append(
                    Problem(entry.lines[0], f"{entry.name} : créée entre-temps ; recommencez")
                )
                transaction.set_rollback(True)
                return report
            report.created += int(created)
            report.changed += int(change.changed and not created)
            report.unchanged += int(not change.changed)
            if change.amendment:
                report.amendments.append(f"{community.name} : {change.amendment}")
    return report


def _check_scope(
    parsed: dict[str, ParsedCommunity],
    existing: dict[str, Community | None],
    resolved: dict[str, list[Commune]],
    known: dict[str, Commune],
    report: ImportReport,
    user: User | None,
) -> None:
    """Refuse every line that writes outside ``user``'s scope (:mod:`cpts.accounts.access`): a
    commune of another region, a community whose seat is (or, new, would be) elsewhere."""
    touched: set[str] = {commune.departement_id for commune in known.values()}
    seats: dict[str, str] = {}
    for key in parsed:
        community = existing[key]
        if community is not None:
            seats[key] = community.departement_id
        elif resolved[key]:
            seats[key] = _seat(resolved[key])
    outside = departements_out_of_scope(user, touched | set(seats.values()))
    if not outside:
        return
    regions = ", ".join(
        Region.objects.filter(code__in=writable_region_ids(user) or set())
        .order_by("name")
        .values_list("name", flat=True)
    )
    where = f"hors de votre région ({regions})" if regions else "hors de votre région"
    for key, entry in parsed.items():
        for code, line in zip(entry.codes, entry.lines, strict=True):
            commune = known.get(normalise_code(code))
            if commune is not None and commune.departement_id in outside:
                report.errors.append(
                    Problem(
                        line,
                        f"{entry.name} : la commune {commune.code} {commune.name} (département "
                        f"{commune.departement_id}) est {where} : import refusé",
                    )
                )
        seat = seats.get(key)
        if seat in outside:
            verb = (
                "cette CPTS a son siège"
                if existing[key] is not None
                else "la création de cette CPTS, dont le siège serait"
            )
            report.errors.append(
                Problem(
                    entry.lines[0],
                    f"{entry.name} : {verb} dans le département {seat}, {where} : import refusé",
                )
            )


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


def _existing(entry: ParsedCommunity) -> Community | None:
    """The community a line names: by FINESS where it has one, else by name (case ignored)."""
    community = None
    if entry.finess:
        community = Community.objects.filter(finess=entry.finess).first()
    if community is None:
        community = Community.objects.filter(name__iexact=entry.name).first()
    return community


def _seat(communes: list[Commune]) -> str:
    """The seat of a new community: the département holding most of its population."""
    weights: dict[str, int] = defaultdict(int)
    for commune in communes:
        weights[commune.departement_id] += commune.population or 0
    return max(weights.items(), key=lambda item: (item[1], item[0]))[0]


def _community(
    entry: ParsedCommunity,
    community: Community | None,
    communes: list[Commune],
    user: User | None,
) -> tuple[Community, bool]:
    """The community named in the file (found by :func:`_existing`), created if new; the audit
    trail records ``user`` as the author."""
    if community is not None:
        if entry.finess and not community.finess:
            community.finess = entry.finess
            save_audited(community, user, update_fields=["finess"])
        return community, False
    new = Community(
        name=entry.name, finess=entry.finess, departement_id=_seat(communes), population=0
    )
    with transaction.atomic():
        return save_audited(new, user), True
