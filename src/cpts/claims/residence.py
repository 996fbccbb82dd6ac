"""The residence of a beneficiary, as the SNDS writes it and as an INSEE code.

``IR_BEN_R`` keeps the residence in two 3-character columns, ``BEN_RES_DPT`` and ``BEN_RES_COM``.
The INSEE code is rebuilt from them (SNDS documentation, fiche « Localisation géographique des
bénéficiaires »):

- in general, the last two characters of the département then the commune: ``059`` + ``350`` is
  ``59350``;
- overseas, general scheme: ``097`` + ``411`` is ``97411`` (and ``974`` + ``411`` too, as some
  schemes write it);
- Corsica comes as ``209`` + commune, a pre-1976 code ``20xxx``: the commune number is unique across
  Corsica, so it is the one of ``2Axxx`` or ``2Bxxx`` that exists;
  (recent extracts may write ``02A`` + ``004``, read as the general rule says);
- ``000``, ``099`` and ``999`` mean unknown, and so does any pair that names no commune.

A city with municipal arrondissements (Paris, Lyon, Marseille) has its residents coded by
arrondissement (``075`` + ``101``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pyarrow as pa

UNKNOWN_DEPARTEMENTS = frozenset({"000", "099", "999"})
OVERSEAS_PREFIX = "97"


def encode(code: str) -> tuple[str, str]:
    """The (``BEN_RES_DPT``, ``BEN_RES_COM``) pair the SNDS writes for an INSEE code."""
    if len(code) != 5:
        raise ValueError(f"code INSEE invalide : {code!r}")
    if code.startswith(OVERSEAS_PREFIX):
        return "097", code[2:]
    if code[:2] in ("2A", "2B"):
        return "209", code[2:]
    return "0" + code[:2], code[2:]


def candidates(code: str) -> list[tuple[str, str]]:
    """Every pair that the SNDS may write for an INSEE code (the lookup table's rows)."""
    pairs = [encode(code)]
    if code.startswith(OVERSEAS_PREFIX):
        pairs.append((code[:3], code[2:]))  # 974 + 411
    if code[:2] in ("2A", "2B"):
        pairs.append(("0" + code[:2], code[2:]))  # 02A + 004, as recent extracts write it
    return pairs


def decode(departement: str | None, commune: str | None, known: frozenset[str]) -> str | None:
    """The INSEE code of a residence, or None when it cannot be rebuilt into a known commune."""
    if not departement or not commune or departement in UNKNOWN_DEPARTEMENTS:
        return None
    if len(departement) != 3 or len(commune) != 3:
        return None
    if departement == "209":
        for prefix in ("2A", "2B"):
            if prefix + commune in known:
                return prefix + commune
        return None
    if departement == "097" or departement.startswith(OVERSEAS_PREFIX):
        code = OVERSEAS_PREFIX + commune
    else:
        code = departement[1:] + commune
    return code if code in known else None


@functools.lru_cache(maxsize=4)
def _lookup_table(known: frozenset[str]) -> pa.Table:
    return lookup_table(known)


def cached_lookup_table(known: Iterable[str]) -> pa.Table:
    """:func:`lookup_table`, kept for the last few sets of known codes (a server computes on the
    same reference geography again and again; an Arrow table is immutable)."""
    return _lookup_table(frozenset(known))


def lookup_table(known: Iterable[str]) -> pa.Table:
    """(``BEN_RES_DPT``, ``BEN_RES_COM``) -> ``code`` for every known commune, to join in an engine.

    A pair that is not in this table is an unknown residence.
    """
    departements: list[str] = []
    communes: list[str] = []
    codes: list[str] = []
    for code in sorted(set(known)):
        for departement, commune in candidates(code):
            departements.append(departement)
            communes.append(commune)
            codes.append(code)
    return pa.table(
        {
            "BEN_RES_DPT": pa.array(departements, pa.string()),
            "BEN_RES_COM": pa.array(communes, pa.string()),
            "code": pa.array(codes, pa.string()),
        }
    )
