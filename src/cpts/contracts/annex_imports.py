"""Import a contract year's objectives and evaluation values from a spreadsheet (.xlsx or .csv).

One line per indicator of the year's annex, found by its ``Identifiant`` (the export of the annex
has it: the template to fill *is* that export) or, without one, by its exact label. Each column
changes what the user's role may change, through the services the screens use (audited):

* ``Objectif`` -> :func:`services.set_objective` (``Action.ANNEX``: the community or its CPAM);
* ``Valeur mesurée``, ``Réalisé``, ``Remarques`` -> :func:`services.record_indicator`
  (``Action.FILE``: the community);
* ``Décision`` (accepté / refusé), ``Motif`` -> :func:`services.decide_indicator`
  (``Action.EVALUATE``: the CPAM).

A cell equal to what is recorded changes nothing, so the export of the annex re-imported as it is
writes nothing, and each role may send back the whole template with only its columns changed; a
column the role may not write, with a changed value, is an error of that line. Every other column
(CPTS, mission, amount...) is read only to help the reader and ignored.

**A stale template is refused** (optimistic concurrency): the export carries, per line, a
« Version » of the indicator as exported (:func:`indicator_version`, a digest of what an import can
change). A line whose indicator changed since (another role raised the objective, the community
recorded a new value...) and whose cells would change anything is refused — « téléchargez un
nouveau modèle » — instead of writing back the stale cells over the other role's change. A file
without the column (made by hand) keeps the cell-by-cell rule: only a cell that differs from what
is recorded changes it.

**Formulas are refused**: a workbook written by a program keeps a formula without its computed
value, which would read as an empty cell and erase the objective or the value; a formula cell in a
column read is an error of its line (« saisissez une valeur »).

**All or nothing**: the lines are checked, then applied in one transaction through the services,
under the contract's row lock (as the closing of the evaluation and the fill from the claims take
it); one refused line — by this module or by a service — rolls everything back, and the report
names its line. A dry run (« vérifier sans importer ») runs the very same services in a
transaction that is always rolled back: what it says is what the import would do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from cpts.accounts.access import Action, can
from cpts.accounts.models import User
from cpts.core.dates import today
from cpts.territory.files import (
    FileError,
    Formula,
    csv_export,
    read_csv,
    read_xlsx,
    text_problem,
)

from . import services
from .models import Contract, Evaluation, Indicator

#: The largest file accepted (an annex has a few dozen indicators).
MAX_BYTES = 2 * 1024 * 1024
#: The most lines accepted.
MAX_ROWS = 1000
#: The largest measured value or objective (the database keeps 14 digits, 2 after the point).
MAX_NUMBER = Decimal("999999999999.99")

#: Header names (compared without case, accents, spaces nor punctuation) -> column.
ALIASES = {
    "identifiant": "id",
    "id": "id",
    "code": "id",
    "indicateur": "label",
    "libelle": "label",
    "annee_contractuelle": "year",
    "annee": "year",
    "objectif": "objective",
    "objectif_cible": "objective",
    "valeur_mesuree": "value",
    "valeur": "value",
    "realise": "done",
    "remarques": "remarks",
    "decision": "verdict",
    "motif": "reason",
    "version": "version",
}
COLUMN_LABELS = {
    "objective": "Objectif",
    "value": "Valeur mesurée",
    "done": "Réalisé",
    "remarks": "Remarques",
    "verdict": "Décision",
    "reason": "Motif",
    "id": "Identifiant",
    "label": "Indicateur",
    "year": "Année contractuelle",
    "version": "Version",
}
#: How the report names a changed field.
FIELD_NAMES = {"value": "valeur mesurée", "done": "réalisé", "remarks": "remarques"}
STALE = "modifié depuis le téléchargement du modèle : téléchargez un nouveau modèle"
YES = {"oui", "o", "yes", "vrai", "true", "1", "x", "realise"}
NO = {"non", "n", "no", "faux", "false", "0", "non_realise"}
ACCEPT = {"accepte", "accepted", "atteint"}
REFUSE = {"refuse", "refused", "non_atteint"}
PENDING = {"a_evaluer", "pending", "en_attente"}


@dataclass(frozen=True)
class Problem:
    line: int | str  # the line of the file (header = 1), or "fichier"
    severity: str  # "erreur", "avertissement" or "information"
    message: str

    def __str__(self) -> str:
        where = f"Ligne {self.line}" if isinstance(self.line, int) else "Fichier"
        return f"{where} : {self.message}"


@dataclass
class AnnexImportReport:
    dry_run: bool = False
    lines: int = 0
    changed: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "erreur"]

    @property
    def notes(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity != "erreur"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int | str, message: str) -> None:
        self.problems.append(Problem(line, "erreur", message))

    def note(self, line: int | str, message: str, severity: str = "information") -> None:
        self.problems.append(Problem(line, severity, message))

    def as_csv(self) -> str:
        """The report line by line (``ligne;gravité;message``), as the perimeter import writes
        it: BOM, ``;``, cells that could run as formulas neutralised."""
        order = {"erreur": 0, "avertissement": 1, "information": 2}
        problems = sorted(
            self.problems,
            key=lambda p: (isinstance(p.line, int), p.line if isinstance(p.line, int) else 0,
                           order[p.severity]),
        )  # fmt: skip
        return csv_export(
            ["ligne", "gravité", "message"],
            [[problem.line, problem.severity, problem.message] for problem in problems],
        )


def indicator_version(indicator: Indicator) -> str:
    """The version of an indicator as the export of the annex writes it (column « Version »): a
    digest of every field an import can change, so that an import tells a template exported
    before another change. Starts with a letter, so that no spreadsheet reads it as a number."""

    def number(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}"

    fields = (
        indicator.kind,
        number(indicator.objective),
        number(indicator.measured_value),
        str(bool(indicator.done)),
        indicator.remarks,
        indicator.verdict,
        indicator.verdict_reason,
    )
    digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()
    return "v" + digest[:12]


def _key(text: object) -> str:
    """Lower case, no accents, words joined by ``_``: how headers and words compare."""
    plain = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return "_".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def _cell(value: Any) -> Any:
    """A spreadsheet cell: numbers stay numbers (as Decimal), text is stripped, None is empty."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return str(value).strip()


