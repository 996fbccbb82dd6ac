"""Indicators on claims written by hand: every figure below is counted by hand, one SNDS fact per
test (DuckDB; ``test_indicators_engines.py`` runs the same data on Spark)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cpts.claims.errors import ClaimsError
from cpts.claims.indicators import Computation, compute, compute_many, definitions
from cpts.claims.schema import NO_DATE

from .builders import act, ald, beneficiary, gp, write_claims

START = dt.date(2024, 1, 1)
END = dt.date(2024, 12, 31)  # D
TERRITORY = frozenset({"59350", "97411", "2A004"})
#: Communes of France known to the computation (59009 is outside the territory).
KNOWN = frozenset(TERRITORY | {"59009", "2B033", "97101"})


def run(claims_dir: Path, **tables: Any) -> Computation:
    write_claims(claims_dir, **tables)
    return compute(claims_dir, TERRITORY, KNOWN, START, END)


def figures(computation: Computation, code: str) -> tuple[int, int | None]:
    result = computation.result(code)
    return result.numerator, result.denominator


def test_twins_on_one_number_are_two_patients(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary("T", 2000, rank=1), beneficiary("T", 2000, rank=2)],
        prs=[act("T", "2024-02-01", rank=1), act("T", "2024-03-01", rank=2)],
        mtt=[gp("T", "2020-01-01", rank=2)],
    )
    assert result.population == 2
    assert figures(result, "consumers") == (2, None)
    assert figures(result, "patients_16_with_gp") == (1, 2)
    assert result.result("patients_16_with_gp").value == Decimal("0.5000")


def test_a_death_before_d_leaves_the_population_one_on_or_after_d_does_not(
    tmp_path: Path,
) -> None:
    result = run(
        tmp_path,
        ben=[
            beneficiary("dead-in-june", 1950, death="2024-06-01"),
            beneficiary("dies-on-d", 1950, death="2024-12-31"),
            beneficiary("dies-next-year", 1950, death="2025-03-01"),
            beneficiary("alive", 1950),  # 1600-01-01: no death
        ],
        prs=[
            act(nir, "2024-02-01")
            for nir in ("dead-in-june", "dies-on-d", "dies-next-year", "alive")
        ],
    )
    assert result.population == 3
    assert figures(result, "consumers") == (3, None)
    assert figures(result, "patients_70_without_gp") == (3, 3)


def test_ald_open_on_d_ended_or_of_another_reason(tmp_path: Path) -> None:
    patients = {
        "open-1600": ald("open-1600", "2019-01-01", "1600-01-01"),
        "open-empty": ald("open-empty", "2019-01-01", None),
        "open-2099": ald("open-2099", "2019-01-01", "2099-12-31"),
        "ends-on-d": ald("ends-on-d", "2019-01-01", "2024-12-31"),
        "ended": ald("ended", "2019-01-01", "2024-06-30"),
        "work-accident": ald("work-accident", "2019-01-01", reason=11),
        "begins-after-d": ald("begins-after-d", "2025-01-01"),
        "with-gp": ald("with-gp", "2019-01-01", reason=45),
    }
    result = run(
        tmp_path,
        ben=[beneficiary(nir, 1980) for nir in patients],
        prs=[act(nir, "2024-05-01") for nir in patients],
        imb=list(patients.values()),
        mtt=[gp("with-gp", "2015-01-01")],
    )
    # In ALD on D: open-1600, open-empty, open-2099, ends-on-d, with-gp; without GP: 4 of them.
    assert figures(result, "ald_patients_without_gp") == (4, 5)
    assert result.result("ald_patients_without_gp").value == Decimal("0.8000")


def test_medecin_traitant_on_d(tmp_path: Path) -> None:
    declarations = [
        gp("open-1600", "2018-01-01", "1600-01-01"),
        gp("open-empty", "2018-01-01", None),
        gp("ended", "2018-01-01", "2024-06-30"),
        gp("ends-on-d", "2018-01-01", "2024-12-31"),
        gp("begins-after-d", "2025-01-01"),
        gp("begins-on-d", "2024-12-31"),
    ]
    nirs = [row["BEN_NIR_PSA"] for row in declarations] + ["never"]
    result = run(
        tmp_path,
        ben=[beneficiary(nir, 1990) for nir in nirs],
        prs=[act(nir, "2024-05-01") for nir in nirs],
        mtt=declarations,
    )
    assert figures(result, "patients_16_with_gp") == (4, 7)
    assert figures(result, "patients_16_without_gp") == (3, 7)
    assert result.result("patients_16_without_gp").value == Decimal("0.4286")


def test_regularisations_cancel_acts_and_the_patient_stays_a_consumer(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary(nir, 1980) for nir in ("cancelled", "only-cancelled", "twice", "old")],
        prs=[
            act("cancelled", "2024-03-01", 1933),
            act("cancelled", "2024-03-01", 1933, quantity=-1),
            # the only act of this patient is cancelled: still a consumer (rows, not net acts)
            act("only-cancelled", "2024-04-01", 1110),
            act("only-cancelled", "2024-04-01", 1110, quantity=-1),
            act("twice", "2024-05-01", 1945, quantity=2),
            act("twice", "2024-05-02", 1941, quantity=5, qualifier=71),  # for information only
            act("old", "2023-12-31", 1935),  # before the period
        ],
    )
    assert figures(result, "regulated_care_acts") == (2, None)
    assert result.result("regulated_care_acts").value == Decimal(2)
    assert figures(result, "consumers") == (3, None)


def test_all_regularised_acts_sum_to_zero(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary("p", 1980)],
        prs=[act("p", "2024-03-01", 1936), act("p", "2024-03-09", 1936, quantity=-1)],
    )
    assert figures(result, "regulated_care_acts") == (0, None)


def test_information_only_rows_never_count(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary("info-only", 1950), beneficiary("vaccinated-for-info", 1950)],
        prs=[
            act("info-only", "2024-03-01", qualifier=71),
            act("vaccinated-for-info", "2024-03-01"),
            act("vaccinated-for-info", "2024-10-15", 3360, qualifier=71),
        ],
    )
    assert result.population == 2
    assert figures(result, "consumers") == (1, None)
    assert figures(result, "flu_vaccination_65") == (0, 1)


def test_residences_overseas_corsican_unknown_and_outside(tmp_path: Path) -> None:
    homes = {
        "reunion": ("097", "411"),  # 97411
        "reunion-974": ("974", "411"),  # as some schemes write it
        "corsica": ("209", "004"),  # 2A004
        "lille": ("059", "350"),
        "unknown-000": ("000", "000"),
        "unknown-099": ("099", "123"),
        "no-such-commune": ("059", "999"),
        "outside": ("059", "009"),  # a known commune outside the territory
        "dead-unknown": ("999", "999"),
    }
    result = run(
        tmp_path,
        ben=[
            beneficiary(nir, 1980, dpt, com, death="2020-01-01" if "dead" in nir else NO_DATE)
            for nir, (dpt, com) in homes.items()
        ],
        prs=[act(nir, "2024-06-01") for nir in homes],
    )
    assert result.population == 4
    assert figures(result, "consumers") == (4, None)
    assert result.unknown_residence == 3  # the dead one is not counted
    assert result.communes == 3


def test_several_rows_of_one_beneficiary_count_once(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[
            beneficiary("dup", 1950, "000", "000"),
            beneficiary("dup", 1950, "059", "350"),
            beneficiary("dup", 1950, "059", "350"),
        ],
        prs=[act("dup", "2024-06-01")],
    )
    assert result.population == 1
    assert result.unknown_residence == 0
    assert figures(result, "consumers") == (1, None)


def test_ages_at_the_thresholds(tmp_path: Path) -> None:
    years = [2008, 2009, 1959, 1960, 1954, 1955, 1974, 1975, 1950, 1949]
    result = run(
        tmp_path,
        ben=[beneficiary(f"born-{year}", year) for year in years],
        prs=[act(f"born-{year}", "2024-06-01") for year in years],
    )
    # age = 2024 − year: 16 counts, 15 does not
    assert figures(result, "patients_16_without_gp") == (9, 9)
    # 70, 74, 75
    assert figures(result, "patients_70_without_gp") == (3, 3)
    # 65, 69, 70, 74, 75
    assert figures(result, "flu_vaccination_65") == (0, 5)
    # 50, 64, 65, 69, 70, 74 (49 and 75 out)
    assert figures(result, "colorectal_screening_50_74") == (0, 6)


def test_screening_in_the_two_years_ending_on_d(tmp_path: Path) -> None:
    screened = {
        "23-months": "2023-01-31",
        "day-after-two-years": "2023-01-01",
        "two-years-to-the-day": "2022-12-31",
        "25-months": "2022-11-30",
    }
    result = run(
        tmp_path,
        ben=[beneficiary(nir, 1964) for nir in [*screened, "not-a-consumer"]],
        prs=[act(nir, "2024-02-01") for nir in screened]
        + [act(nir, day, 1163) for nir, day in screened.items()]
        + [act("not-a-consumer", "2023-06-01", 1163)],  # no act in the period
    )
    assert figures(result, "colorectal_screening_50_74") == (2, 4)
    assert result.result("colorectal_screening_50_74").value == Decimal("0.5000")


def test_acts_before_the_period_count_for_nothing_but_screening(tmp_path: Path) -> None:
    """The extract holds the year before the period (for the screening window): its other rows
    make nobody a consumer and no regulated act."""
    result = run(
        tmp_path,
        ben=[beneficiary("last-year-only", 1960), beneficiary("both-years", 1960)],
        prs=[
            act("last-year-only", "2023-06-01"),
            act("last-year-only", "2023-06-01", 1945),  # regulated, before the period
            act("both-years", "2023-03-01", 1163),  # screened in the window
            act("both-years", "2023-12-31", 1935),  # regulated, the day before the period
            act("both-years", "2024-01-01", 1934),  # regulated, first day of the period
        ],
    )
    assert figures(result, "consumers") == (1, None)
    assert figures(result, "regulated_care_acts") == (1, None)
    assert figures(result, "colorectal_screening_50_74") == (1, 1)


def test_flu_vaccination_in_the_period_only(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary(nir, 1940) for nir in ("pharmacy", "ph7", "last-winter", "none")],
        prs=[
            act("pharmacy", "2024-10-20", 3360),
            act("ph7", "2024-11-02", 3331),
            act("last-winter", "2023-11-15", 3331),
            act("last-winter", "2024-02-01"),
            act("none", "2024-02-01"),
        ],
    )
    assert figures(result, "flu_vaccination_65") == (2, 4)


def test_a_share_without_denominator_has_no_value(tmp_path: Path) -> None:
    result = run(tmp_path, ben=[beneficiary("child", 2015)], prs=[act("child", "2024-02-01")])
    share = result.result("ald_patients_without_gp")
    assert (share.numerator, share.denominator, share.value) == (0, 0, None)
    assert share.as_json()["value"] is None


def test_the_json_has_the_issue_s_shape(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        ben=[beneficiary("a", 1950), beneficiary("b", 1950)],
        prs=[act("a", "2024-02-01"), act("b", "2024-02-01")],
        mtt=[gp("a", "2020-01-01")],
    )
    data = result.as_json()
    assert set(data) == {"period", "engine", "territory", "unknown_residence", "indicators"}
    assert data["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert data["engine"] == "duckdb"
    assert data["territory"] == {"communes": 3, "population": 2}
    assert [row["code"] for row in data["indicators"]] == [d.code for d in definitions(END)]
    rows = {row["code"]: row for row in data["indicators"]}
    assert rows["consumers"] == {
        "code": "consumers",
        "label": "Patients consommants du territoire",
        "numerator": 2,
        "denominator": None,
        "value": 2,
    }
    assert rows["patients_70_without_gp"]["value"] == 0.5
    assert isinstance(rows["patients_70_without_gp"]["numerator"], int)


def test_one_pass_for_several_territories(tmp_path: Path) -> None:
    write_claims(
        tmp_path,
        ben=[beneficiary("lille", 1980), beneficiary("outside", 1980, "059", "009")],
        prs=[act("lille", "2024-02-01"), act("outside", "2024-02-01")],
    )
    many = compute_many(tmp_path, {"community": {"59350"}, "nation": KNOWN}, KNOWN, START, END)
    assert many["community"].population == 1
    assert many["nation"].population == 2
    assert many["community"] == compute(tmp_path, {"59350"}, KNOWN, START, END)
    assert dataclasses.replace(many["nation"], communes=1) != many["community"]


def test_a_period_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    write_claims(tmp_path)
    with pytest.raises(ClaimsError) as error:
        compute(tmp_path, TERRITORY, KNOWN, END, START)
    assert error.value.table is None
    assert "période vide" in str(error.value)
    assert "2024-01-01" in error.value.rule


def test_a_one_day_period_is_a_period(tmp_path: Path) -> None:
    result = run(tmp_path, ben=[beneficiary("p", 1980)], prs=[act("p", "2024-12-31")])
    assert result.population == 1
    one_day = compute(tmp_path, TERRITORY, KNOWN, END, END)
    assert figures(one_day, "consumers") == (1, None)


def test_every_definition_is_documented() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "indicators.md").read_text()
    codes = [definition.code for definition in definitions(END)]
    assert len(codes) == len(set(codes))
    for definition in definitions(END):
        assert f"`{definition.code}`" in text
        assert definition.reference
        assert definition.label
        assert definition.description
        assert definition.kind in ("share", "count")


def test_the_code_lists_come_from_the_dated_parameters() -> None:
    rows = {definition.code: definition for definition in definitions(END)}
    assert "3331, 3360" in rows["flu_vaccination_65"].description
    assert "1163" in rows["colorectal_screening_50_74"].description
    assert "1945" in rows["regulated_care_acts"].description
