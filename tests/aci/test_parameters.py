"""The parameter files: complete, referenced, readable by OpenFisca, consistent with the
published totals, and the only place where legal figures live."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cpts.aci import grid_maximum
from cpts.aci.parameters import (
    CONFIDENCE_LEVELS,
    PARAMETERS_DIR,
    ParameterError,
    default_tree,
    load_tree,
)
from cpts.aci.rules_doc import render_rules

from .legal_figures import figures_in_code, legal_figures

ROOT = Path(__file__).resolve().parents[2]
AVENANT_2 = dt.date(2022, 4, 1)
ACI = dt.date(2019, 8, 25)


def test_every_parameter_has_a_reference_a_confidence_and_a_description() -> None:
    tree = default_tree()
    assert len(list(tree)) > 80
    for parameter in tree:
        assert parameter.description.strip(), parameter.path
        for day in parameter.dates:
            value = parameter.at(day)
            if value is None:
                continue
            assert value.references, parameter.path
            assert all(ref.title for ref in value.references), parameter.path
            assert value.confidence in CONFIDENCE_LEVELS, parameter.path
            assert not isinstance(value.value, float), parameter.path


def test_money_is_exact() -> None:
    tree = default_tree()
    assert tree.at("functioning.additional.size_3", AVENANT_2).decimal() == Decimal("56250")
    assert tree.at("payment.advance_share", ACI).decimal() == Decimal("0.75")


def test_openfisca_reads_our_parameter_files_as_they_are() -> None:
    parameters = pytest.importorskip("openfisca_core.parameters")
    node = parameters.ParameterNode("", directory_path=str(PARAMETERS_DIR))
    ours = default_tree()
    for parameter in ours:
        theirs = node
        for part in parameter.path.split("."):
            theirs = theirs.children[part]
        for day in parameter.dates:
            mine = parameter.at(day)
            value = theirs(day.isoformat())
            if mine is None:
                assert value is None, parameter.path
            elif isinstance(mine.value, Decimal):
                assert Decimal(str(value)) == mine.value, parameter.path
            else:
                assert value == mine.value, parameter.path


@pytest.mark.parametrize(
    ("size", "day", "published"),
    [
        (1, ACI, 220_000),
        (2, ACI, 287_000),
        (3, ACI, 370_000),
        (4, ACI, 450_000),
        (4, AVENANT_2, 580_000),
    ],
)
def test_the_grid_adds_up_to_the_published_maximum(size: int, day: dt.date, published: int) -> None:
    tree = default_tree()
    additional = tree.maybe_at(f"functioning.additional.size_{size}", day)
    computed = grid_maximum(size, day, members=0) - (additional.decimal() if additional else 0)
    assert computed == published
    assert tree.at(f"maximum.published.size_{size}", day).decimal() == published


@pytest.mark.parametrize(("size", "published"), [(1, 185_000), (4, 380_000)])
def test_2019_maximum_without_unscheduled_care_matches_the_seed(size: int, published: int) -> None:
    unscheduled = default_tree().at(f"missions.access.unscheduled_care.size_{size}", ACI).decimal()
    assert grid_maximum(size, ACI) - unscheduled == published


def test_additional_functioning_is_three_quarters_of_functioning() -> None:
    tree = default_tree()
    for size in range(1, 5):
        base = tree.at(f"functioning.base.size_{size}", AVENANT_2).decimal()
        assert tree.at(
            f"functioning.additional.size_{size}", AVENANT_2
        ).decimal() == base * Decimal("0.75")


def test_a_parameter_without_reference_is_refused(tmp_path: Path) -> None:
    (tmp_path / "orphan.yaml").write_text("description: x\nvalues:\n  2020-01-01:\n    value: 3\n")
    with pytest.raises(ParameterError, match="no legal reference"):
        load_tree(tmp_path)


def test_docs_rules_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_rules(), "docs/rules.md is stale: run `make docs`"


def test_every_figure_of_the_grid_is_in_docs_rules() -> None:
    text = render_rules()
    for parameter in default_tree():
        assert f"`{parameter.path}`" in text


ENGINE_FILES = sorted((ROOT / "src" / "cpts" / "aci").rglob("*.py"))


def test_no_legal_figure_is_written_in_the_engine_code_nor_in_its_strings() -> None:
    assert ENGINE_FILES
    assert not figures_in_code(ENGINE_FILES, legal_figures(default_tree()))


@pytest.mark.parametrize(
    "planted",
    [
        'label = "Majoration de 10 % (taille 4, au moins 100 membres)"',
        'detail = f"pour les douze mois à venir, crise du {day}"',
        'detail = f"versée pour les 12 mois à venir"',
        'def f() -> None:\n    """Files its health project within nine months."""',
        'label = "Avance de 75 % au début de l\'année contractuelle"',
        'duration = "contrat de 5 ans"',
        'maximum = "jusqu\'à 580 000 € par an"',
        "rate = 0.75",
        "threshold = 175_000",
    ],
)
def test_the_guard_fails_when_a_figure_is_written_in_the_code(tmp_path: Path, planted: str) -> None:
    module = tmp_path / "planted.py"
    module.write_text(f"{planted}\n", encoding="utf-8")
    assert figures_in_code([module], legal_figures(default_tree())), planted


@pytest.mark.parametrize(
    "harmless",
    [
        'text = f"L\'année contractuelle va de 1 à {duration}"',
        'reference = "ACI CPTS, art. 9.1 ; contrat type, art. 6.1 et 6.2"',
        'days = f"{days} jours de mission sur {year.days} jours"',
        'code = "size4_increase"',
        'header = "| taille 1 | taille 2 | taille 3 | taille 4 |"',
        "percent = rate * 100",
    ],
)
def test_the_guard_lets_ordinary_code_through(tmp_path: Path, harmless: str) -> None:
    module = tmp_path / "harmless.py"
    module.write_text(f"{harmless}\n", encoding="utf-8")
    assert not figures_in_code([module], legal_figures(default_tree())), harmless
