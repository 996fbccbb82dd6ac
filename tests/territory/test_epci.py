"""Intercommunalities (EPCI à fiscalité propre and EPT) with their real member communes."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from cpts.territory.models import Commune, Epci
from cpts.territory.reference import DATA_DIR, load_epcis

pytestmark = pytest.mark.django_db


def members(code: str) -> set[str]:
    return set(Epci.objects.get(code=code).communes.values_list("code", flat=True))


def test_real_intercommunalities_have_their_real_communes(geography: None) -> None:
    lille = Epci.objects.get(code="200093201")
    assert (lille.name, lille.nature) == ("Métropole Européenne de Lille", Epci.Nature.METRO)
    assert {"59350", "59512", "59599", "59009"} <= members("200093201")  # Lille, Roubaix...
    assert len(members("200093201")) == 95
    douai = Epci.objects.get(code="200044618")
    assert (douai.name, douai.nature) == ("CA Douaisis Agglo", Epci.Nature.CA)
    assert "59178" in members("200044618")  # Douai
    assert "59350" not in members("200044618")
    assert Epci.objects.get(code="243100518").name == "Toulouse Métropole"
    assert "31555" in members("243100518")  # Toulouse
    # The Métropole de Lyon holds the city (whose arrondissements are its leaf units).
    assert "69123" in members("200046977")
    # An EPT of the Grand Paris: Plaine Commune (Saint-Denis), also in the Métropole du Grand Paris.
    assert Epci.objects.get(code="200057867").nature == Epci.Nature.EPT
    assert "93066" in members("200057867") & members("200054781")
    # A commune belongs to one EPCI à fiscalité propre at most (four islands to none).
    communes = Commune.objects.filter(kind="commune")
    outside = communes.exclude(epcis__nature__in=["CC", "CA", "CU", "METRO", "MET69"])
    assert sorted(outside.values_list("code", flat=True)) == ["22016", "29083", "29155", "85113"]


def test_the_shipped_extract_and_loading_it_again(geography: None) -> None:
    data = gzip.decompress((DATA_DIR / "epci.csv.gz").read_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == Epci.objects.count() == 1266
    assert list(rows[0]) == ["code", "name", "nature", "communes"]
    links = Epci.communes.through.objects.count()
    assert load_epcis() == 1266
    assert (
        Epci.communes.through.objects.count()
        == links
        == sum(len(row["communes"].split()) for row in rows)
    )
