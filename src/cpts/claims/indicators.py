"""Indicators of a territory computed from claims shaped like the SNDS, on DuckDB or on Spark.

Each indicator is a named :class:`Definition` (code, French label, reference, description); its
code lists are dated parameters (``src/cpts/aci/parameters/indicators/``, IR_NAT_V and IR_ETM_V
as reference). The computation is written once as Ibis expressions and run by the engine asked
for (:mod:`cpts.claims.engines`). ``docs/indicators.md`` documents every choice; in short, for a
territory and a period [``start``, ``end``], with D = ``end``:

* a patient is the pair (``BEN_NIR_PSA``, ``BEN_RNG_GEM``): twins on one number are two patients;
* a beneficiary with several ``IR_BEN_R`` rows counts once: birth year the smallest of its rows,
  residence the greatest known INSEE code of its rows (a known residence beats an unknown one),
  dead if any row says so;
* alive on D: born by D's year, and no death date (empty or ``1600-01-01``) or a death on D or
  after (a patient who dies on D was alive that day);
* refused before any figure (:func:`check_values`): an empty patient key in any table, an
  integer beyond 64 bits, a ``BEN_NAI_ANN`` that is not a year or is before 1850;
* population: beneficiaries alive on D whose rebuilt residence is in the territory; the ones whose
  residence cannot be rebuilt into a known commune are counted apart (``unknown_residence``,
  one figure for the whole extract, whatever the territory);
* consumer: at least one ``ER_PRS_F`` row in the period that is not for information only
  (``DPN_QLF`` 71), whatever its quantity: a consumer whose only act was cancelled by a
  regularisation (a row of negative quantity) stays a consumer, as the definition reads rows;
* age: year of D minus ``BEN_NAI_ANN``;
* médecin traitant on D: an ``IR_MTT_R`` row begun on D or before and not ended before D;
  ALD on D: an ``IR_IMB_R`` row with an ALD exemption reason, begun on D or before and not ended
  before D (an end ``1600-01-01``, empty, or in 2099 is open);
* acts are counted as the sum of ``PRS_ACT_QTE`` (regularisations are negative).

The query reads ``ER_PRS_F`` once, over the union of the period and of the screening window,
aggregates it to one row of flags per patient, joins the small flag tables of beneficiaries,
ALD and médecin traitant, and aggregates per residence commune: the engine returns one row per
commune, and each territory adds up its communes in Python.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis

from cpts.aci.parameters import default_tree

from . import engines, residence
from .errors import ClaimsError
from .reader import check_claims, null_counts
from .schema import NO_DATE, REQUIRED_TABLES

SHARE = "share"
COUNT = "count"
KEY = ("BEN_NIR_PSA", "BEN_RNG_GEM")
FOUR_PLACES = Decimal("0.0001")

#: Where each code list lives among the parameters (``src/cpts/aci/parameters/``).
CODE_LISTS = {
    "flu": "indicators.flu_vaccination_codes",
    "screening": "indicators.colorectal_screening_codes",
    "regulated": "indicators.regulated_care_codes",
    "snp": "indicators.snp_majoration_codes",
    "ald": "indicators.ald_exemption_codes",
    "information_only": "indicators.information_only_qualifiers",
}

#: Age thresholds of the definitions (part of each indicator's definition, not of a code list).
ADULT_AGE = 16
FLU_AGE = 65
ELDERLY_AGE = 70
SCREENING_AGES = (50, 74)
#: The colorectal screening window: the two years ending on D.
SCREENING_YEARS = 2


@dataclass(frozen=True)
class Definition:
    """A named indicator: its code, French label, reference (with its source) and definition."""

    code: str
    label: str
    reference: str
    description: str
    kind: str  # SHARE or COUNT


@dataclass(frozen=True)
class Result:
    """The value of one indicator for a territory: a share (numerator over denominator, rounded
    half up to four decimals) or a count (``denominator`` None, ``value`` the count). A share
    whose denominator is 0 has no value (None)."""

    code: str
    label: str
    numerator: int
    denominator: int | None
    value: Decimal | None

    def as_json(self) -> dict[str, Any]:
        value: float | int | None
        if self.value is None:
            value = None
        elif self.denominator is None:
            value = int(self.value)
        else:
            value = float(self.value)
        return {
            "code": self.code,
            "label": self.label,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": value,
        }


@dataclass(frozen=True)
class Computation:
    """Every indicator of a territory over a period, with what it was computed from."""

    start: dt.date
    end: dt.date
    engine: str
    communes: int  # INSEE codes of the territory (communes and arrondissements)
    population: int
    unknown_residence: int
    results: tuple[Result, ...]

    def as_json(self) -> dict[str, Any]:
        """The JSON of ``cpts indicators compute``: numerators and denominators as integers,
        a share's value as a number rounded to four decimals, a count's value as an integer."""
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "engine": self.engine,
            "territory": {"communes": self.communes, "population": self.population},
            "unknown_residence": self.unknown_residence,
            "indicators": [result.as_json() for result in self.results],
        }

    def result(self, code: str) -> Result:
        for result in self.results:
            if result.code == code:
                return result
        raise KeyError(code)


# --- Code lists and definitions -------------------------------------------------------------------


@dataclass(frozen=True)
class CodeLists:
    """The code lists in force on a day (each a tuple of integer codes)."""

    flu: tuple[int, ...]
    screening: tuple[int, ...]
    regulated: tuple[int, ...]
    ald: tuple[int, ...]
    information_only: tuple[int, ...]


def _codes(path: str, day: dt.date) -> tuple[int, ...]:
    value = default_tree().maybe_at(path, day)
    if value is None:
        return ()
    raw = value.value
    if not isinstance(raw, list):
        raise ClaimsError(rule=f"paramètre {path} : une liste de codes est attendue")
    return tuple(int(code) for code in raw)


def code_lists(day: dt.date) -> CodeLists:
    """The code lists of the parameters in force on ``day``; the SNP majoration joins the
    regulated-care codes once its code is known."""
    return CodeLists(
        flu=_codes(CODE_LISTS["flu"], day),
        screening=_codes(CODE_LISTS["screening"], day),
        regulated=_codes(CODE_LISTS["regulated"], day) + _codes(CODE_LISTS["snp"], day),
        ald=_codes(CODE_LISTS["ald"], day),
        information_only=_codes(CODE_LISTS["information_only"], day),
    )


def _today() -> dt.date:
    return dt.datetime.now(tz=ZoneInfo("Europe/Paris")).date()


def _listed(codes: tuple[int, ...]) -> str:
    return ", ".join(str(code) for code in codes) if codes else "aucun"


ACCESS = (
    "ACI CPTS (arrêté du 21 août 2019), art. 7.1, mission d'amélioration de l'accès aux soins "
    "(faciliter l'accès à un médecin traitant) ; indicateurs de l'annexe des contrats"
)
PREVENTION = (
    "ACI CPTS (arrêté du 21 août 2019), art. 7.3, mission de développement des actions "
    "territoriales de prévention ; indicateurs de l'annexe des contrats"
)
UNSCHEDULED = (
    "ACI CPTS (arrêté du 21 août 2019), art. 7.1, prise en charge des soins non programmés "
    "en ville ; avenant 2 (participation au service d'accès aux soins)"
)
SNDS = "données : SNDS (DCIR ER_PRS_F, référentiels IR_BEN_R, IR_IMB_R, IR_MTT_R)"


def definitions(day: dt.date | None = None) -> list[Definition]:
    """Every indicator, with the code lists in force on ``day`` (today by default)."""
    codes = code_lists(day or _today())
    info = _listed(codes.information_only)
    consumer = (
        "patient (BEN_NIR_PSA, BEN_RNG_GEM) vivant à la date de fin D, résidant dans le "
        "territoire, ayant au moins une ligne ER_PRS_F datée (EXE_SOI_DTD) dans la période, hors "
        f"lignes pour information (DPN_QLF {info})"
    )
    gp = (
        "médecin traitant à la date D : déclaration IR_MTT_R commencée au plus tard le D "
        "(MTT_DEP_DTE ≤ D) et non terminée avant D (MTT_FIN_DTE vide, 1600-01-01 ou ≥ D)"
    )
    ald = (
        f"ALD à la date D : ligne IR_IMB_R de motif d'exonération {_listed(codes.ald)} "
        "(IMB_ETM_NAT), commencée au plus tard le D et non terminée avant D (IMB_ALD_DTF vide, "
        "1600-01-01 ou ≥ D)"
    )
    age = "âge = année de D − BEN_NAI_ANN"
    low, high = SCREENING_AGES
    return [
        Definition(
            "consumers",
            "Patients consommants du territoire",
            f"{ACCESS} ; {SNDS}",
            f"Nombre de patients consommants : {consumer}.",
            COUNT,
        ),
        Definition(
            "patients_16_with_gp",
            f"Part des patients de {ADULT_AGE} ans et plus ayant un médecin traitant",
            f"{ACCESS} ; {SNDS}",
            f"Consommants de {ADULT_AGE} ans et plus ayant un médecin traitant, parmi les "
            f"consommants de {ADULT_AGE} ans et plus. {consumer} ; {age} ; {gp}.",
            SHARE,
        ),
        Definition(
            "patients_16_without_gp",
            f"Part des patients de {ADULT_AGE} ans et plus sans médecin traitant",
            f"{ACCESS} ; {SNDS}",
            f"Consommants de {ADULT_AGE} ans et plus sans médecin traitant, parmi les "
            f"consommants de {ADULT_AGE} ans et plus (complément du précédent). {consumer} ; "
            f"{age} ; {gp}.",
            SHARE,
        ),
        Definition(
            "ald_patients_without_gp",
            "Part des patients en ALD sans médecin traitant",
            f"{ACCESS} ; {SNDS}",
            f"Consommants de {ADULT_AGE} ans et plus en ALD et sans médecin traitant, parmi les "
            f"consommants de {ADULT_AGE} ans et plus en ALD. {consumer} ; {age} ; {ald} ; {gp}.",
            SHARE,
        ),
        Definition(
            "patients_70_without_gp",
            f"Part des patients de {ELDERLY_AGE} ans et plus sans médecin traitant",
            f"{ACCESS} ; {SNDS}",
            f"Consommants de {ELDERLY_AGE} ans et plus sans médecin traitant, parmi les "
            f"consommants de {ELDERLY_AGE} ans et plus. {consumer} ; {age} ; {gp}.",
            SHARE,
        ),
        Definition(
            "flu_vaccination_65",
            f"Part des patients de {FLU_AGE} ans et plus vaccinés contre la grippe",
            f"{PREVENTION} ; nomenclature IR_NAT_V ; {SNDS}",
            f"Consommants de {FLU_AGE} ans et plus ayant au moins une ligne de vaccination "
            f"antigrippale (PRS_NAT_REF {_listed(codes.flu)}) dans la période, parmi les "
            f"consommants de {FLU_AGE} ans et plus. {consumer} ; {age}.",
            SHARE,
        ),
        Definition(
            "colorectal_screening_50_74",
            f"Part des patients de {low} à {high} ans dépistés du cancer colorectal",
            f"{PREVENTION} ; nomenclature IR_NAT_V ; {SNDS}",
            f"Consommants de {low} à {high} ans ayant une ligne de dépistage du cancer "
            f"colorectal (PRS_NAT_REF {_listed(codes.screening)}) dans les deux ans qui finissent "
            f"le D (après le même jour deux ans plus tôt), parmi les consommants de {low} à "
            f"{high} ans. {consumer} ; {age}.",
            SHARE,
        ),
        Definition(
            "regulated_care_acts",
            "Actes avec majoration de soins régulés",
            f"{UNSCHEDULED} ; nomenclature IR_NAT_V, NGAP ; {SNDS}",
            "Somme des quantités (PRS_ACT_QTE, négatives pour les régularisations) des lignes de "
            f"majoration de soins régulés (PRS_NAT_REF {_listed(codes.regulated)} ; majoration "
            "SNP à compléter dans les paramètres) des patients du territoire dans la période, "
            f"hors lignes pour information (DPN_QLF {info}).",
            COUNT,
        ),
    ]


# --- The computation ------------------------------------------------------------------------------


def _isin(column: Any, codes: tuple[int, ...]) -> Any:
    return column.isin(list(codes)) if codes else ibis.literal(False)


def _open_on(end_column: Any, day: Any) -> Any:
    """An end date that leaves the row open on ``day``: empty, ``1600-01-01``, or on or after."""
    return end_column.isnull() | (end_column == ibis.date(NO_DATE)) | (end_column >= day)


def _flag(condition: Any) -> Any:
    return condition.ifelse(1, 0)


def _integer(column: Any) -> Any:
    """An integer column as a 64-bit integer; a value that does not fit (an unsigned integer past
    2^63 − 1) becomes null, on both engines (refused beforehand by :func:`check_values`). A
    column whose type cannot overflow is cast plainly, which costs less on every row."""
    return column.try_cast("int64") if _cast_can_fail(column) else column.cast("int64")


def _year(column: Any) -> Any:
    """A year written as an integer or as a string of digits (``"1950"``, spaces around allowed);
    anything else (``"19x0"``, ``"1950.0"``, a 64-bit overflow) becomes null, the same on DuckDB
    and Spark, whose own casts of such strings differ."""
    if column.type().is_string():
        text = column.strip()
        return text.re_search(r"^[0-9]{1,9}$").ifelse(text.try_cast("int64"), ibis.null("int64"))
    return _integer(column)


def _keyed(table: Any) -> Any:
    return table.mutate(
        BEN_NIR_PSA=table.BEN_NIR_PSA.cast("string"),
        BEN_RNG_GEM=_integer(table.BEN_RNG_GEM),
    )


#: The integer columns each table's expressions cast (besides the rank, a key).
INTEGERS = {
    "ER_PRS_F": ("BEN_RNG_GEM", "PRS_NAT_REF", "DPN_QLF"),
    "IR_BEN_R": ("BEN_RNG_GEM",),
    "IR_IMB_R": ("BEN_RNG_GEM", "IMB_ETM_NAT"),
    "IR_MTT_R": ("BEN_RNG_GEM",),
}
#: A birth year before this one is refused: no beneficiary alive can have been born earlier.
FIRST_BIRTH_YEAR = 1850


def _number(count: int) -> str:
    """A count with the French thousands separator (a narrow no-break space)."""
    return f"{count:,}".replace(",", "\u202f")


def _plural(count: int, one: str, many: str) -> str:
    return f"{_number(count)} {one if count == 1 else many}"


def _example(value: Any) -> str:
    text = str(value)
    return f" (par exemple « {text[:40]}{'…' if len(text) > 40 else ''} »)"


def _cast_can_fail(column: Any) -> bool:
    """Whether casting ``column`` to a 64-bit integer can lose a value: not for a signed
    integer, nor an unsigned one of 32 bits or fewer (the usual types: then no scan is needed)."""
    kind = column.type()
    if kind.is_integer():
        return bool(kind.is_unsigned_integer() and kind.nbytes >= 8)
    return True


def _value_checks(
    name: str, table: Any, nulls: Mapping[str, int | None]
) -> tuple[Any | None, list[tuple[str, str, str]]]:
    """One aggregate row counting the values of table ``name`` that no expression can use, and
    what each count means: (metric, column, kind); None when no value needs a scan: the
    footers' statistics say that no key is empty (``nulls``) and every cast is safe."""
    metrics: dict[str, Any] = {}
    checks: list[tuple[str, str, str]] = []

    def add(column: str, kind: str, bad: Any, example: Any) -> None:
        metric = f"{name}__{column}__{kind}"
        metrics[metric] = _flag(bad).sum()
        metrics[f"{metric}__example"] = bad.ifelse(example, ibis.null("string")).min()
        checks.append((metric, column, kind))

    for column in KEY:
        known = nulls.get(column)
        if known:
            raise _value_error(name, column, "null", known, "vide")
        if known is None:
            source = table[column]
            add(column, "null", source.isnull(), ibis.literal("vide"))
    for column in INTEGERS[name]:
        source = table[column]
        if _cast_can_fail(source):
            bad = source.notnull() & _integer(source).isnull()
            add(column, "integer", bad, source.cast("string"))
    if name == "IR_BEN_R":
        source = table.BEN_NAI_ANN
        year = _year(source)
        add("BEN_NAI_ANN", "year", source.notnull() & year.isnull(), source.cast("string"))
        add("BEN_NAI_ANN", "old", year < FIRST_BIRTH_YEAR, source.cast("string"))
    return (table.aggregate(**metrics) if metrics else None), checks


