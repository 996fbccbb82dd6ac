"""The monthly coverage series (numpy) against the per-day reference, on the real geography."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from cpts.communities import perimeters
from cpts.territory import communes
from cpts.territory.models import CommunePopulation, Perimeter, PerimeterItem, PopulationVintage
from tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def version(community: object, codes: list[str], start: str, end: str | None = None) -> None:
    perimeter = Perimeter.objects.create(
        community=community,
        valid_from=dt.date.fromisoformat(start),
        valid_to=dt.date.fromisoformat(end) if end else None,
    )
    PerimeterItem.objects.bulk_create(
        PerimeterItem(perimeter=perimeter, commune_id=code) for code in codes
    )


@pytest.fixture
def versions(geography: None) -> Iterator[None]:
    """Paris whole, then Paris and its 18th arrondissement again (no overlap with itself); the
    18th claimed by a second community from mid-March (an overlap from the April point on);
    Ajaccio and Bastia covered from February to May only."""
    perimeters._INDEX.clear()
    perimeters._ARRAYS.clear()
    paris, nord, corse = CommunityFactory.create_batch(3)
    version(paris, ["75056"], "2024-01-01", "2024-06-01")
    version(paris, ["75056", "75118"], "2024-06-01")
    version(nord, ["75118"], "2024-03-15")
    version(corse, ["2A004", "2B033"], "2024-02-01", "2024-05-01")
    yield
    perimeters._INDEX.clear()
    perimeters._ARRAYS.clear()


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    while start <= end:
        days.append(start)
        start = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return days


@pytest.mark.parametrize(
    "scope",
    [{}, {"region": "94"}, {"departement": "75"}, {"region": "11"}, {"departement": "59"}],
)
def test_the_series_is_the_per_day_reference_month_by_month(
    versions: None, scope: dict[str, str]
) -> None:
    start, end = dt.date(2023, 11, 1), dt.date(2024, 8, 1)
    series = perimeters.coverage_series(start, end, **scope)
    expected = [perimeters._coverage_reference(day, **scope) for day in months(start, end)]
    assert [point["date"] for point in series] == [
        f"{year}-{month:02d}-01" for year, month in [(2023, 11), (2023, 12)]
    ] + [f"2024-{month:02d}-01" for month in range(1, 9)]
    assert series == expected
    for day in months(start, end):  # one point takes the same path
        assert perimeters.coverage(day, **scope) == perimeters._coverage_reference(day, **scope)


def test_the_figures_by_hand(versions: None) -> None:
    paris = communes.population_of(["75056"], dt.date(2024, 1, 1))
    corse = communes.population_of(["2A004", "2B033"], dt.date(2024, 1, 1))
    assert paris == 2_103_778
    series = perimeters.coverage_series(dt.date(2023, 12, 15), dt.date(2024, 6, 30))
    assert [p["date"][:7] for p in series] == [f"2024-{m:02d}" for m in range(1, 7)]
    figures = [
        (p["communities"], p["covered_population"], p["overlaps"], p["uncovered_communes"])
        for p in series
    ]
    assert figures == [
        (1, paris, 0, 34_874),  # January: Paris whole
        (2, paris + corse, 0, 34_872),  # February: Ajaccio and Bastia too
        (2, paris + corse, 0, 34_872),  # 1 March: the 18th not yet claimed twice
        (3, paris + corse, 1, 34_872),  # April: the 18th claimed twice
        (2, paris, 1, 34_874),  # May: Corse ended on 1 May (excluded)
        (2, paris, 1, 34_874),  # June: Paris lists its 18th once more, still one claim
    ]
    assert {p["communes"] for p in series} == {34_875}
    paris_only = perimeters.coverage_series(
        dt.date(2024, 4, 1), dt.date(2024, 4, 1), departement="75"
    )
    assert paris_only == [
        {
            "date": "2024-04-01",
            "region": None,
            "departement": "75",
            "population_vintage": series[0]["population_vintage"],
            "communes": 1,
            "population": paris,
            "communities": 2,
            "covered_population": paris,
            "covered_share": 1.0,
            "uncovered_communes": 0,
            "overlaps": 1,
        }
    ]


def test_an_empty_period_and_no_perimeter(versions: None) -> None:
    assert perimeters.coverage_series(dt.date(2024, 3, 1), dt.date(2024, 2, 1)) == []
    before = perimeters.coverage_series(dt.date(2023, 1, 1), dt.date(2023, 3, 1), region="94")
    assert [(p["communities"], p["covered_population"], p["communes"]) for p in before] == [
        (0, 0, 360)
    ] * 3
    assert before == [
        perimeters._coverage_reference(dt.date(2023, m, 1), region="94") for m in (1, 2, 3)
    ]


def test_a_new_vintage_between_two_points_switches_the_populations(versions: None) -> None:
    vintage = PopulationVintage.objects.create(
        year=2031, in_force_from=dt.date(2034, 1, 1), source="test"
    )
    CommunePopulation.objects.create(vintage=vintage, commune_id="75118", population=1_000)
    CommunePopulation.objects.create(vintage=vintage, commune_id="75101", population=300)
    series = perimeters.coverage_series(dt.date(2033, 12, 1), dt.date(2034, 1, 1), departement="75")
    assert [p["population_vintage"] for p in series][1] == 2031
    assert series[0]["population"] == 2_103_778
    assert (series[1]["population"], series[1]["covered_population"]) == (1_300, 1_300)
    assert series == [
        perimeters._coverage_reference(day, departement="75")
        for day in (dt.date(2033, 12, 1), dt.date(2034, 1, 1))
    ]


@pytest.mark.parametrize("region", [None, "11", "94", "32"])
@pytest.mark.parametrize("day", ["2023-12-31", "2024-02-01", "2024-04-01", "2024-06-15"])
def test_coverage_by_departement_is_the_per_leaf_reference(
    versions: None, region: str | None, day: str
) -> None:
    """The array path gives the very rows of the former leaf-by-leaf code (shares included)."""
    on = dt.date.fromisoformat(day)
    rows = perimeters.coverage_by_departement(on, region=region)
    assert rows == perimeters._coverage_by_departement_reference(on, region=region)
    assert rows  # every département of the scope has a row, covered or not


def test_coverage_by_departement_figures_by_hand(versions: None) -> None:
    """In April 2024 Paris is covered whole, its 18th arrondissement twice; Corsica's two
    départements each have one covered commune."""
    rows = {
        row["departement"]: row for row in perimeters.coverage_by_departement(dt.date(2024, 4, 1))
    }
    paris = rows["75"]
    assert paris["communes"] == 1
    assert paris["covered_population"] == paris["population"] > 2_000_000
    assert paris["covered_share"] == 1.0
    assert paris["overlaps"] == 1
    assert rows["2A"]["overlaps"] == 0
    assert 0 < rows["2A"]["covered_population"] < rows["2A"]["population"]
    assert rows["59"]["covered_population"] == 0


@pytest.mark.parametrize(
    ("on", "region"),
    [("2024-02-15", None), ("2024-04-01", None), ("2024-04-01", "11"), ("2024-03-01", "94")],
)
def test_overlaps_and_white_zones_are_the_per_leaf_reference(
    versions: None, on: str, region: str | None
) -> None:
    day = dt.date.fromisoformat(on)
    overlaps = perimeters.overlapping_units(day, region=region)
    assert overlaps == perimeters._overlapping_units_reference(day, region=region)
    white = perimeters.uncovered_communes(day, region=region)
    assert white == perimeters._uncovered_communes_reference(day, region=region)
    for departement in ("75", "2B"):
        assert perimeters.uncovered_communes(
            day, departement=departement
        ) == perimeters._uncovered_communes_reference(day, departement=departement)
    assert perimeters.overlapping_units(day, limit=0) == []


def test_overlaps_and_white_zones_by_hand(versions: None) -> None:
    day = dt.date(2024, 4, 1)
    (eighteenth,) = perimeters.overlapping_units(day)
    assert eighteenth["code"] == "75118"
    assert eighteenth["departement"] == "75"
    assert len(eighteenth["communities"]) == 2  # Paris whole and the second community
    white = perimeters.uncovered_communes(day, departement="2B")
    assert "2B033" not in {row["code"] for row in white}  # Bastia covered until 1 May
    assert [row["population"] for row in white] == sorted(
        (row["population"] for row in white), reverse=True
    )
    assert len(perimeters.uncovered_communes(day)) == 34_872
