"""The ``cpts`` command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from cpts.cli import aci, app

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """Tables are as wide as a large terminal, so that no word is cut."""
    previous = aci.console.size
    aci.console.size = (400, 50)
    yield
    aci.console.size = previous


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_simulate_json_prints_the_whole_breakdown() -> None:
    code, out, _ = run(
        "simulate", "--population", "180000", "--members", "120", "--signed", "2022-06-01",
        "--contract-year", "2", "--format", "json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["size_class"] == 4
    assert data["grid"] == "avenant-2"
    assert data["total"] == "469500.00"
    codes = [line["code"] for line in data["lines"]]
    assert codes == [
        "functioning", "access.fixed", "access.variable", "pathways.fixed", "pathways.variable",
        "prevention.fixed", "prevention.variable", "crisis.fixed", "crisis.variable", "size4_increase",
    ]  # fmt: skip
    for line in data["lines"]:
        assert set(line) >= {
            "code",
            "label",
            "amount",
            "reference",
            "parameter",
            "value",
            "explanation",
        }
        assert line["reference"]
        whole, cents = line["amount"].split(".")
        assert whole.isdigit()
        assert len(cents) == 2
    assert sum(float(line["amount"]) for line in data["lines"]) == float(data["total"])


def test_the_installed_command_works() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cpts",
            "simulate",
            "--population",
            "35000",
            "--signed",
            "2020-02-01",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout)["total"] == "195000.00"


def test_simulate_table_is_readable() -> None:
    code, out, _ = run(
        "simulate", "--population", "100000", "--signed", "2023-01-15", "--achievement", "0.5"
    )
    assert code == 0
    for text in ("Fonctionnement", "access.variable", "17\u202f500,00", "avenant-2", "Total"):
        assert text in out


def test_missions_started_and_crisis_flags() -> None:
    code, out, _ = run(
        "simulate", "--population", "100000", "--signed", "2023-01-15", "--contract-year", "2",
        "--missions", "crisis", "--started", "crisis=2023-03-01", "--crisis", "--format", "json",
    )  # fmt: skip
    assert code == 0
    lines = {line["code"]: line["amount"] for line in json.loads(out)["lines"]}
    assert lines == {
        "functioning": "75000.00",
        "crisis.fixed": "22500.00",
        "crisis.variable": "67500.00",
    }


def test_an_empty_mission_list_means_no_mission() -> None:
    code, out, _ = run(
        "simulate",
        "--population",
        "10",
        "--signed",
        "2023-01-15",
        "--missions",
        "",
        "--format",
        "json",
    )
    assert code == 0
    assert [line["code"] for line in json.loads(out)["lines"]] == ["functioning"]


def test_bad_input_gets_one_clear_french_message_and_exit_code_2() -> None:
    cases = [
        (["--population", "-5"], "population", "négative"),
        (["--population", "5000", "--achievement", "1.2"], "achievement", "entre 0 et 1"),
        (
            ["--population", "5000", "--missions", "access,teleconsult"],
            "missions",
            "Mission inconnue",
        ),
        (["--population", "5000", "--started", "access=2000-01-01"], "access", "avant la"),
    ]
    for extra, field, words in cases:
        code, out, err = run("simulate", "--signed", "2023-01-15", *extra)
        assert code == 2, extra
        assert field in err, err
        assert words in err, err
        assert out == ""
    code, _, err = run("simulate", "--population", "5000", "--signed", "2019-01-01")
    assert code == 2
    assert "entré en vigueur" in err


def test_schedule_json() -> None:
    code, out, _ = run(
        "schedule",
        "--population",
        "100000",
        "--signed",
        "2023-01-15",
        "--missions",
        "access",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert [payment["kind"] for payment in data["payments"]] == [
        "functioning",
        "mission_start",
        "balance",
    ]
    assert data["total"] == "200000.00"


def test_deadlines_json() -> None:
    code, out, _ = run(
        "deadlines", "--signed", "2023-01-15", "--on", "2023-08-01", "--format", "json"
    )
    assert code == 0
    access = json.loads(out)["missions"][0]
    assert (access["mission"], access["start_due"], access["start_status"]) == (
        "access",
        "2023-07-15",
        "overdue",
    )


def test_accelerator_json() -> None:
    code, out, _ = run(
        "accelerator", "--population", "90000", "--on", "2024-01-10", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (data["size_class"], data["amount"], data["eligible"]) == (3, "25000.00", True)


def test_rules_lists_every_parameter_with_its_reference() -> None:
    code, out, _ = run("rules", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert any(
        row["parameter"] == "missions.crisis.variable.size_4" and row["value"] == "75\u202f000 €"
        for row in rows
    )
    assert all(row["reference"] for row in rows)
    code, out, _ = run("rules")
    assert code == 0
    assert "functioning.base.size_1" in out


def test_demo_runs() -> None:
    code, out, _ = run("demo")
    assert code == 0
    assert "simulation guidée" in out


def test_demo_is_a_group_with_the_national_demo() -> None:
    code, out, _ = run("demo", "national", "--help")
    assert code == 0
    assert "--communities" in out
    assert "--reset" in out
    reset_line = next(line for line in out.splitlines() if "--reset" in line and "Vider" in line)
    assert "<bool>" not in reset_line  # a flag, without a value to type
    text = " ".join(out.split())
    assert "Refuse une base qui contient déjà des CPTS" in text
    assert "sauf le territoire de référence" in text