def read_lines(name: str, data: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The data lines of the file with their numbers and cells by column; :class:`FileError`
    (a French message) for a file that cannot be read as a whole."""
    suffix = Path(name).suffix.lower()
    rows: Iterator[list[Any]]
    if data.startswith(b"PK\x03\x04") or suffix == ".xlsx":
        rows = (list(row) for row in read_xlsx(data, formulas=True))
    elif suffix in (".csv", ".txt"):
        csv_header, csv_rows = read_csv(data)
        rows = iter([csv_header, *(row.cells for row in csv_rows)])
    else:
        raise FileError("Format non pris en charge : envoyez un classeur Excel (.xlsx) ou un CSV.")
    header: list[Any] | None = next(rows, None)
    if header is None:
        raise FileError("Le fichier est vide.")
    columns = [ALIASES.get(_key(cell), "") for cell in header]
    if "id" not in columns and "label" not in columns:
        raise FileError(
            "La première ligne doit nommer la colonne « Identifiant » (ou « Indicateur ») : "
            "téléchargez le modèle, l'annexe de l'année pré-remplie."
        )
    if not {"objective", "value", "done", "remarks", "verdict"} & set(columns):
        raise FileError(
            "Aucune colonne à importer : « Objectif », « Valeur mesurée », « Réalisé », "
            "« Remarques » ou « Décision » (et « Motif »)."
        )
    lines: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):
        cells = {
            column: _cell(value) for column, value in zip(columns, row, strict=False) if column
        }
        if not any(value != "" for column, value in cells.items() if column != "version"):
            continue
        if len(lines) == MAX_ROWS:
            raise FileError(f"Le fichier dépasse {MAX_ROWS} lignes : une annexe en a bien moins.")
        lines.append((number, cells))
    if not lines:
        raise FileError("Le fichier ne contient aucune ligne d'indicateur.")
    return lines


def _number(value: Any, what: str) -> Decimal | None:
    """A number written the French or English way (« 1 200,5 », « 45 % »), or empty."""
    if value == "":
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.removesuffix("%").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what} : « {str(value)[:40]} » n'est pas un nombre.") from None
    if not number.is_finite():
        raise ValueError(f"{what} : « {str(value)[:40]} » n'est pas un nombre.")
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"{what} : {str(value)[:40]} est trop grand.")
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(f"{what} : deux décimales au plus ({str(value)[:40]}).")
    return number.quantize(Decimal("0.01"))


def _whole(value: Any) -> int | None:
    """A whole number of at most 12 digits written in a cell (« 12 », 12, 12.0), else ``None``
    (text, a fraction, a negative, an infinite or absurd number)."""
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0 or value >= Decimal(10) ** 12:
            return None
        return int(value) if value == value.to_integral_value() else None
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    return None


def _text(value: Any, what: str, limit: int) -> str:
    text = "" if value == "" else str(value)
    problem = text_problem(text, limit)
    if problem:
        raise ValueError(f"{what} : {problem}.")
    return text


@dataclass
class _Line:
    number: int
    indicator: Indicator
    operations: list[tuple[str, Callable[[], None]]]
    version: str = ""


def import_annex(
    contract: Contract,
    year: int,
    user: User,
    name: str,
    data: bytes,
    *,
    dry_run: bool = False,
) -> AnnexImportReport:
    """Check the file, then apply every line in one transaction through the services, or none.

    The caller has checked that the community is in scope (404). A user who may neither write
    the annex, file values nor evaluate gets ``PermissionDenied`` (403)."""
    community = contract.community
    if not any(can(user, action, community) for action in (Action.ANNEX, Action.FILE,
                                                            Action.EVALUATE)):  # fmt: skip
        raise PermissionDenied("Votre rôle ne permet pas d'importer les valeurs de l'annexe.")
    report = AnnexImportReport(dry_run=dry_run)
    if contract.evaluations.filter(contract_year=year, status=Evaluation.Status.CLOSED).exists():
        report.error(
            "fichier", f"L'évaluation de l'année {year} est close : l'annexe ne change plus."
        )
        return report
    if len(data) > MAX_BYTES:
        report.error("fichier", f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo.")
        return report
    try:
        lines = read_lines(name, data)
    except FileError as error:
        report.error("fichier", str(error))
        return report
    report.lines = len(lines)
    indicators = list(contract.indicators.filter(contract_year=year).order_by("pk"))
    by_id = {indicator.pk: indicator for indicator in indicators}
    by_label: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        by_label.setdefault(indicator.label.strip().casefold(), []).append(indicator)
    seen: dict[int, int] = {}
    planned: list[_Line] = []
    for number, cells in lines:
        formulas = [column for column, value in cells.items() if isinstance(value, Formula)]
        if formulas:
            report.error(
                number,
                f"« {COLUMN_LABELS[formulas[0]]} » : formule non acceptée "
                f"(« {str(cells[formulas[0]])[:40]} »), saisissez une valeur.",
            )
            continue
        try:
            indicator = _find(cells, year, by_id, by_label)
        except ValueError as error:
            report.error(number, str(error))
            continue
        if indicator.pk in seen:
            report.error(
                number, f"l'indicateur n° {indicator.pk} figure déjà ligne {seen[indicator.pk]}."
            )
            continue
        seen[indicator.pk] = number
        version = str(cells.get("version", "")).strip()
        stale = bool(version) and version != indicator_version(indicator)
        try:
            operations = _operations(indicator, cells, user)
        except ValueError as error:
            report.error(number, f"{STALE}." if stale else str(error))
            continue
        if stale and operations:
            report.error(number, f"« {indicator.label[:80]} » {STALE}.")
            continue
        planned.append(_Line(number, indicator, operations, version))
    if report.errors:
        return report
    _apply(contract, planned, report, dry_run)
    return report


def _find(
    cells: dict[str, Any],
    year: int,
    by_id: dict[int, Indicator],
    by_label: dict[str, list[Indicator]],
) -> Indicator:
    written_year = cells.get("year", "")
    if written_year != "":
        number = _whole(written_year)
        if number is None:
            raise ValueError(f"année contractuelle illisible : « {str(written_year)[:20]} ».")
        if number != year:
            raise ValueError(
                f"cette ligne est de l'année {number}, le fichier est importé dans "
                f"l'annexe de l'année {year}."
            )
    identifier = cells.get("id", "")
    if identifier != "":
        pk = _whole(identifier)
        if pk is None:
            raise ValueError(f"identifiant illisible : « {str(identifier)[:20]} ».")
        found = by_id.get(pk)
        if found is None:
            raise ValueError(
                f"l'indicateur n° {pk} n'est pas dans l'annexe de l'année {year} de ce contrat."
            )
        return found
    label = str(cells.get("label", "")).strip()
    if not label:
        raise ValueError("ni identifiant ni indicateur : la ligne ne désigne aucun indicateur.")
    matches = by_label.get(label.casefold(), [])
    if not matches:
        raise ValueError(
            f"aucun indicateur « {label[:80]} » dans l'annexe de l'année {year} "
            "(un nouvel indicateur s'ajoute depuis l'écran de l'annexe)."
        )
    if len(matches) > 1:
        raise ValueError(
            f"plusieurs indicateurs s'appellent « {label[:80]} » : donnez leur identifiant."
        )
    return matches[0]


def _operations(
    indicator: Indicator, cells: dict[str, Any], user: User
) -> list[tuple[str, Callable[[], None]]]:
    """What the line changes, as calls to the services; ``ValueError`` (French) if it cannot."""
    community = indicator.contract.community
    operations: list[tuple[str, Callable[[], None]]] = []

    def refuse(column: str, who: str) -> None:
        raise ValueError(
            f"« {COLUMN_LABELS[column]} » : votre rôle ne permet pas de la modifier ({who})."
        )

    if "objective" in cells:
        objective = _number(cells["objective"], "Objectif")
        if objective != indicator.objective:
            if not can(user, Action.ANNEX, community):
                refuse("objective", "l'annexe s'écrit par la CPTS ou sa CPAM")
            operations.append(
                ("objectif", lambda: services.set_objective(indicator, user, objective))
            )
    value = indicator.measured_value
    done = indicator.done
    remarks = indicator.remarks
    if "value" in cells:
        value = _number(cells["value"], "Valeur mesurée")
    if "done" in cells and indicator.kind == Indicator.Kind.DONE:
        word = _key(cells["done"])
        if word in YES:
            done = True
        elif word in NO or word == "":
            done = False
        else:
            raise ValueError(f"Réalisé : « {str(cells['done'])[:20]} » (oui ou non attendu).")
    if "remarks" in cells:
        remarks = _text(cells["remarks"], "Remarques", 5000)
    if (value, done, remarks) != (indicator.measured_value, indicator.done, indicator.remarks):
        changed = [
            column
            for column, before, after in (
                ("value", indicator.measured_value, value),
                ("done", indicator.done, done),
                ("remarks", indicator.remarks, remarks),
            )
            if before != after
        ]
        if not can(user, Action.FILE, community):
            refuse(changed[0], "les valeurs se déposent par la CPTS")
        operations.append(
            (
                ", ".join(FIELD_NAMES[column] for column in changed),
                lambda: services.record_indicator(indicator, user, value, done, remarks),
            )
        )
    if "verdict" in cells:
        word = _key(cells["verdict"])
        reason = _text(cells.get("reason", ""), "Motif", 5000).strip()
        current = indicator.verdict
        if word in ACCEPT or word in REFUSE:
            accept = word in ACCEPT
            wanted = Indicator.Verdict.ACCEPTED if accept else Indicator.Verdict.REFUSED
            differs = wanted != current or reason != indicator.verdict_reason.strip()
            if operations:
                # the line changes the value or the objective, which sends the indicator back to
                # the CPAM: the CPAM (or an administrator) decides again; anyone else leaves it
                if can(user, Action.EVALUATE, community):
                    operations.append(
                        (
                            "décision",
                            lambda: services.decide_indicator(
                                indicator, user, accept, reason, today()
                            ),
                        )
                    )
            elif differs:
                if not can(user, Action.EVALUATE, community):
                    refuse("verdict", "la décision appartient à la CPAM")
                operations.append(
                    (
                        "décision",
                        lambda: services.decide_indicator(indicator, user, accept, reason, today()),
                    )
                )
        elif word in PENDING or word == "":
            if current != Indicator.Verdict.PENDING and word in PENDING and not operations:
                raise ValueError(
                    "Décision : une décision rendue ne se retire pas par un import (elle revient "
                    "à la CPAM quand la valeur change)."
                )
        else:
            raise ValueError(
                f"Décision : « {str(cells['verdict'])[:30]} » (accepté, refusé ou à évaluer)."
            )
    return operations


class _Rollback(Exception):
    pass


def _apply(
    contract: Contract, planned: list[_Line], report: AnnexImportReport, dry_run: bool
) -> None:
    """Run the services line by line in one transaction; roll back on the first refusal, and
    always for a dry run."""
    try:
        with transaction.atomic():
            Contract.objects.select_for_update().filter(pk=contract.pk).first()
            for line in planned:
                if line.version and line.operations:
                    # changed between the check and the lock: the same refusal
                    line.indicator.refresh_from_db()
                    if indicator_version(line.indicator) != line.version:
                        report.error(line.number, f"« {line.indicator.label[:80]} » {STALE}.")
                        raise _Rollback
                for what, operation in line.operations:
                    try:
                        operation()
                    except services.RuleError as error:
                        report.error(line.number, f"{what} : {error}")
                        raise _Rollback from None
                    except PermissionDenied as error:
                        report.error(line.number, f"{what} : {error}")
                        raise _Rollback from None
                if line.operations:
                    report.changed += 1
                    verb = "serait modifié" if dry_run else "modifié"
                    report.note(
                        line.number,
                        f"« {line.indicator.label[:80]} » {verb} "
                        f"({', '.join(what for what, _ in line.operations)}).",
                    )
                else:
                    report.note(line.number, f"« {line.indicator.label[:80]} » inchangé.")
            if dry_run:
                raise _Rollback
    except _Rollback:
        if report.errors:
            report.changed = 0
            report.problems = [p for p in report.problems if p.severity == "erreur"]
