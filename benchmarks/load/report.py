"""Figures of a locust run (its ``--csv`` statistics): p50, p95, p99 per endpoint and errors,
against the target (p95 under 150 ms, no error). Exit code 1 when the target is missed.

    python benchmarks/load/report.py var/load/result_stats.csv [--markdown]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

TARGET_P95_MS = 150


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else Path("var/load/result_stats.csv")
    markdown = "--markdown" in argv
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    endpoints = [row for row in rows if row["Name"] != "Aggregated"]
    endpoints.sort(key=lambda row: -float(row["95%"] or 0))
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    header = ("endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")
    lines = []
    for row in [*endpoints, *([total] if total else [])]:
        lines.append(
            (
                row["Name"] if row is not total else "all",
                row["Request Count"],
                row["Failure Count"],
                row["50%"],
                row["95%"],
                row["99%"],
                f"{float(row['Max Response Time']):.0f}",
            )
        )
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
        for line in [header, *lines]:
            print(
                "  ".join(str(cell).rjust(width) for cell, width in zip(line, widths, strict=True))
            )
    slow = [row["Name"] for row in endpoints if float(row["95%"] or 0) > TARGET_P95_MS]
    errors = sum(int(row["Failure Count"]) for row in endpoints)
    print(
        f"\nObjectif p95 < {TARGET_P95_MS} ms : "
        + ("atteint" if not slow else f"manqué pour {', '.join(slow)}")
        + f" ; erreurs : {errors}."
    )
    return 0 if not slow and not errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
