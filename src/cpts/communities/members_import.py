"""Import of a community's members from a CSV or Excel (.xlsx) file: all or nothing.

Every line is checked and every problem collected; if there is one, nothing is written and the
report names each bad line (header = line 1, as in the spreadsheet) and why. The member count
feeds the size-4 increase (``cpts.contracts.engine.members_on``).

The file is read by :mod:`cpts.territory.files` (UTF-8 only, NUL bytes refused, RFC 4180 quotes,
an Excel file's uncompressed size bounded before openpyxl opens it); who may import is decided by
:func:`cpts.accounts.access.require_members_import`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from cpts.accounts.access import require_members_import
from cpts.accounts.models import User
from cpts.core.audit import bulk_create_audited
from cpts.territory.files import MAX_NAME, FileError, Formula, csv_export, read_csv, read_xlsx
from cpts.territory.models import Commune, FormerCode

from .identifiers import finess_error, normalize, rpps_error
from .models import Community, Member, Profession, StructureKind
from .signals import members_changed

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED_COLUMNS = ("type", "nom")
COLUMNS = (
    "type",
    "nom",
    "rpps",
    "profession",
    "commune",
    "finess",
    "type_structure",
    "date_adhesion",
    "email",
)
#: Other spellings of the column names, once normalized (see :func:`_key`).
ALIASES = {
    "type_de_membre": "type",
    "nature": "type",
    "numero_rpps": "rpps",
    "numero_finess": "finess",
    "code_commune": "commune",
    "commune_d_exercice": "commune",
    "code_insee": "commune",
    "type_de_structure": "type_structure",
    "date_d_adhesion": "date_adhesion",
    "e_mail": "email",
    "courriel": "email",
    "adresse_electronique": "email",
    "adresse_e_mail": "email",
    "mail": "email",
}
KINDS = {
    "professionnel": Member.Kind.PROFESSIONAL,
    "professionnelle": Member.Kind.PROFESSIONAL,
    "professionnel_de_sante": Member.Kind.PROFESSIONAL,
    "ps": Member.Kind.PROFESSIONAL,
    "professional": Member.Kind.PROFESSIONAL,
    "structure": Member.Kind.STRUCTURE,
}


@dataclass(frozen=True)
class Problem:
    """One problem of one line: ``line`` as numbered in the spreadsheet (header = 1)."""

    line: int
    column: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(Problem(line, column, message))

    def warn(self, line: int, column: str, message: str) -> None:
        self.warnings.append(Problem(line, column, message))

    def to_csv(self) -> str:
        """The errors as a CSV file (``ligne;champ;erreur``) that opens in a spreadsheet, every
        cell that could run as a formula neutralised."""
        return csv_export(
            ["ligne", "champ", "erreur"],
            ([problem.line or "", problem.column, problem.message] for problem in self.errors),
        )


def _key(text: object) -> str:
    """Lower case, no accents, words joined by ``_``: how column names and labels compare."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return "_".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def _choices(labels: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Accept a choice by its code or by its French label."""
    found: dict[str, str] = {}
    for code, label in labels:
        found[_key(code)] = code
        found[_key(label)] = code
    return found


PROFESSIONS = _choices(Profession.choices)
STRUCTURE_KINDS = _choices(StructureKind.choices)


def _cell(value: Any) -> str | dt.date | Formula:
    """A spreadsheet cell as text (or a date), whatever type Excel gave it; a formula as such
    (refused by :func:`read_rows`: a workbook written by a program keeps no computed value)."""
    if isinstance(value, Formula):
        return value
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str | dt.date | Formula]]:
    header, rows = read_csv(data)
    yield [cell.strip() for cell in header]
    for row in rows:
        yield [cell.strip() for cell in row.cells]


def _xlsx_rows(data: bytes) -> Iterator[list[str | dt.date | Formula]]:
    for row in read_xlsx(data, formulas=True):
        yield [_cell(value) for value in row]


