"""``cpts report annual --community NAME`` when two communities share the name: a French
refusal that lists the FINESS and ids to choose from, never the first one picked in silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cpts.cli import app

pytestmark = pytest.mark.django_db


def test_a_shared_name_is_refused_with_the_choices(
    people: dict[str, Any], make_community: Any, tmp_path: Path
) -> None:
    nord = people["nord"]
    nord.finess = "590000017"
    nord.save(update_fields=["finess"])
    namesake = make_community("CPTS NORD", "62")  # the same name, case aside, in the 62
    output = tmp_path / "rapport.pdf"

    def report(*args: str) -> Any:
        return CliRunner().invoke(
            app, ["report", "annual", "--output", str(output), "--year", "1", *args]
        )

    refused = report("--community", "cpts nord")
    assert refused.exit_code == 2
    assert not output.exists()
    message = " ".join(refused.stderr.split())
    assert "plusieurs CPTS s'appellent « cpts nord »" in message
    assert f"identifiant {nord.pk}, FINESS 590000017, département 59" in message
    assert f"identifiant {namesake.pk}, FINESS non renseigné, département 62" in message
    # within the scope of the CPAM of the Nord, the name is no longer ambiguous: the report of
    # CPTS Nord is sought (it has no contract: the report's own refusal)
    in_scope = report("--community", "cpts nord", "--as", "cpam59")
    assert in_scope.exit_code == 2
    assert "plusieurs" not in in_scope.stderr
    assert "CPTS Nord" in " ".join(in_scope.stderr.split())
    # the FINESS or the id chooses
    for choice in ("590000017", str(nord.pk)):
        chosen = report("--community", choice)
        assert "plusieurs" not in chosen.stderr
        assert "CPTS Nord" in " ".join(chosen.stderr.split())
