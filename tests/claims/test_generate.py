"""The synthetic claims generator: schemas, determinism, territory, proportions, chunking.

One generation of 20,000 beneficiaries over 2024, shared by the module (about 350,000 rows, a
second or two); the expected figures are reasoned from the module's constants in each test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from cpts.claims import generate as generator
from cpts.claims import residence
from cpts.claims.generate import GenerationError, generate
from cpts.claims.schema import TABLES

START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
#: Real INSEE codes and legal populations (rounded): Paris 1er and 18e, Ajaccio, Saint-Denis
#: (La Réunion), Lille, L'Abergement-Clémenciat (a village).
COMMUNES = [
    ("75101", 15_900),
    ("75118", 187_000),
    ("2A004", 74_000),
    ("97411", 155_000),
    ("59350", 236_000),
    ("01001", 860),
]
PEOPLE = 20_000
CHUNK = 5_000  # small, so that every month is written in several chunks


def run(out: Path, **options: Any) -> generator.Summary:
    arguments: dict[str, Any] = {"beneficiaries": PEOPLE, "seed": 7, "chunk_rows": CHUNK}
    arguments.update(options)
    return generate(out, COMMUNES, START, END, **arguments)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, generator.Summary]:
    out = tmp_path_factory.mktemp("claims") / "out"
    return out, run(out, file_rows=20_000)


@pytest.fixture(scope="module")
def sql(generated: tuple[Path, generator.Summary]) -> Callable[[str], list[tuple[Any, ...]]]:
    out, _ = generated
    connection = duckdb.connect()
    for table in TABLES:
        connection.execute(
            f"create view {table} as select * from read_parquet('{out}/{table}/*.parquet')"
        )

    def query(text: str) -> list[tuple[Any, ...]]:
        return connection.execute(text).fetchall()

    return query


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


def content(folder: Path) -> dict[str, str]:
    """A hash of each table's rows in order, whatever the files and row groups."""
    hashes = {}
    for table in TABLES:
        data = pq.read_table(sorted((folder / table).glob("*.parquet")))
        hashes[table] = hashlib.sha256(
            b"".join(str(column.to_pylist()).encode() for column in data.columns)
        ).hexdigest()
    return hashes


def test_every_file_has_the_exact_schema_of_its_table(
    generated: tuple[Path, generator.Summary],
) -> None:
    out, summary = generated
    assert sorted(path.name for path in out.iterdir()) == sorted(TABLES)
    for table, expected in TABLES.items():
        files = sorted((out / table).glob("*.parquet"))
        assert len(files) == summary.files[table] >= 1
        for path in files:
            assert pq.read_schema(path).remove_metadata().equals(expected.arrow_schema), path
    assert summary.rows["IR_BEN_R"] == summary.beneficiaries == PEOPLE


def test_same_seed_same_bytes_another_seed_other_data(
    generated: tuple[Path, generator.Summary], tmp_path: Path
) -> None:
    out, _ = generated
    again = run(tmp_path / "again", file_rows=20_000)
    assert digest(again.out) == digest(out)
    other = run(tmp_path / "other", seed=8, file_rows=20_000)
    assert content(other.out)["ER_PRS_F"] != content(out)["ER_PRS_F"]
    assert content(other.out)["IR_BEN_R"] != content(out)["IR_BEN_R"]


def test_the_chunk_size_changes_row_groups_never_the_content(
    generated: tuple[Path, generator.Summary], tmp_path: Path
) -> None:
    out, _ = generated
    big = run(tmp_path / "big", chunk_rows=10_000_000)
    assert content(big.out) == content(out)
    small_groups = sum(pq.ParquetFile(p).num_row_groups for p in (out / "ER_PRS_F").iterdir())
    big_groups = sum(pq.ParquetFile(p).num_row_groups for p in (big.out / "ER_PRS_F").iterdir())
    assert big_groups == 12  # one per month
    # About 345,000 rows in chunks of 5,000 (a chunk ends with the day that fills it): some 70.
    assert 60 <= small_groups <= 12 + 345_000 // CHUNK