def _value_error(name: str, column: str, kind: str, count: int, example: Any) -> ClaimsError:
    if kind == "null":
        rule = (
            f"{_plural(count, 'ligne sans valeur', 'lignes sans valeur')} : l'identifiant du "
            "patient (BEN_NIR_PSA, BEN_RNG_GEM) est obligatoire dans chaque ligne"
        )
    elif kind == "integer":
        rule = (
            f"{_plural(count, 'valeur', 'valeurs')} de {column} "
            f"{'n’est pas un entier' if count == 1 else 'ne sont pas des entiers'} "
            f"de 64 bits{_example(example)}"
        )
    elif kind == "year":
        rule = (
            f"{_plural(count, 'valeur', 'valeurs')} de {column} "
            f"{'n’est pas une année' if count == 1 else 'ne sont pas des années'}"
            f"{_example(example)}"
        )
    else:
        rule = (
            f"{_plural(count, 'année de naissance', 'années de naissance')} "
            f"avant {FIRST_BIRTH_YEAR}, invraisemblable{'s' if count > 1 else ''}"
            f"{_example(example)}"
        )
    return ClaimsError(name, column, rule=rule)


def check_values(backend: Any, tables: Mapping[str, Any], claims_dir: Path) -> None:
    """Refuse values that the Parquet footers cannot tell and that would be lost or merged:
    a patient key left empty (a null ``BEN_NIR_PSA`` or ``BEN_RNG_GEM``, in any table), an
    integer that does not fit in 64 bits, a ``BEN_NAI_ANN`` that is not a year or is before
    1850. What the Parquet footers tell (empty keys counted by the statistics, integer types
    that cannot overflow) is not scanned for; the rest is one query over the four tables. The
    first fault found is a :class:`ClaimsError` naming the table and the column, with the count
    of rows and an example."""
    aggregates: list[Any] = []
    checks: list[tuple[str, str, str, str]] = []
    for name, table in tables.items():
        aggregate, table_checks = _value_checks(name, table, null_counts(claims_dir, name, KEY))
        if aggregate is not None:
            aggregates.append(aggregate)
            checks.extend((name, *check) for check in table_checks)
    if not aggregates:
        return
    expression = aggregates[0]
    for aggregate in aggregates[1:]:
        expression = expression.cross_join(aggregate)
    row = _execute(backend, expression, tables)[0]
    for name, metric, column, kind in checks:
        count = int(row[metric] or 0)
        if count:
            raise _value_error(name, column, kind, count, row[f"{metric}__example"])


