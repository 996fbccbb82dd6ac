"""``cpts indicators fill``: as a named user, with that user's rights, one French message on error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cpts.cli import app
from cpts.contracts.models import Indicator
from cpts.indicators.models import Computation

pytestmark = pytest.mark.django_db
runner = CliRunner()


def fill(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["indicators", "fill", *args])
    return result.exit_code, result.stdout, result.stderr


def test_fill_as_the_cpam_prints_the_three_territories(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    code, out, err = fill(
        "--community", "CPTS Nord", "--year", "1", "--as", "cpam59",
        "--claims", str(claims_dir), "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert (data["start"], data["end"], data["engine"]) == ("2023-01-15", "2024-01-14", "duckdb")
    assert data["results"]["community"]["consumers"]["numerator"] == 3
    assert data["results"]["departement"]["patients_16_with_gp"]["value"] == 0.6667
    assert data["results"]["community"]["consumers"]["value"] == 3  # as indicators compute
    assert data["results"]["national"]["consumers"]["numerator"] == 5
    assert {row["measured_value"] for row in data["indicators"]} == {"50.00", "3.00"}
    assert Indicator.objects.get(pk=computable["rate"].pk).computed_by == computable["cpam"]


@pytest.mark.parametrize(
    ("user", "message"),
    [("ars-hdf", "n'a pas le droit"), ("facil", "introuvable dans votre périmètre")],
)
def test_fill_refuses_who_may_not_compute(
    computable: dict[str, Any], claims_dir: Path, user: str, message: str
) -> None:
    code, _, err = fill(
        "--community", "CPTS Nord", "--year", "1", "--as", user, "--claims", str(claims_dir)
    )
    assert code == 2
    assert message in err
    assert not Computation.objects.exists()


def test_fill_on_a_missing_folder_is_one_french_message(
    computable: dict[str, Any], tmp_path: Path
) -> None:
    code, _, err = fill(
        "--community", "CPTS Nord", "--year", "1", "--as", "coord",
        "--claims", str(tmp_path / "absent"),
    )  # fmt: skip
    assert code == 2
    assert "introuvables" in err
    assert "Traceback" not in err


def test_the_spark_master_goes_from_the_option_or_the_setting_to_the_engine(
    computable: dict[str, Any], claims_dir: Path, settings: Any, monkeypatch: Any
) -> None:
    """``--spark-master`` wins over the ``SPARK_MASTER`` setting (``CPTS_SPARK_MASTER``), which
    the screens use too; DuckDB takes no master. The engine itself is not started here."""
    from cpts.claims import indicators

    masters: list[str | None] = []
    compute_many = indicators.compute_many

    def spy(*args: Any, **kwargs: Any) -> Any:
        masters.append(kwargs.get("spark_master"))
        return compute_many(*args, **{**kwargs, "engine": "duckdb", "spark_master": None})

    monkeypatch.setattr(indicators, "compute_many", spy)
    settings.SPARK_MASTER = "spark://cluster:7077"
    common = ["--community", "CPTS Nord", "--year", "1", "--as", "cpam59"]
    code, _, err = fill(*common, "--claims", str(claims_dir), "--engine", "spark")
    assert code == 0, err
    code, _, err = fill(
        *common, "--claims", str(claims_dir), "--engine", "spark",
        "--spark-master", "spark://other:7077",
    )  # fmt: skip
    assert code == 0, err
    assert masters == ["spark://cluster:7077", "spark://other:7077"]
    code, _, err = fill(*common, "--spark-master", "spark://other:7077")
    assert code == 2
    assert "--spark-master ne s'utilise qu'avec --engine spark" in err


def test_an_unknown_format_is_refused_before_anything_is_computed(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    code, out, err = fill(
        "--community", "CPTS Nord", "--year", "1", "--as", "cpam59",
        "--claims", str(claims_dir), "--format", "xml",
    )  # fmt: skip
    assert code == 2
    assert "format « xml » inconnu" in err
    assert out == ""
    assert not Computation.objects.exists()
    assert Indicator.objects.get(pk=computable["rate"].pk).computed_at is None


def test_a_year_in_progress_stops_at_the_claims_last_day_of_care(
    computable: dict[str, Any], claims_dir: Path
) -> None:
    """The hand-written claims' last care is on 01/06/2023 (B2): a year in progress is computed
    up to that day, never to a day the claims do not cover; a year starting after it has
    nothing to compute."""
    import datetime as dt

    from cpts.core.errors import RuleError
    from cpts.indicators.services import compute

    community, cpam = computable["contract"].community, computable["cpam"]
    start, end = dt.date(2023, 1, 15), dt.date(2024, 1, 14)
    pending = compute(community, start, end, cpam, claims_dir, in_progress=True)
    assert (pending.start, pending.end) == (start, dt.date(2023, 6, 1))
    assert compute(community, start, end, cpam, claims_dir).end == end  # a year over: its D
    with pytest.raises(RuleError, match="s'arrêtent le 01/06/2023, avant le début"):
        compute(community, dt.date(2023, 6, 2), end, cpam, claims_dir, in_progress=True)
    assert not Computation.objects.exists()