def test_claims_are_in_files_per_month_sorted_by_day_in_row_groups(
    generated: tuple[Path, generator.Summary],
) -> None:
    out, summary = generated
    files = sorted((out / "ER_PRS_F").glob("*.parquet"))
    # A month has about 29,000 rows: 20,000 rows per file give two files a month.
    assert [path.name for path in files][:3] == [
        "2024-01-000.parquet",
        "2024-01-001.parquet",
        "2024-02-000.parquet",
    ]
    assert len(files) == summary.files["ER_PRS_F"]
    months = sorted({path.name[:7] for path in files})
    assert months == [f"2024-{month:02d}" for month in range(1, 13)]
    for month in months:
        sizes = [pq.ParquetFile(p).metadata.num_rows for p in files if p.name.startswith(month)]
        # A new file starts once 20,000 rows are written, at the end of a chunk.
        assert all(20_000 <= size < 20_000 + 2 * CHUNK for size in sizes[:-1]), month
        assert sum(sizes) < 20_000 + 2 * CHUNK or len(sizes) >= 2
    assert len(files) > 12  # most months have two files
    previous_max = dt.date(2023, 12, 31)
    largest_day = 0
    for path in files:
        parquet = pq.ParquetFile(path)
        days = parquet.read(columns=["EXE_SOI_DTD"]).column(0).to_numpy()
        assert (np.diff(days.astype("int64")) >= 0).all()
        assert {str(day)[:7] for day in days} == {path.name[:7]}
        largest_day = max(largest_day, int(np.unique(days, return_counts=True)[1].max()))
        for group in range(parquet.num_row_groups):
            statistics = parquet.metadata.row_group(group).column(2).statistics
            assert statistics.min > previous_max  # row groups never overlap: engines skip them
            previous_max = statistics.max
            assert parquet.metadata.row_group(group).num_rows < CHUNK + largest_day
    assert previous_max <= END


def test_residences_are_the_communes_given_in_the_snds_encoding(
    sql: Callable[[str], list[tuple[Any, ...]]], generated: tuple[Path, generator.Summary]
) -> None:
    _, summary = generated
    known = frozenset(code for code, _ in COMMUNES)
    pairs = sql("select BEN_RES_DPT, BEN_RES_COM, count(*) from IR_BEN_R group by all")
    counts: dict[str | None, int] = {}
    for departement, commune, count in pairs:
        code = residence.decode(departement, commune, known)
        counts[code] = counts.get(code, 0) + count
    assert ("209", "004", counts["2A004"]) in pairs  # Ajaccio, with its pre-1976 code
    assert ("097", "411", counts["97411"]) in pairs  # Saint-Denis, general scheme
    assert ("075", "118", counts["75118"]) in pairs
    # 0.5 % unknown: 100 of 20,000, give or take a household cut at a block's edge (3 children).
    unknown = counts.pop(None)
    assert unknown == summary.unknown_residences
    assert abs(unknown - 100) <= 3
    # Each commune gets its share of the 19,900 known residences: exact to one (largest
    # remainders), plus at most the three children of a household cut at each edge of its block.
    total = sum(population for _, population in COMMUNES)
    for code, population in COMMUNES:
        expected = population / total * (PEOPLE - 100)
        assert abs(counts.get(code, 0) - expected) <= 4, code
    assert counts["01001"] in range(22, 31)  # 860 inhabitants: about 26 beneficiaries