def _engine_errors() -> tuple[type[BaseException], ...]:
    """The errors an engine raises on data it cannot read (never a fault of our code)."""
    import duckdb
    import pyarrow as pa

    kinds: list[type[BaseException]] = [duckdb.Error, pa.ArrowException, OSError]
    try:
        from py4j.protocol import Py4JError  # type: ignore[import-untyped]
        from pyspark.errors import PySparkException
    except ImportError:  # pragma: no cover - pyspark is a dependency
        pass
    else:
        kinds += [PySparkException, Py4JError]
    return tuple(kinds)


def _execute(backend: Any, expression: Any, tables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``expression``; an engine that cannot read the data (a corrupted data page
    behind a sound footer, a file gone) is one :class:`ClaimsError`, never a traceback. When the
    engine's message names no file, each table is read again, alone, to name the one at fault
    (on this failure only: it costs a scan)."""
    try:
        return list(backend.to_pyarrow(expression).to_pylist())
    except _engine_errors() as error:
        failure = read_error(error)
    if failure.table is None:
        for name, table in tables.items():
            every_value = table.aggregate(
                **{f"n_{column}": _flag(table[column].notnull()).sum() for column in table.columns}
            )
            try:
                backend.to_pyarrow(every_value)
            except _engine_errors() as error:
                failure = read_error(error, name)
                break
    raise failure


def read_error(error: BaseException, table: str | None = None) -> ClaimsError:
    """« lecture impossible des données », naming the table (``table``, else the one whose
    folder the engine's message names)."""
    message = str(error).strip()
    table = table or next(
        (name for name in REQUIRED_TABLES if f"/{name}/" in message or f"{name}/" in message),
        None,
    )
    lines = message.splitlines() or [type(error).__name__]
    # Spark's Python error begins with « An error occurred while calling o71... »: the Java
    # exception's own message, on a later line, says what happened.
    java = next((line.split("Exception: ", 1)[1] for line in lines if "Exception: " in line), "")
    first = java.strip() or lines[0]
    if len(first) > 300:
        first = first[:300] + "…"
    return ClaimsError(table, rule=f"lecture impossible des données : {first}")


def _two_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - SCREENING_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - SCREENING_YEARS, day=28)


def _per_commune(
    tables: Mapping[str, Any],
    lookup: Any,
    start: dt.date,
    end: dt.date,
    codes: CodeLists,
) -> Any:
    """One row per rebuilt residence code (None: unknown) with every count the indicators need."""
    day = ibis.date(end)
    screening_after = _two_years_before(end)  # the window is (D − 2 years, D]
    first_day = min(start, screening_after)

    prs = _keyed(tables["ER_PRS_F"])
    prs = prs.select(
        *KEY,
        care_day=prs.EXE_SOI_DTD.cast("date"),
        nature=_integer(prs.PRS_NAT_REF),
        quantity=prs.PRS_ACT_QTE.cast("float64"),
        qualifier=_integer(prs.DPN_QLF),
    )
    # Only the rows that can count, read in two parts: the rows of the period, and before it the
    # screening rows of the window. Each part's date range lets the engine skip files and row
    # groups by their statistics (the period's part never decodes the year before it), and the
    # rest of the window stays out of the per-patient aggregation.
    counted = prs.qualifier.isnull() | ~_isin(prs.qualifier, codes.information_only)
    prs = prs.filter(prs.care_day >= ibis.date(start), prs.care_day <= day, counted).union(
        prs.filter(
            prs.care_day >= ibis.date(first_day),
            prs.care_day > ibis.date(screening_after),
            prs.care_day < ibis.date(start),
            _isin(prs.nature, codes.screening),
            counted,
        ),
        distinct=False,
    )
    in_period = prs.care_day >= ibis.date(start)
    care = prs.group_by(list(KEY)).aggregate(
        consumer=_flag(in_period).max(),
        flu=_flag(in_period & _isin(prs.nature, codes.flu)).max(),
        screened=_flag(
            (prs.care_day > ibis.date(screening_after)) & _isin(prs.nature, codes.screening)
        ).max(),
        regulated=(in_period & _isin(prs.nature, codes.regulated)).ifelse(prs.quantity, 0.0).sum(),
    )

    ben = _keyed(tables["IR_BEN_R"])
    ben = ben.select(
        *KEY,
        birth_year=_year(ben.BEN_NAI_ANN),
        death=ben.BEN_DCD_DTE.cast("date"),
        res_dpt=ben.BEN_RES_DPT.cast("string"),
        res_com=ben.BEN_RES_COM.cast("string"),
    )
    ben = ben.left_join(
        lookup, [ben.res_dpt == lookup.lookup_dpt, ben.res_com == lookup.lookup_com]
    )
    dead = ben.death.notnull() & (ben.death != ibis.date(NO_DATE)) & (ben.death < day)
    patients = ben.group_by(list(KEY)).aggregate(
        birth_year=ben.birth_year.min(),
        dead=_flag(dead).max(),
        code=ben.code.max(),
    )
    # A birth year after D's (a birth after D, in a later extract): not born on D.
    patients = patients.filter(
        patients.dead == 0, patients.birth_year.isnull() | (patients.birth_year <= end.year)
    )

    mtt = _keyed(tables["IR_MTT_R"])
    mtt = mtt.mutate(start_day=mtt.MTT_DEP_DTE.cast("date"), end_day=mtt.MTT_FIN_DTE.cast("date"))
    mtt = (
        mtt.filter(mtt.start_day <= day, _open_on(mtt.end_day, day))
        .select(*KEY)
        .distinct()
        .mutate(has_gp=ibis.literal(1))
    )

    imb = _keyed(tables["IR_IMB_R"])
    imb = imb.mutate(
        start_day=imb.IMB_ALD_DTD.cast("date"),
        end_day=imb.IMB_ALD_DTF.cast("date"),
        reason=_integer(imb.IMB_ETM_NAT),
    )
    ald = (
        imb.filter(_isin(imb.reason, codes.ald), imb.start_day <= day, _open_on(imb.end_day, day))
        .select(*KEY)
        .distinct()
        .mutate(has_ald=ibis.literal(1))
    )

    joined = (
        patients.left_join(care, list(KEY))
        .left_join(mtt, list(KEY))
        .left_join(ald, list(KEY))
        .select(
            "code",
            age=ibis.literal(end.year) - patients.birth_year,
            consumer=care.consumer.fill_null(0),
            flu=care.flu.fill_null(0),
            screened=care.screened.fill_null(0),
            regulated=care.regulated.fill_null(0.0),
            has_gp=mtt.has_gp.fill_null(0),
            has_ald=ald.has_ald.fill_null(0),
        )
    )
    consumer = joined.consumer == 1
    gp = joined.has_gp == 1
    adult = consumer & (joined.age >= ADULT_AGE)
    adult_ald = adult & (joined.has_ald == 1)
    elderly = consumer & (joined.age >= ELDERLY_AGE)
    flu_age = consumer & (joined.age >= FLU_AGE)
    low, high = SCREENING_AGES
    screening_age = consumer & joined.age.between(low, high)
    return joined.group_by("code").aggregate(
        population=joined.count(),
        consumers=_flag(consumer).sum(),
        adults=_flag(adult).sum(),
        adults_with_gp=_flag(adult & gp).sum(),
        adults_ald=_flag(adult_ald).sum(),
        adults_ald_without_gp=_flag(adult_ald & ~gp).sum(),
        elderly=_flag(elderly).sum(),
        elderly_without_gp=_flag(elderly & ~gp).sum(),
        flu_age=_flag(flu_age).sum(),
        flu_age_vaccinated=_flag(flu_age & (joined.flu == 1)).sum(),
        screening_age=_flag(screening_age).sum(),
        screening_age_screened=_flag(screening_age & (joined.screened == 1)).sum(),
        regulated=joined.regulated.sum(),
    )


COUNTS = (
    "population",
    "consumers",
    "adults",
    "adults_with_gp",
    "adults_ald",
    "adults_ald_without_gp",
    "elderly",
    "elderly_without_gp",
    "flu_age",
    "flu_age_vaccinated",
    "screening_age",
    "screening_age_screened",
    "regulated",
)


def _share(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, ROUND_HALF_UP)


def _whole(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), ROUND_HALF_UP))


