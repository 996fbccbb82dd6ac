"""The plan editor: an update starts from the version in force; an update that changes nothing,
or goes back in time, is refused and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpts.core.errors import RuleError
from cpts.crises.models import CrisisPlan, Typology
from cpts.crises.plans import AXES, CrisisPlanForm, plan_initial

pytestmark = pytest.mark.django_db


def test_the_first_plan_starts_from_the_five_typologies_and_this_year() -> None:
    initial = plan_initial(None, dt.date(2026, 11, 25))
    assert initial == {
        "year": 2026,
        "adopted_on": dt.date(2026, 11, 25),
        "typologies": ["epidemic", "climate", "accident", "nrbc", "supply"],
    }


def test_an_update_starts_from_the_version_in_force(adopt: Any) -> None:
    adopt()
    latest = adopt(year=2024, adopted_on=dt.date(2024, 3, 18), axis_actions="Cellule renforcée")
    initial = plan_initial(latest, dt.date(2025, 3, 1))
    assert initial["year"] == 2025
    assert initial["typologies"] == ["epidemic", "climate"]
    assert initial["axis_actions"] == "Cellule renforcée"
    assert initial["axis_information_population"] == "Site et réseaux sociaux"
    # a plan adopted for next year already: the year is never before it
    assert plan_initial(latest, dt.date(2023, 12, 1))["year"] == 2024
    form = CrisisPlanForm(initial=initial)
    html = str(form["axis_actions"])
    assert "Cellule renforcée" in html
    assert (
        "cellule de crise et ses contacts" in form["axis_actions"].help_text
    )  # the template's help


def test_each_axis_has_the_national_template_s_help() -> None:
    form = CrisisPlanForm()
    assert all(form.fields[axis].help_text for axis in AXES)
    assert [form.fields[axis].label[:2] for axis in AXES] == ["1.", "2.", "3.", "4.", "5."]


def test_an_update_identical_to_the_version_in_force_is_refused(adopt: Any) -> None:
    adopt()
    with pytest.raises(RuleError, match=r"Rien n'a changé .* \(plan 2023, version 1\)"):
        # the same text typed in a browser (\r\n, blanks around), the typologies in another order
        adopt(
            adopted_on=dt.date(2023, 6, 1),
            typologies=["climate", "epidemic"],
            axis_actions=" Cellule de crise le lundi\r\n",
        )
    assert CrisisPlan.objects.count() == 1


def test_a_new_year_may_keep_the_plan_unchanged(adopt: Any) -> None:
    """The yearly update of a plan reviewed and kept as it was is recorded (a new year's
    version), and the comparison says nothing changed."""
    adopt()
    plan = adopt(year=2024, adopted_on=dt.date(2024, 3, 18))
    assert (plan.year, plan.version) == (2024, 1)
    assert CrisisPlan.objects.count() == 2


def test_an_update_never_goes_back_in_time(adopt: Any) -> None:
    adopt(year=2024, adopted_on=dt.date(2024, 3, 18))
    with pytest.raises(RuleError, match="L'année 2023 précède"):
        adopt(year=2023, axis_actions="Autre")
    with pytest.raises(RuleError, match="adoptée le 18/03/2024"):
        adopt(year=2024, adopted_on=dt.date(2024, 3, 1), axis_actions="Autre")
    assert CrisisPlan.objects.count() == 1


def test_versions_are_numbered_per_year_and_stored_clean(adopt: Any) -> None:
    adopt()
    adopt(adopted_on=dt.date(2023, 9, 1), axis_actions="Cellule\r\nde crise")
    third = adopt(
        year=2024, adopted_on=dt.date(2024, 3, 18), typologies=list(reversed(Typology.values))
    )
    assert list(CrisisPlan.objects.order_by("year", "version").values_list("year", "version")) == [
        (2023, 1),
        (2023, 2),
        (2024, 1),
    ]
    assert CrisisPlan.objects.get(year=2023, version=2).axis_actions == "Cellule\nde crise"
    assert third.typologies == ["epidemic", "climate", "accident", "nrbc", "supply"]