def test_ages_sexes_and_deaths_are_plausible(sql: Callable[[str], list[tuple[Any, ...]]]) -> None:
    ((under_15, over_65, women, dead, outside),) = sql(
        """select avg((BEN_NAI_ANN > 2009)::int), avg((BEN_NAI_ANN <= 1959)::int),
                  avg((BEN_SEX_COD = 2)::int), avg((BEN_DCD_DTE <> '1600-01-01')::int),
                  count(*) filter (where BEN_DCD_DTE <> '1600-01-01'
                                   and BEN_DCD_DTE not between '2024-01-01' and '2024-12-31')
           from IR_BEN_R"""
    )
    assert 0.155 <= under_15 <= 0.185  # the pyramid gives 17.0 %
    assert 0.20 <= over_65 <= 0.235  # 21.7 %
    assert 0.495 <= women <= 0.535  # 51.6 %
    # 0.93 % a year: 186 of 20,000, binomial standard deviation 14.
    assert 0.0065 <= dead <= 0.012
    assert outside == 0
    # Nobody has care after death.
    ((late,),) = sql(
        """select count(*) from ER_PRS_F p join IR_BEN_R b using (BEN_NIR_PSA, BEN_RNG_GEM)
           where b.BEN_DCD_DTE <> '1600-01-01' and p.EXE_SOI_DTD > b.BEN_DCD_DTE"""
    )
    assert late == 0


def test_children_share_a_parents_number_with_ranks(
    sql: Callable[[str], list[tuple[Any, ...]]], generated: tuple[Path, generator.Summary]
) -> None:
    _, summary = generated
    ((numbers, shared, bad_ranks, old_children, young_parents, split),) = sql(
        """with n as (
             select BEN_NIR_PSA, count(*) k, max(BEN_RNG_GEM) top,
                    max(case when BEN_RNG_GEM > 1 then 2024 - BEN_NAI_ANN end) oldest_child,
                    max(case when BEN_RNG_GEM = 1 then 2024 - BEN_NAI_ANN end) parent,
                    count(distinct BEN_RES_DPT || BEN_RES_COM) homes
             from IR_BEN_R group by 1)
           select count(*), count(*) filter (where k > 1), count(*) filter (where top <> k),
                  count(*) filter (where oldest_child >= 18),
                  count(*) filter (where k > 1 and parent < 25),
                  count(*) filter (where homes > 1)
           from n"""
    )
    assert numbers == summary.numbers
    assert 0.09 <= shared / numbers <= 0.11  # SHARED_NIR_SHARE
    assert bad_ranks == 0  # ranks 1..k, each once
    assert old_children == 0
    assert young_parents == 0
    assert split == 0  # a household lives in one commune
    assert sql("select max(BEN_RNG_GEM) from IR_BEN_R")[0][0] <= 4


def test_ald_and_other_exemptions(sql: Callable[[str], list[tuple[Any, ...]]]) -> None:
    rows = sql(
        """select 2024 - b.BEN_NAI_ANN >= 75 old, 2024 - b.BEN_NAI_ANN < 40 young,
                  count(distinct (b.BEN_NIR_PSA, b.BEN_RNG_GEM)) filter (
                      where i.IMB_ETM_NAT in (41, 43, 45)) ald,
                  count(distinct (b.BEN_NIR_PSA, b.BEN_RNG_GEM)) people
           from IR_BEN_R b left join IR_IMB_R i using (BEN_NIR_PSA, BEN_RNG_GEM)
           group by all"""
    )
    ald = sum(row[2] for row in rows)
    people = sum(row[3] for row in rows)
    assert 0.16 <= ald / people <= 0.20  # ALD_SHARE 18 %
    old = sum(row[2] for row in rows if row[0]) / sum(row[3] for row in rows if row[0])
    young = sum(row[2] for row in rows if row[1]) / sum(row[3] for row in rows if row[1])
    assert old > 5 * young  # 52 % against 2 to 5 %, scaled alike
    reasons = dict(sql("select IMB_ETM_NAT, count(*) from IR_IMB_R group by 1"))
    assert reasons[41] > 10 * (reasons[43] + reasons[45]) / 2
    assert {13, 47, 55, 62} <= set(reasons)  # other reasons, not ALD
    ends = dict(
        sql(
            """select case when IMB_ALD_DTF = '1600-01-01' then 'open'
                           when IMB_ALD_DTF = '2099-12-31' then '2099'
                           when IMB_ALD_DTF < '2024-01-01' then 'before'
                           when IMB_ALD_DTF <= '2024-12-31' then 'during' else 'later' end, count(*)
               from IR_IMB_R where IMB_ETM_NAT in (41, 43, 45) group by 1"""
        )
    )
    assert set(ends) == {"open", "2099", "before", "during", "later"}
    assert ends["open"] > sum(ends.values()) / 2
    numbers = {row[0] for row in sql("select IMB_ALD_NUM from IR_IMB_R where IMB_ETM_NAT = 41")}
    assert numbers <= set(range(1, 31))
    assert {8, 30} <= numbers
    ((bad,),) = sql(
        "select count(*) from IR_IMB_R where IMB_ALD_DTF <> '1600-01-01' and IMB_ALD_DTF <= IMB_ALD_DTD"
    )
    assert bad == 0