def _results(totals: Mapping[str, int], day: dt.date) -> tuple[Result, ...]:
    fractions: dict[str, tuple[int, int | None]] = {
        "consumers": (totals["consumers"], None),
        "patients_16_with_gp": (totals["adults_with_gp"], totals["adults"]),
        "patients_16_without_gp": (totals["adults"] - totals["adults_with_gp"], totals["adults"]),
        "ald_patients_without_gp": (totals["adults_ald_without_gp"], totals["adults_ald"]),
        "patients_70_without_gp": (totals["elderly_without_gp"], totals["elderly"]),
        "flu_vaccination_65": (totals["flu_age_vaccinated"], totals["flu_age"]),
        "colorectal_screening_50_74": (
            totals["screening_age_screened"],
            totals["screening_age"],
        ),
        "regulated_care_acts": (totals["regulated"], None),
    }
    results = []
    for definition in definitions(day):
        numerator, denominator = fractions[definition.code]
        value = Decimal(numerator) if denominator is None else _share(numerator, denominator)
        results.append(Result(definition.code, definition.label, numerator, denominator, value))
    return tuple(results)


def check_period(start: dt.date, end: dt.date) -> None:
    """A period ends on or after its start (one day at least)."""
    if end < start:
        raise ClaimsError(
            rule=f"période vide : la fin ({end.isoformat()}) précède le début ({start.isoformat()})"
        )


