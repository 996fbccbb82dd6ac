"""Dated legal parameters, read from the YAML files under ``parameters/``.

The files follow OpenFisca's parameter format, so that ``openfisca-core`` reads them as they are
(a test proves it): one concept per file, ``values`` keyed by date of effect, and ``metadata``
holding the ``unit``, the ``reference`` (text, article, link) keyed by date of effect, the
``short_label`` (as in OpenFisca-France: the words an explanation uses for the node, e.g. « part
fixe »), and two keys of our own: ``confidence`` (seed, source, derived or assumption, keyed by
date) and ``note``.
A file may hold a node (e.g. one value per size class); a reference or a confidence given on a
node applies to each of its children that gives none.

We read the files ourselves, because OpenFisca reads numbers as floats and we need exact
:class:`~decimal.Decimal` euros: every YAML float is read as a Decimal here.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml

from .errors import ParameterError

PARAMETERS_DIR = Path(__file__).parent / "parameters"
COMMON_KEYS = frozenset({"description", "metadata", "unit", "reference", "documentation"})
CONFIDENCE_LEVELS = ("seed", "source", "derived", "assumption")

T = TypeVar("T")

Scalar = Decimal | int | bool | str | list[Any] | None


class _DecimalLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML loader that reads floats as exact Decimals."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


@dataclass(frozen=True, slots=True)
class Reference:
    """A legal or documentary source: the text, its article or annex, and a link where known."""

    title: str
    href: str | None = None

    def __str__(self) -> str:
        return self.title if self.href is None else f"{self.title} <{self.href}>"


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One value of a parameter as it applies at a date, with everything that explains it."""

    path: str
    value: Scalar
    effective_from: dt.date
    unit: str | None
    description: str
    references: tuple[Reference, ...]
    confidence: str
    note: str | None

    @property
    def reference_text(self) -> str:
        return " ; ".join(ref.title for ref in self.references)

    def decimal(self) -> Decimal:
        if type(self.value) is Decimal:  # the usual case, and a Decimal is immutable
            return self.value
        if isinstance(self.value, bool) or not isinstance(self.value, (int, Decimal)):
            raise ParameterError(f"{self.path} is not a number: {self.value!r}")
        return Decimal(self.value)

    def integer(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise ParameterError(f"{self.path} is not an integer: {self.value!r}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise ParameterError(f"{self.path} is not a boolean: {self.value!r}")
        return self.value

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise ParameterError(f"{self.path} is not a text: {self.value!r}")
        return self.value


@dataclass(frozen=True, slots=True)
class Parameter:
    """A leaf of the tree: one legal figure and its history."""

    path: str
    description: str
    unit: str | None
    dates: tuple[dt.date, ...]
    values: tuple[Scalar, ...]
    references: Mapping[dt.date, tuple[Reference, ...]]
    confidence: Mapping[dt.date, str]
    note: str | None
    file: Path

    def at(self, day: dt.date) -> ParameterValue | None:
        """The value in force on ``day``; None before the first date or after a null value."""
        index = bisect.bisect_right(self.dates, day) - 1
        if index < 0 or self.values[index] is None:
            return None
        start = self.dates[index]
        return ParameterValue(
            path=self.path,
            value=self.values[index],
            effective_from=start,
            unit=self.unit,
            description=self.description,
            references=_latest(self.references, start) or (),
            confidence=_latest(self.confidence, start) or "assumption",
            note=self.note,
        )

    def at_first(self) -> ParameterValue:
        """The first value of the parameter, at its first date of effect."""
        value = self.at(self.dates[0])
        if value is None:
            raise ParameterError(f"{self.path} starts with a null value")
        return value

    def history(self) -> Iterator[ParameterValue | tuple[dt.date, None]]:
        """Each value with its date of effect, in order; a null value marks an end."""
        for day in self.dates:
            value = self.at(day)
            yield value if value is not None else (day, None)


def _latest(mapping: Mapping[dt.date, T], day: dt.date) -> T | None:
    keys = [key for key in mapping if key <= day]
    return mapping[max(keys)] if keys else None


class ParameterTree:
    """Every parameter of the agreement, by dotted path (``functioning.base.size_1``)."""

    def __init__(
        self,
        parameters: Mapping[str, Parameter],
        descriptions: Mapping[str, str],
        labels: Mapping[str, str] | None = None,
    ):
        self._parameters = dict(parameters)
        self.descriptions = dict(descriptions)
        #: ``metadata.short_label`` of nodes and parameters, by path.
        self.labels = dict(labels or {})
        self._cache: dict[tuple[str, dt.date], ParameterValue | None] = {}
        self._texts: dict[tuple[str, str], str] = {}

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __contains__(self, path: object) -> bool:
        return path in self._parameters

    def parameter(self, path: str) -> Parameter:
        try:
            return self._parameters[path]
        except KeyError:
            raise ParameterError(f"unknown parameter {path!r}") from None

    def maybe_at(self, path: str, day: dt.date) -> ParameterValue | None:
        """The value of ``path`` on ``day``, or None if the parameter has none then."""
        key = (path, day)
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = self.parameter(path).at(day)
            return value

    def at(self, path: str, day: dt.date) -> ParameterValue:
        """The value of ``path`` on ``day``; an error if there is none."""
        value = self.maybe_at(path, day)
        if value is None:
            raise ParameterError(f"parameter {path!r} has no value on {day.isoformat()}")
        return value

    def label(self, path: str) -> str:
        """The short label of ``path`` or of its nearest node that has one (the words an
        explanation uses: « part fixe », « Majoration »)."""
        try:
            return self._texts[("label", path)]
        except KeyError:
            pass
        node = path
        while node:
            label = self.labels.get(node)
            if label is not None:
                self._texts[("label", path)] = label
                return label
            node = node.rpartition(".")[0]
        raise ParameterError(f"no short_label for {path!r} nor its nodes (metadata.short_label)")

    def description(self, path: str) -> str:
        """The description of a parameter or of a node, on one line."""
        try:
            return self._texts[("description", path)]
        except KeyError:
            pass
        if path in self._parameters:
            text = self._parameters[path].description
        elif path in self.descriptions:
            text = self.descriptions[path]
        else:
            raise ParameterError(f"no description for {path!r}")
        self._texts[("description", path)] = " ".join(text.split())
        return self._texts[("description", path)]

    def title(self, path: str) -> str:
        """The French name of a parameter for a reader (an official document shows it instead
        of ``path``): its description, after the description of the node of its file when the
        parameter is one value of that node (« Financement annuel du fonctionnement, par
        taille : taille 4 »)."""
        try:
            return self._texts[("title", path)]
        except KeyError:
            pass
        text = self.description(path)
        parameter = self._parameters.get(path)
        if parameter is not None:
            file = parameter.file.with_suffix("").as_posix()
            node = path.rpartition(".")[0]
            while node and not file.endswith("/" + node.replace(".", "/")):
                node = node.rpartition(".")[0]
            if node and node in self.descriptions:
                text = f"{self.description(node)} : {text[:1].lower()}{text[1:]}"
        self._texts[("title", path)] = text
        return text

    def children(self, prefix: str) -> list[str]:
        """Names of the direct children of a node (``missions`` -> ``access``, ``pathways``...)."""
        start = prefix + "."
        names: dict[str, None] = {}
        for path in self._parameters:
            if path.startswith(start):
                names[path[len(start) :].split(".", 1)[0]] = None
        return list(names)


def _as_references(raw: Any, where: str) -> dict[dt.date, tuple[Reference, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: 'reference' must be keyed by date of effect")
    result: dict[dt.date, tuple[Reference, ...]] = {}
    for day, entries in raw.items():
        if not isinstance(day, dt.date):
            raise ParameterError(f"{where}: reference key {day!r} is not a date")
        items = entries if isinstance(entries, list) else [entries]
        refs = []
        for item in items:
            if not isinstance(item, dict) or "title" not in item:
                raise ParameterError(f"{where}: a reference needs a 'title'")
            refs.append(Reference(title=str(item["title"]), href=item.get("href")))
        result[day] = tuple(refs)
    return result


def _as_confidence(raw: Any, where: str) -> dict[dt.date, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: 'confidence' must be keyed by date of effect")
    for day, level in raw.items():
        if not isinstance(day, dt.date) or level not in CONFIDENCE_LEVELS:
            raise ParameterError(
                f"{where}: confidence {day!r}: {level!r} not in {CONFIDENCE_LEVELS}"
            )
    return cast(dict[dt.date, str], dict(raw))


@dataclass(frozen=True)
class _Inherited:
    references: dict[dt.date, tuple[Reference, ...]]
    confidence: dict[dt.date, str]
    unit: str | None
    note: str | None = None


def _walk(
    data: dict[str, Any],
    path: str,
    inherited: _Inherited,
    file: Path,
    out: dict[str, Parameter],
    descriptions: dict[str, str],
    labels: dict[str, str],
) -> None:
    metadata = data.get("metadata") or {}
    if "short_label" in metadata:
        labels[path] = str(metadata["short_label"])
    here = _Inherited(
        references=_as_references(metadata.get("reference"), path) or inherited.references,
        confidence=_as_confidence(metadata.get("confidence"), path) or inherited.confidence,
        unit=metadata.get("unit", inherited.unit),
        note=metadata.get("note", inherited.note),
    )
    if "values" in data:
        raw_values = data["values"]
        if not isinstance(raw_values, dict) or not raw_values:
            raise ParameterError(f"{path}: 'values' must map dates of effect to values")
        items = []
        for day, entry in raw_values.items():
            if not isinstance(day, dt.date):
                raise ParameterError(f"{path}: {day!r} is not a date of effect (YYYY-MM-DD)")
            value = entry.get("value") if isinstance(entry, dict) else entry
            if isinstance(value, float):  # pragma: no cover - the loader makes Decimals
                raise ParameterError(f"{path}: float value {value!r}")
            items.append((day, value))
        items.sort(key=lambda item: item[0])
        if not here.references:
            raise ParameterError(f"{path}: no legal reference (metadata.reference)")
        out[path] = Parameter(
            path=path,
            description=str(data.get("description", "")),
            unit=here.unit,
            dates=tuple(day for day, _ in items),
            values=tuple(value for _, value in items),
            references=here.references,
            confidence=here.confidence,
            note=here.note,
            file=file,
        )
        return
    if "description" in data:
        descriptions[path] = str(data["description"])
    for key, child in data.items():
        if key in COMMON_KEYS:
            continue
        if not isinstance(child, dict):
            raise ParameterError(f"{path}.{key}: expected a parameter or a node")
        _walk(child, f"{path}.{key}", here, file, out, descriptions, labels)


def load_tree(directory: Path = PARAMETERS_DIR) -> ParameterTree:
    """Read every parameter file under ``directory``."""
    out: dict[str, Parameter] = {}
    descriptions: dict[str, str] = {}
    labels: dict[str, str] = {}
    empty = _Inherited(references={}, confidence={}, unit=None)

    def load_dir(folder: Path, prefix: str, inherited: _Inherited) -> None:
        index = folder / "index.yaml"
        if index.exists():
            data = _read(index)
            metadata = data.get("metadata") or {}
            inherited = _Inherited(
                references=_as_references(metadata.get("reference"), prefix)
                or inherited.references,
                confidence=_as_confidence(metadata.get("confidence"), prefix)
                or inherited.confidence,
                unit=metadata.get("unit", inherited.unit),
                note=metadata.get("note", inherited.note),
            )
            if prefix and "description" in data:
                descriptions[prefix] = str(data["description"])
            if prefix and "short_label" in metadata:
                labels[prefix] = str(metadata["short_label"])
        for entry in sorted(folder.iterdir()):
            name = entry.stem
            path = f"{prefix}.{name}" if prefix else name
            if entry.is_dir():
                load_dir(entry, path, inherited)
            elif entry.suffix == ".yaml" and name != "index":
                _walk(_read(entry), path, inherited, entry, out, descriptions, labels)

    load_dir(directory, "", empty)
    return ParameterTree(out, descriptions, labels)


def _read(file: Path) -> dict[str, Any]:
    with file.open(encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=_DecimalLoader)
    if not isinstance(data, dict):
        raise ParameterError(f"{file}: expected a mapping")
    return cast(dict[str, Any], data)


@cache
def default_tree() -> ParameterTree:
    """The parameters shipped with the package (read once per process)."""
    return load_tree()
