"""Benchmark: a national campaign — 1,000 communities in random states x 5 contract years.

Every line of every contract year is computed and explained (the explanation text and the JSON
of each line are rendered), as the payment runs will need.

Baseline, run side by side: the same totals computed the way a spreadsheet does, with floats
from a flat table of the grid and no explanation. The ratio says what exact money, dated
parameters and explanations cost.

    make bench            # or: .venv/bin/python benchmarks/bench_campaign.py --runs 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import time
from fractions import Fraction

from cpts.aci import (
    Achievement,
    ContractYearInput,
    Mission,
    MissionInput,
    compute_contract_year,
    contract_year,
    default_tree,
)
from cpts.aci.financing import mission_exists

COMMUNITIES = 1_000
YEARS = 5


def campaign(seed: int = 2026) -> list[ContractYearInput]:
    """1,000 communities with random populations, members, dates, missions and crises."""
    rng = random.Random(seed)
    tree = default_tree()
    first, last = dt.date(2019, 8, 25), dt.date(2025, 12, 31)
    inputs = []
    for _ in range(COMMUNITIES):
        signed = first + dt.timedelta(days=rng.randrange((last - first).days))
        population = rng.randrange(5_000, 400_000)
        members = rng.randrange(0, 250)
        chosen = rng.sample(list(Mission), rng.randrange(0, len(Mission) + 1))
        starts = {}
        for mission in chosen:
            exists = tree.parameter(f"missions.core.{mission.value}").dates[0]
            starts[mission] = max(signed, exists) + dt.timedelta(days=rng.randrange(0, 700))
        crises = tuple(
            signed + dt.timedelta(days=rng.randrange(0, 5 * 365))
            for _ in range(rng.randrange(0, 3))
        )
        for number in range(1, YEARS + 1):
            year = contract_year(signed, number)
            missions = tuple(
                MissionInput(
                    mission,
                    starts[mission],
                    Achievement()
                    if mission is Mission.CRISIS
                    else Achievement(ratio=Fraction(rng.randrange(0, 101), 100)),
                )
                for mission in chosen
                if mission_exists(tree, mission, year.start)
                and starts[mission] >= tree.parameter(f"missions.core.{mission.value}").dates[0]
            )
            inputs.append(ContractYearInput(population, signed, number, members, missions, crises))
    return inputs


def run_engine(inputs: list[ContractYearInput]) -> tuple[int, int]:
    lines = 0
    characters = 0
    for item in inputs:
        result = compute_contract_year(item)
        for line in result.lines:
            characters += len(line.to_dict()["explanation"])
            lines += 1
    return lines, characters


def flat_grid() -> dict[tuple[str, int, str], float]:
    """The grid as a spreadsheet holds it: one float per (grid, size, line)."""
    tree = default_tree()
    grid: dict[tuple[str, int, str], float] = {}
    for day in tree.parameter("agreement.grid_version").dates:
        version = tree.at("agreement.grid_version", day).text()
        for parameter in tree:
            if parameter.path.rsplit(".", 1)[-1].startswith("size_"):
                value = parameter.at(day)
                if value is not None and parameter.unit == "currency-EUR":
                    size = int(parameter.path.rsplit("_", 1)[-1])
                    grid[(version, size, parameter.path.rsplit(".", 1)[0])] = float(value.decimal())
    return grid


def run_baseline(inputs: list[ContractYearInput], grid: dict[tuple[str, int, str], float]) -> float:
    total = 0.0
    for item in inputs:
        start = contract_year(item.signed, item.contract_year).start
        version = "avenant-2" if start >= dt.date(2022, 4, 1) else "aci-2019"
        p = item.population
        size = 1 if p < 40_000 else 2 if p < 80_000 else 3 if p <= 175_000 else 4
        total += grid[(version, size, "functioning.base")]
        for mission in item.missions:
            code = mission.mission.value
            if mission.mission is Mission.CRISIS:
                total += grid[(version, size, "missions.crisis.fixed_first_year")]
                continue
            total += grid[(version, size, f"missions.{code}.fixed")]
            total += grid[(version, size, f"missions.{code}.variable")] * float(
                mission.achievement.ratio
            )
    return total


def timed(function, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    default_tree()
    load = time.perf_counter() - start
    inputs = campaign()
    grid = flat_grid()
    lines, _ = run_engine(inputs)  # warm-up (parameter cache, imports)
    engine, baseline = [], []
    for _ in range(args.runs):
        engine.append(timed(run_engine, inputs))
        baseline.append(timed(run_baseline, inputs, grid))
    engine_median, baseline_median = statistics.median(engine), statistics.median(baseline)
    report = {
        "date": dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "contract_years": len(inputs),
        "lines": lines,
        "runs": args.runs,
        "parameters_load_s": round(load, 4),
        "engine_median_s": round(engine_median, 4),
        "engine_min_s": round(min(engine), 4),
        "engine_max_s": round(max(engine), 4),
        "baseline_median_s": round(baseline_median, 4),
        "ratio_engine_over_baseline": round(engine_median / baseline_median, 1),
        "target_s": 1.0,
        "meets_target": engine_median < 1.0,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
