"""National identifiers of members: RPPS (health professionals) and FINESS (structures).

Pure Python (no Django), so that the rules can be tested and reused anywhere.

* RPPS: 11 digits, the last one a Luhn check digit computed over the first ten (so the Luhn
  check holds over all 11 digits).
* FINESS: 9 characters: the département (2 digits, or ``2A``/``2B`` for Corsica), 6 digits, then
  a Luhn check digit computed over the first 8 characters. Real numbers used in the tests come
  from the ANS's public FINESS repository (github.com/ansforge/finess, sample file
  ``flux/out/data.gouv/structure/exemple-finess-structures-journalier-20260309.json``: EJ
  010000016, EJ 010000156, ET 010780195) and from the FINESS registry (AP-HP 750712184,
  CHU de Lille 590780193).

Corsica: the published FINESS specifications (JSON schema of the data.gouv.fr flow,
``^[A-Za-z0-9]{9}$``; the PHARMA-SI study, which keeps ``2A``/``2B`` as the département code)
describe no check-digit rule for ``2A``/``2B``, and we found no public source nor any real
Corsican number that would let us verify one (``2A``/``2B`` -> ``20``, or the NIR's ``19``/``18``).
Rejecting a real number would block a whole import, so for Corsica we check the format only
(``2A``/``2B`` + 7 digits) and skip the key. See :data:`CORSICA_KEY_CHECKED`.
"""

from __future__ import annotations

import re

#: Whether the Luhn key of Corsican FINESS numbers is checked (no verified rule: see above).
CORSICA_KEY_CHECKED = False

_RPPS = re.compile(r"\d{11}")
_FINESS = re.compile(r"(\d{2}|2[AB])\d{7}")


def luhn_is_valid(digits: str) -> bool:
    """Does ``digits`` (digits only, check digit last) pass the Luhn check?"""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit to append to ``body`` (digits only)."""
    for digit in "0123456789":
        if luhn_is_valid(body + digit):
            return digit
    raise ValueError(f"not digits: {body!r}")


def normalize(value: object) -> str:
    """The identifier as typed, without spaces, dots or dashes, in capitals."""
    return re.sub(r"[\s.\-]", "", str(value or "")).upper()


def rpps_error(value: object) -> str | None:
    """A French message if ``value`` is not a valid RPPS number, else ``None``."""
    number = normalize(value)
    if not number:
        return "Le numéro RPPS est obligatoire pour un professionnel."
    if not _RPPS.fullmatch(number):
        return f"Le numéro RPPS « {number} » doit comporter 11 chiffres."
    if not luhn_is_valid(number):
        return f"Le numéro RPPS « {number} » est invalide (clé de contrôle erronée)."
    return None


def finess_error(value: object) -> str | None:
    """A French message if ``value`` is not a valid FINESS number, else ``None``."""
    number = normalize(value)
    if not number:
        return "Le numéro FINESS est obligatoire pour une structure."
    if not _FINESS.fullmatch(number):
        return (
            f"Le numéro FINESS « {number} » doit comporter 9 caractères : le département "
            "(2 chiffres, ou 2A / 2B pour la Corse) puis 7 chiffres."
        )
    if number[1] in "AB" and not CORSICA_KEY_CHECKED:
        return None
    digits = "20" + number[2:] if number[1] in "AB" else number
    if not luhn_is_valid(digits):
        return f"Le numéro FINESS « {number} » est invalide (clé de contrôle erronée)."
    return None