def test_medecin_traitant_declarations(sql: Callable[[str], list[tuple[Any, ...]]]) -> None:
    ((adults, declared, histories, overlapping, unknown_doctors),) = sql(
        """with adults as (select * from IR_BEN_R where 2024 - BEN_NAI_ANN >= 16),
                open_at_start as (
                  select distinct BEN_NIR_PSA, BEN_RNG_GEM from IR_MTT_R
                  where MTT_DEP_DTE < '2024-01-01'
                    and (MTT_FIN_DTE = '1600-01-01' or MTT_FIN_DTE >= '2024-01-01'))
           select (select count(*) from adults),
                  (select count(*) from adults join open_at_start using (BEN_NIR_PSA, BEN_RNG_GEM)),
                  (select count(*) from IR_MTT_R where MTT_FIN_DTE <> '1600-01-01'),
                  (select count(*) from IR_MTT_R a join IR_MTT_R b using (BEN_NIR_PSA, BEN_RNG_GEM)
                   where a.MTT_DEP_DTE < b.MTT_DEP_DTE
                     and (a.MTT_FIN_DTE = '1600-01-01' or a.MTT_FIN_DTE > b.MTT_DEP_DTE)),
                  (select count(*) from IR_MTT_R where MTT_PFS_NUM not in (select PFS_PFS_NUM from DA_PRA_R))"""
    )
    # Some 16-year-olds turn 16 later in 2024 by the birth-year count; 88 % in all.
    assert 0.86 <= declared / adults <= 0.90
    assert histories > 0.1 * adults  # earlier declarations, changes, deaths, ended ones
    assert overlapping == 0
    assert unknown_doctors == 0


def test_claims_volume_natures_and_professionals(
    sql: Callable[[str], list[tuple[Any, ...]]], generated: tuple[Path, generator.Summary]
) -> None:
    _, summary = generated
    assert summary.rows["ER_PRS_F"] == sql("select count(*) from ER_PRS_F")[0][0]
    # 17 rows per person a year, fewer for the 1 % who die, plus vaccinations and kits.
    assert 16.0 <= summary.rows["ER_PRS_F"] / PEOPLE <= 18.5
    ((outside, unknown_professionals, bad_numbers),) = sql(
        """select count(*) filter (where EXE_SOI_DTD not between '2024-01-01' and '2024-12-31'),
                  count(*) filter (where PFS_EXE_NUM not in (select PFS_PFS_NUM from DA_PRA_R)),
                  count(*) filter (where length(PFS_EXE_NUM) <> 8)
           from ER_PRS_F"""
    )
    assert (outside, unknown_professionals, bad_numbers) == (0, 0, 0)
    # 441 professionals per 100,000 people (PROFESSIONS), each kind rounded: 88 for 20,000.
    assert summary.professionals == sql("select count(*) from DA_PRA_R")[0][0] == 88
    natures = dict(sql("select PRS_NAT_REF, count(*) from ER_PRS_F group by 1"))
    assert natures[1110] > natures[1211] > 0  # consultations, visits
    assert {1933, 1935, 1941, 1945, 3331, 3360, 1163, 3313} <= set(natures)
    nomenclature = Path("/work/shared/snds/nomenclatures/IR_NAT_V.csv")
    if nomenclature.exists():
        codes = {int(line.split(";")[0]) for line in nomenclature.read_text().splitlines()[1:]}
        assert set(natures) <= codes