def read_rows(name: str, data: bytes) -> list[tuple[int, dict[str, str | dt.date]]]:
    """The data lines of the file, each with its line number and its cells by column name.

    Raises :class:`FileError` for a file that cannot be read as a whole.
    """
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    rows: Iterator[list[str | dt.date | Formula]]
    if data.startswith(b"PK\x03\x04") or suffix == "xlsx":
        rows = _xlsx_rows(data)
    elif suffix in ("csv", "txt"):
        rows = _csv_rows(data)
    else:
        raise FileError("Format non pris en charge : envoyez un fichier CSV ou Excel (.xlsx).")
    header = next(rows, None)
    if header is None:
        raise FileError("Le fichier est vide.")
    columns = [ALIASES.get(_key(cell), _key(cell)) for cell in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise FileError(
            "Colonne(s) obligatoire(s) absente(s) de la première ligne : "
            + ", ".join(missing)
            + ". Colonnes attendues : "
            + ", ".join(COLUMNS)
            + "."
        )
    lines: list[tuple[int, dict[str, str | dt.date]]] = []
    for number, row in enumerate(rows, start=2):
        cells = {
            column: value
            for column, value in zip(columns, row, strict=False)
            if column in COLUMNS and value != ""
        }
        if not cells:
            continue  # an empty line
        formulas = [column for column, value in cells.items() if isinstance(value, Formula)]
        if formulas:
            raise FileError(
                f"Ligne {number}, colonne « {formulas[0]} » : formule non acceptée "
                f"(« {str(cells[formulas[0]])[:40]} ») ; enregistrez le classeur avec les valeurs."
            )
        values = {
            column: value for column, value in cells.items() if not isinstance(value, Formula)
        }
        if any("\x00" in value for value in values.values() if isinstance(value, str)):
            raise FileError(f"Ligne {number} : une cellule contient un caractère nul (octet 0).")
        if len(lines) == MAX_ROWS:
            raise FileError(f"Le fichier dépasse {MAX_ROWS} lignes de membres : découpez-le.")
        lines.append((number, values))
    if not lines:
        raise FileError("Le fichier ne contient aucun membre.")
    return lines


def _date(value: str | dt.date) -> dt.date | None:
    """A date written JJ/MM/AAAA or AAAA-MM-JJ (or given as a date by Excel)."""
    if isinstance(value, dt.date):
        return value
    try:
        if "/" in value:
            day, month, year = value.split("/")
            return dt.date(int(year), int(month), int(day)) if len(year) == 4 else None
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _text(cells: dict[str, str | dt.date], column: str) -> str:
    value = cells.get(column, "")
    return value.isoformat() if isinstance(value, dt.date) else value


def _communes(lines: list[tuple[int, dict[str, str | dt.date]]]) -> dict[str, tuple[Commune, bool]]:
    """The communes named in the file, by code: (commune, whether the code is a former one)."""
    codes = {_commune_code(_text(cells, "commune")) for _, cells in lines} - {""}
    found = {code: (commune, False) for code, commune in Commune.objects.in_bulk(codes).items()}
    for former in FormerCode.objects.filter(code__in=codes - found.keys()).select_related(
        "commune"
    ):
        found[former.code] = (former.commune, True)
    return found


def _commune_code(value: str) -> str:
    code = value.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code  # Excel drops the 0


def check_lines(
    community: Community, lines: list[tuple[int, dict[str, str | dt.date]]], report: ImportReport
) -> list[Member]:
    """The members to create; every problem goes to ``report``."""
    communes = _communes(lines)
    existing_rpps = set(community.members.exclude(rpps="").values_list("rpps", flat=True))
    existing_finess = set(community.members.exclude(finess="").values_list("finess", flat=True))
    seen: dict[tuple[str, str], int] = {}
    today = timezone.localdate()
    members = []
    for line, cells in lines:
        kind = KINDS.get(_key(_text(cells, "type")))
        if kind is None:
            report.error(
                line,
                "type",
                f"Type « {_text(cells, 'type')} » inconnu : indiquez « professionnel » ou "
                "« structure ».",
            )
            continue
        member = Member(community=community, kind=kind, name=_text(cells, "nom"))
        if not member.name:
            report.error(line, "nom", "Le nom est obligatoire.")
        elif len(member.name) > MAX_NAME:
            report.error(line, "nom", f"Le nom dépasse {MAX_NAME} caractères ({len(member.name)}).")
        if kind == Member.Kind.PROFESSIONAL:
            identifier, column, existing = normalize(_text(cells, "rpps")), "rpps", existing_rpps
            problem = rpps_error(identifier)
            member.rpps = identifier
            profession = _text(cells, "profession")
            member.profession = PROFESSIONS.get(_key(profession), "")
            if not member.profession:
                report.error(
                    line,
                    "profession",
                    f"Profession « {profession} » inconnue : elle doit être l'une des professions "
                    "de l'ACI (" + ", ".join(Profession.labels) + ")."
                    if profession
                    else "La profession est obligatoire pour un professionnel.",
                )
        else:
            identifier, column, existing = (
                normalize(_text(cells, "finess")),
                "finess",
                existing_finess,
            )
            problem = finess_error(identifier)
            member.finess = identifier
            structure_kind = _text(cells, "type_structure")
            member.structure_kind = STRUCTURE_KINDS.get(_key(structure_kind), "")
            if not member.structure_kind:
                report.error(
                    line,
                    "type_structure",
                    f"Type de structure « {structure_kind} » inconnu (types acceptés : "
                    + ", ".join(StructureKind.labels)
                    + ")."
                    if structure_kind
                    else "Le type de structure est obligatoire pour une structure.",
                )
        if problem:
            report.error(line, column, problem)
        elif identifier in existing:
            report.error(
                line, column, f"Déjà membre de la CPTS (numéro {column.upper()} {identifier})."
            )
        elif (column, identifier) in seen:
            report.error(
                line,
                column,
                f"Doublon : le numéro {column.upper()} {identifier} figure déjà ligne "
                f"{seen[(column, identifier)]}.",
            )
        else:
            seen[(column, identifier)] = line
        code = _commune_code(_text(cells, "commune"))
        if code:
            commune, former = communes.get(code, (None, False))
            if commune is None:
                report.error(line, "commune", f"Code commune INSEE « {code} » inconnu.")
            else:
                member.commune = commune
                if former:
                    report.warn(
                        line,
                        "commune",
                        f"Le code {code} est celui d'une ancienne commune : rattaché à "
                        f"{commune.name} ({commune.code}).",
                    )
        joined = cells.get("date_adhesion")
        if joined:
            member.joined_on = _date(joined)
            if member.joined_on is None:
                report.error(
                    line,
                    "date_adhesion",
                    f"Date d'adhésion « {joined} » invalide : écrivez JJ/MM/AAAA ou AAAA-MM-JJ.",
                )
            elif member.joined_on > today:
                report.error(line, "date_adhesion", "La date d'adhésion est dans le futur.")
        email = _text(cells, "email").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.error(line, "email", f"Adresse électronique « {email} » invalide.")
            else:
                member.email = email
        members.append(member)
    return members


def import_members(community: Community, user: User, upload: File[Any]) -> ImportReport:
    """Check the whole file, then create all its members in one transaction, or none."""
    require_members_import(user, community)
    report = ImportReport()
    if upload.size is not None and upload.size > MAX_BYTES:
        report.error(0, "fichier", "Le fichier dépasse 5 Mo : découpez-le en plusieurs fichiers.")
        return report
    try:
        lines = read_rows(upload.name or "", upload.read())
    except FileError as error:
        report.error(0, "fichier", str(error))
        return report
    members = check_lines(community, lines, report)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            bulk_create_audited(Member, members, user, batch_size=1000)
    except IntegrityError:  # a member added meanwhile by someone else
        report.error(0, "fichier", "Un membre du fichier vient d'être ajouté : recommencez.")
        return report
    report.created = len(members)
    # the contracts above listen, and propose an amendment if the count changes what they pay
    for _, answer in members_changed.send(
        sender=Member, community=community, day=timezone.localdate(), user=user
    ):
        if answer:
            report.warn(0, "contrat", str(answer))
    return report