def compute_many(
    claims_dir: Path,
    territories: Mapping[str, Collection[str]],
    known: Collection[str],
    start: dt.date,
    end: dt.date,
    *,
    engine: str = "duckdb",
    spark_master: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Computation]:
    """Every indicator for each territory (a set of INSEE codes, leaf units and parents both
    listed), in one pass over the claims: one :class:`Computation` per key of ``territories``.

    ``known`` is every commune and arrondissement code of France: a residence that cannot be
    rebuilt into one of them is unknown (``unknown_residence``).
    """
    say = progress or (lambda message: None)
    check_period(start, end)
    if engine not in engines.ENGINES:
        raise ClaimsError(
            rule=f"moteur inconnu « {engine} » (attendu : {', '.join(engines.ENGINES)})"
        )
    claims_dir = Path(claims_dir)
    say(f"Vérification des tables de {claims_dir}")
    check_claims(claims_dir)
    codes = code_lists(end)
    began = time.monotonic()
    say(f"Connexion au moteur {engine}")
    backend = engines.connect(engine, spark_master)
    try:
        tables = {
            name: engines.read_table(backend, engine, claims_dir, name) for name in REQUIRED_TABLES
        }
    except _engine_errors() as error:
        raise read_error(error) from None
    say("Vérification des valeurs (identifiants, entiers, années de naissance)")
    check_values(backend, tables, claims_dir)
    lookup = ibis.memtable(
        residence.cached_lookup_table(known).rename_columns(["lookup_dpt", "lookup_com", "code"])
    )
    say(f"Calcul du {start.isoformat()} au {end.isoformat()}")
    expression = _per_commune(tables, lookup, start, end, codes)
    rows = _execute(backend, expression, tables)
    communes = sum(1 for row in rows if row["code"] is not None)  # not the unknown residences
    say(f"Calcul terminé en {time.monotonic() - began:.1f} s ({communes} communes de résidence)")
    unknown = sum(int(row["population"]) for row in rows if row["code"] is None)
    results = {}
    for name, territory in territories.items():
        wanted = set(territory)
        totals = dict.fromkeys(COUNTS, 0)
        regulated = 0.0
        for row in rows:
            if row["code"] is not None and row["code"] in wanted:
                for key in COUNTS[:-1]:
                    totals[key] += int(row[key])
                regulated += float(row["regulated"] or 0.0)
        totals["regulated"] = _whole(regulated)
        results[name] = Computation(
            start=start,
            end=end,
            engine=engine,
            communes=len(wanted),
            population=totals["population"],
            unknown_residence=unknown,
            results=_results(totals, end),
        )
    return results


def compute(
    claims_dir: Path,
    territory: Collection[str],
    known: Collection[str],
    start: dt.date,
    end: dt.date,
    *,
    engine: str = "duckdb",
    spark_master: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Computation:
    """Every indicator for one territory over [``start``, ``end``] (see :func:`compute_many`)."""
    return compute_many(
        claims_dir,
        {"territory": territory},
        known,
        start,
        end,
        engine=engine,
        spark_master=spark_master,
        progress=progress,
    )["territory"]
