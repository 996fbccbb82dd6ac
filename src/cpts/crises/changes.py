"""What changed from one version of a crisis plan to the next: per axis, a word-level diff; the
typologies added and removed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from .models import CrisisPlan, Typology

#: Words and the spaces between them: a diff of words keeps the text's own spacing and lines.
_TOKENS = re.compile(r"\s+|\S+")


def normalise(text: str) -> str:
    """The text as compared and stored: Unix line ends, no blank around (browsers send \\r\\n)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


#: Above this many words and spaces on a side, difflib (quadratic, worse on repetitive text: 2,000
#: words took 37 s) would hang every reader of the plans: the texts are compared by lines, and
#: above this many lines as a whole.
MAX_DIFF_TOKENS = 1000


def _pieces(old: str, new: str) -> tuple[list[str], list[str]]:
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    if max(len(before), len(after)) <= MAX_DIFF_TOKENS:
        return before, after
    before, after = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if max(len(before), len(after)) <= MAX_DIFF_TOKENS:
        return before, after
    return [old] if old else [], [new] if new else []


def word_diff(old: str, new: str) -> SafeString:
    """``new`` marked against ``old``: removed words in ``<del>``, added words in ``<ins>``; every
    piece of user text escaped. Each mark starts with words only a screen reader says. Long
    texts are compared by lines (:data:`MAX_DIFF_TOKENS`)."""
    before, after = _pieces(old, new)
    parts: list[SafeString] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(
                format_html(
                    '<del><span class="fr-sr-only">supprimé : </span>{}</del>',
                    "".join(before[i1:i2]),
                )
            )
        if j2 > j1:
            parts.append(
                format_html(
                    '<ins><span class="fr-sr-only">ajouté : </span>{}</ins>',
                    "".join(after[j1:j2]),
                )
            )
    return format_html_join("", "{}", ((part,) for part in parts))


def typology_labels(codes: list[str] | set[str]) -> list[str]:
    """Labels of the typologies, in the national template's order."""
    return [label for code, label in Typology.choices if code in codes]


@dataclass(frozen=True)
class AxisChange:
    number: int  # 1..5, the national template's order
    label: str
    text: str
    changed: bool
    diff: SafeString  # the previous version's text marked against this one's


@dataclass(frozen=True)
class PlanChanges:
    """A version of the plan beside the previous one (None: the first version)."""

    plan: CrisisPlan
    previous: CrisisPlan | None
    axes: tuple[AxisChange, ...]
    typologies_added: tuple[str, ...]
    typologies_removed: tuple[str, ...]

    @property
    def changed_axes(self) -> list[int]:
        return [axis.number for axis in self.axes if axis.changed]

    @property
    def summary(self) -> str:
        """One line: what this version changed."""
        if self.previous is None:
            return "Première version du plan."
        parts = []
        numbers = self.changed_axes
        if numbers:
            which = ", ".join(str(number) for number in numbers)
            parts.append(
                f"axe{'s' if len(numbers) > 1 else ''} modifié{'s' if len(numbers) > 1 else ''} : {which}"
            )
        if self.typologies_added:
            parts.append(f"typologie(s) ajoutée(s) : {', '.join(self.typologies_added)}")
        if self.typologies_removed:
            parts.append(f"typologie(s) retirée(s) : {', '.join(self.typologies_removed)}")
        if not parts:
            return "Aucun changement par rapport à la version précédente."
        text = " ; ".join(parts)
        return f"{text[0].upper()}{text[1:]}."


def compare(plan: CrisisPlan, previous: CrisisPlan | None) -> PlanChanges:
    """``plan`` against ``previous`` (None: every axis is new)."""
    axes = []
    for number, ((label, text), name) in enumerate(zip(plan.axes(), plan.AXES, strict=True), 1):
        old = normalise(getattr(previous, name)) if previous is not None else ""
        new = normalise(text)
        changed = previous is not None and old != new
        axes.append(AxisChange(number, label, text, changed, word_diff(old, new)))
    before = set(previous.typologies) if previous is not None else set()
    after = set(plan.typologies)
    return PlanChanges(
        plan=plan,
        previous=previous,
        axes=tuple(axes),
        typologies_added=tuple(typology_labels(after - before)) if previous is not None else (),
        typologies_removed=tuple(typology_labels(before - after)),
    )