def test_regulated_care_majorations_come_at_weekends_or_at_night(
    sql: Callable[[str], list[tuple[Any, ...]]],
) -> None:
    days = dict(
        sql(
            """select PRS_NAT_REF, list(distinct isodow(EXE_SOI_DTD)) from ER_PRS_F
               where PRS_NAT_REF in (1935, 1938, 1941, 1942) group by 1"""
        )
    )
    assert days[1935] == [7]  # CRD: Sundays
    assert days[1941] == [6]  # CRS: Saturdays
    ((share,),) = sql(
        "select avg((PRS_NAT_REF between 1933 and 1945 and PRS_NAT_REF <> 1939)::int) from ER_PRS_F"
    )
    assert 0 < share < 0.005  # rare


def test_flu_vaccination_and_screening(sql: Callable[[str], list[tuple[Any, ...]]]) -> None:
    ((vaccinated,),) = sql(
        """select avg((BEN_NIR_PSA, BEN_RNG_GEM) in (
                    select (BEN_NIR_PSA, BEN_RNG_GEM) from ER_PRS_F
                    where PRS_NAT_REF = 3331 and EXE_SOI_DTD >= '2024-10-15')::int)
           from IR_BEN_R where 2024 - BEN_NAI_ANN >= 65 and BEN_DCD_DTE = '1600-01-01'"""
    )
    # 54 % of the 65+, 98 % of the season's doses by 31 December (mean delay 20 days of 77).
    assert 0.49 <= vaccinated <= 0.57
    months = dict(
        sql("select month(EXE_SOI_DTD), count(*) from ER_PRS_F where PRS_NAT_REF = 3331 group by 1")
    )
    assert set(months) <= {1, 10, 11, 12}  # the campaign: mid-October to January
    ((screened,),) = sql(
        """select avg((BEN_NIR_PSA, BEN_RNG_GEM) in (
                    select (BEN_NIR_PSA, BEN_RNG_GEM) from ER_PRS_F where PRS_NAT_REF = 1163)::int)
           from IR_BEN_R where 2024 - BEN_NAI_ANN between 50 and 74"""
    )
    assert 0.12 <= screened <= 0.19  # 1 - exp(-0.17) = 15.6 % in one year


