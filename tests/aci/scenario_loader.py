"""Read the scenario files of ``tests/aci/scenarios`` into engine inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from cpts.aci import (
    Achievement,
    ContractYearInput,
    DoneIndicator,
    GradedIndicator,
    Mission,
    MissionInput,
    TargetIndicator,
    Tier,
    contract_year,
    core_missions,
)

SCENARIOS = Path(__file__).parent / "scenarios"


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _indicator(raw: dict[str, Any]) -> TargetIndicator | GradedIndicator | DoneIndicator:
    kind = raw["kind"]
    label = raw.get("label", "")
    if kind == "graded":
        return GradedIndicator(
            measured=_decimal(raw["measured"]),
            tiers=tuple(
                Tier(_decimal(tier["threshold"]), _decimal(tier["amount"])) for tier in raw["tiers"]
            ),
            lower_is_better=raw.get("lower_is_better", False),
            label=label,
        )
    if kind == "target":
        return TargetIndicator(
            measured=_decimal(raw["measured"]),
            objective=_decimal(raw["objective"]),
            weight=_decimal(raw.get("weight", 1)),
            lower_is_better=raw.get("lower_is_better", False),
            all_or_nothing=raw.get("all_or_nothing", False),
            label=label,
        )
    if kind == "done":
        return DoneIndicator(done=raw["done"], weight=_decimal(raw.get("weight", 1)), label=label)
    raise ValueError(f"unknown indicator kind {kind!r}")


def build_input(raw: dict[str, Any]) -> ContractYearInput:
    signed: dt.date = raw["signed"]
    number = raw.get("contract_year", 1)
    achievement = Achievement.of(_decimal(raw.get("achievement", 1)))
    missions = raw.get("missions")
    if missions is None:
        missions = [mission.value for mission in core_missions(contract_year(signed, number).start)]
    if isinstance(missions, list):
        missions = {name: {} for name in missions}
    inputs = []
    for name, details in missions.items():
        mission = Mission(name)
        details = details or {}
        if "indicators" in details:
            mission_achievement = Achievement(
                indicators=tuple(_indicator(item) for item in details["indicators"])
            )
        elif "achievement" in details:
            mission_achievement = Achievement.of(_decimal(details["achievement"]))
        else:
            mission_achievement = Achievement() if mission is Mission.CRISIS else achievement
        inputs.append(MissionInput(mission, details.get("started"), mission_achievement))
    return ContractYearInput(
        population=raw["population"],
        members=raw.get("members", 0),
        signed=signed,
        contract_year=number,
        missions=tuple(inputs),
        crises=tuple(raw.get("crises", ())),
    )


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for file in sorted(SCENARIOS.glob("*.yaml")):
        for case in yaml.safe_load(file.read_text(encoding="utf-8")):
            cases.append((f"{file.stem}: {case['name']}", case))
    return cases
