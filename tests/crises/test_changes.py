"""What changed between two versions: a word-level diff, escaped, and a one-line summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cpts.crises.changes import compare, word_diff
from cpts.crises.selectors import changes_of, plan_history

pytestmark = pytest.mark.django_db

DEL = '<del><span class="fr-sr-only">supprimé : </span>'
INS = '<ins><span class="fr-sr-only">ajouté : </span>'


def test_the_diff_marks_the_words_removed_and_added() -> None:
    assert (
        word_diff("Cellule de crise le lundi", "Cellule de crise le mardi matin")
        == f"Cellule de crise le {DEL}lundi</del>{INS}mardi matin</ins>"
    )
    assert word_diff("Même texte", "Même texte") == "Même texte"
    assert word_diff("", "Nouveau") == f"{INS}Nouveau</ins>"


def test_the_diff_escapes_what_the_user_typed() -> None:
    assert word_diff("a < b", "a < b & <script>") == (f"a &lt; b{INS} &amp; &lt;script&gt;</ins>")


def test_a_version_is_compared_with_the_one_before(adopt: Any) -> None:
    first = adopt()
    second = adopt(
        adopted_on=dt.date(2023, 9, 1),
        typologies=["epidemic", "nrbc"],
        axis_actions="Cellule de crise le mardi matin",
        axis_information_population="Site et réseaux sociaux\nAffiches en pharmacie",
    )
    changes = changes_of(second)
    assert changes.previous == first
    assert [(axis.number, axis.changed) for axis in changes.axes] == [
        (1, True), (2, False), (3, False), (4, False), (5, True),
    ]  # fmt: skip
    assert changes.axes[0].diff == f"Cellule de crise le {DEL}lundi</del>{INS}mardi matin</ins>"
    assert changes.axes[4].diff == f"Site et réseaux sociaux{INS}\nAffiches en pharmacie</ins>"
    assert changes.typologies_added == ("risque nucléaire, radiologique, biologique ou chimique",)
    assert changes.typologies_removed == (
        "événement climatique (canicule, grand froid, inondation)",
    )
    assert changes.summary == (
        "Axes modifiés : 1, 5 ; typologie(s) ajoutée(s) : risque nucléaire, radiologique, "
        "biologique ou chimique ; typologie(s) retirée(s) : événement climatique (canicule, "
        "grand froid, inondation)."
    )
    assert compare(first, None).summary == "Première version du plan."
    assert [item.summary for item in plan_history(first.community)] == [
        changes.summary,
        "Première version du plan.",
    ]


def test_one_axis_changed_reads_in_the_singular(adopt: Any) -> None:
    adopt()
    second = adopt(year=2024, adopted_on=dt.date(2024, 3, 18), axis_coordination_hospitals="GHT")
    assert changes_of(second).summary == "Axe modifié : 3."