def test_information_rows_and_regularisations(sql: Callable[[str], list[tuple[Any, ...]]]) -> None:
    ((rows, information, paid_information, negative, unmatched, negative_net),) = sql(
        """with negatives as (select * from ER_PRS_F where PRS_ACT_QTE < 0)
           select (select count(*) from ER_PRS_F),
                  (select count(*) from ER_PRS_F where DPN_QLF = 71),
                  (select count(*) from ER_PRS_F where DPN_QLF = 71 and BSE_REM_MNT <> 0),
                  (select count(*) from negatives),
                  (select count(*) from negatives n where not exists (
                      select 1 from ER_PRS_F p where p.BEN_NIR_PSA = n.BEN_NIR_PSA
                        and p.BEN_RNG_GEM = n.BEN_RNG_GEM and p.EXE_SOI_DTD = n.EXE_SOI_DTD
                        and p.PRS_NAT_REF = n.PRS_NAT_REF and p.PFS_EXE_NUM = n.PFS_EXE_NUM
                        and p.PRS_ACT_QTE = -n.PRS_ACT_QTE and p.PRS_PAI_MNT = -n.PRS_PAI_MNT
                        and p.FLX_DIS_DTD < n.FLX_DIS_DTD)),
                  (select count(*) from (
                      select sum(PRS_ACT_QTE) q from ER_PRS_F
                      group by BEN_NIR_PSA, BEN_RNG_GEM, EXE_SOI_DTD, PRS_NAT_REF, PFS_EXE_NUM)
                   where q < 0)"""
    )
    assert 0.015 <= information / rows <= 0.025  # INFORMATION_SHARE 2 %
    assert paid_information == 0
    assert negative == round(rows * 0.01)  # exactly REGULARISATION_SHARE of the rows
    assert unmatched == 0  # each cancels an earlier row of the same act
    assert negative_net == 0  # counting acts as the sum of quantities never goes below zero
    ((wrong,),) = sql(
        "select count(*) from ER_PRS_F where abs(BSE_REM_MNT) > abs(PRS_PAI_MNT) + 0.001 or EXE_SOI_DTF < EXE_SOI_DTD or FLX_DIS_DTD <= EXE_SOI_DTD"
    )
    assert wrong == 0


def test_rows_fixes_the_claims_count_exactly(tmp_path: Path) -> None:
    summary = generate(
        tmp_path / "rows", COMMUNES, dt.date(2024, 3, 1), dt.date(2024, 4, 30), rows=30_000, seed=1
    )
    assert summary.rows["ER_PRS_F"] == 30_000
    # 30,000 rows over 61 days at 17 a year: about 10,700 beneficiaries.
    assert 10_000 <= summary.beneficiaries <= 11_500
    assert summary.files["ER_PRS_F"] == 2


def test_default_population_is_the_legal_population_at_most_200000(tmp_path: Path) -> None:
    small = generate(
        tmp_path / "small", [("01001", 860)], dt.date(2024, 1, 1), dt.date(2024, 1, 31), seed=1
    )
    assert small.beneficiaries == 860
    assert generator.DEFAULT_BENEFICIARIES == 200_000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start": END, "end": START}, "commence après sa fin"),
        ({"beneficiaries": 10, "rows": 10}, "pas les deux"),
        ({"beneficiaries": 0}, "doit être positif"),
        ({"rows": -5}, "doit être positif"),
        ({"communes": []}, "aucune commune"),
        ({"communes": [("7510", 10)]}, "code INSEE invalide"),
        ({"communes": [("01001", 0)]}, "aucun habitant"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_written(
    tmp_path: Path, arguments: dict[str, Any], message: str
) -> None:
    options: dict[str, Any] = {"communes": COMMUNES, "start": START, "end": END, "seed": 1}
    options.update(arguments)
    with pytest.raises(GenerationError, match=message):
        generate(
            tmp_path / "out", options.pop("communes"), options.pop("start"), options.pop("end"),
            **options,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_folder_is_kept_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("à garder")
    small = [("01001", 860)]
    with pytest.raises(GenerationError, match="n'est pas vide"):
        generate(out, small, START, dt.date(2024, 1, 10), seed=1)
    assert (out / "mine.txt").exists()
    generate(out, small, START, dt.date(2024, 1, 10), seed=1, overwrite=True)
    assert sorted(path.name for path in out.iterdir()) == sorted(TABLES)


def test_a_failure_halfway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(generator, "_write_claims", broken)
    with pytest.raises(OSError, match="No space left"):
        generate(tmp_path / "out", [("01001", 860)], START, dt.date(2024, 1, 10), seed=1)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_up_to_the_total(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    summary = generate(
        tmp_path / "out", [("01001", 860)], START, dt.date(2024, 2, 29), seed=1,
        chunk_rows=500, progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert len(calls) > 2
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (summary.rows["ER_PRS_F"], summary.rows["ER_PRS_F"])
