"""RPPS and FINESS numbers (pure functions, no database)."""

from __future__ import annotations

import pytest

from cpts.communities.identifiers import finess_error, luhn_is_valid, rpps_error

# Real FINESS numbers: the ANS's public sample (github.com/ansforge/finess,
# flux/out/data.gouv/structure/exemple-finess-structures-journalier-20260309.json) and two
# well-known hospitals (AP-HP, CHU de Lille) as listed in the FINESS registry.
REAL_FINESS = ["010000016", "010000156", "010780195", "750712184", "590780193"]
# RPPS: "01234567897" is the RPPS used in public interoperability tests ("8" + RPPS); the FR Core
# FHIR guide's example practitioner has RPPS 10101201234, which is fictitious and fails the key:
# 10101201233 is the same number with its correct Luhn key.
VALID_RPPS = ["01234567897", "10101201233", "10003456786"]


def test_luhn() -> None:
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")
    assert not luhn_is_valid("")
    assert not luhn_is_valid("12a4")


@pytest.mark.parametrize("number", VALID_RPPS)
def test_valid_rpps(number: str) -> None:
    assert rpps_error(number) is None
    assert rpps_error(f" {number[:5]} {number[5:]} ") is None  # spaces tolerated


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("10101201234", "clé de contrôle erronée"),
        ("01234567898", "clé de contrôle erronée"),
        ("1234567897", "11 chiffres"),
        ("1010120123A", "11 chiffres"),
        ("", "obligatoire"),
    ],
)
def test_invalid_rpps(number: str, message: str) -> None:
    error = rpps_error(number)
    assert error is not None
    assert message in error


@pytest.mark.parametrize("number", REAL_FINESS)
def test_real_finess_numbers_are_valid(number: str) -> None:
    assert finess_error(number) is None


@pytest.mark.parametrize("number", ["010000017", "750712185", "590780190"])
def test_a_wrong_finess_key_is_refused(number: str) -> None:
    error = finess_error(number)
    assert error is not None
    assert "clé de contrôle erronée" in error


@pytest.mark.parametrize("number", ["2A0000014", "2b0000020", "2B 000 002 0"])
def test_corsican_finess_numbers_are_checked_on_their_format(number: str) -> None:
    # No verified check-digit rule for 2A/2B (see cpts.communities.identifiers): format only.
    assert finess_error(number) is None


@pytest.mark.parametrize(
    "number", ["2C0000014", "2A000001", "2A00000145", "A20000014", "20A000014"]
)
def test_malformed_finess_numbers_are_refused(number: str) -> None:
    error = finess_error(number)
    assert error is not None
    assert "9 caractères" in error


def test_missing_finess() -> None:
    assert finess_error("") == "Le numéro FINESS est obligatoire pour une structure."


def test_the_check_digit_makes_a_valid_number() -> None:
    from cpts.communities.identifiers import luhn_check_digit

    assert luhn_check_digit("75071218") == "4"  # AP-HP, FINESS 750712184
    assert luhn_check_digit("1010120123") == "3"
    with pytest.raises(ValueError, match="not digits"):
        luhn_check_digit("2A")
