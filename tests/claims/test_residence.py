"""The residence rebuilt from BEN_RES_DPT and BEN_RES_COM, as the SNDS documentation describes."""

import pytest

from cpts.claims import residence

KNOWN = frozenset({"59350", "01001", "2A004", "2B033", "97411", "97608", "75056", "75101"})


@pytest.mark.parametrize(
    ("departement", "commune", "expected"),
    [
        ("059", "350", "59350"),  # Lille: last two characters of the département, then commune
        ("001", "001", "01001"),
        ("097", "411", "97411"),  # Saint-Denis (La Réunion), general scheme
        ("974", "411", "97411"),
        ("097", "608", "97608"),  # Mayotte
        ("209", "004", "2A004"),  # Ajaccio, written with its pre-1976 code 20004
        ("209", "033", "2B033"),  # Bastia
        ("02A", "004", "2A004"),
        ("075", "101", "75101"),  # Paris 1er arrondissement
        ("000", "000", None),
        ("099", "350", None),
        ("999", "999", None),
        ("059", "999", None),  # names no commune
        ("209", "999", None),
        ("59", "350", None),  # malformed
        (None, "350", None),
    ],
)
def test_decode(departement, commune, expected):
    assert residence.decode(departement, commune, KNOWN) == expected


def test_encode_then_lookup_round_trips():
    table = residence.lookup_table(KNOWN).to_pylist()
    for code in KNOWN:
        departement, commune = residence.encode(code)
        assert {"BEN_RES_DPT": departement, "BEN_RES_COM": commune, "code": code} in table
        assert residence.decode(departement, commune, KNOWN) == code
    # every row of the lookup table decodes to its own code
    for row in table:
        assert residence.decode(row["BEN_RES_DPT"], row["BEN_RES_COM"], KNOWN) == row["code"]


def test_encode_refuses_a_malformed_code():
    with pytest.raises(ValueError, match="invalide"):
        residence.encode("123")
