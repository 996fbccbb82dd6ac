"""Synthetic claims shaped like the SNDS, deterministic from a seed, for a set of communes.

``generate(out, communes, start, end, seed=...)`` writes ``out/<TABLE>/*.parquet`` for the five
tables of :mod:`cpts.claims.schema`, with their exact Arrow schemas:

- ``IR_BEN_R``: one row per beneficiary: birth year, sex, death date, residence encoded as the SNDS
  encodes it (:func:`cpts.claims.residence.encode`), plus a small share of unknown residences;
- ``IR_IMB_R``: exemptions (ALD and a few other reasons), ``IR_MTT_R``: médecin traitant
  declarations, both with histories that start before ``start``;
- ``DA_PRA_R``: the professionals whose numbers appear in ``PFS_EXE_NUM`` and ``MTT_PFS_NUM``;
- ``ER_PRS_F``: the claims, one file or a few per month of care (``ER_PRS_F/2024-01-000.parquet``),
  rows in order of ``EXE_SOI_DTD`` so that an engine skips row groups by their statistics.

How it stays fast and bounded: the population (a few arrays of one entry per beneficiary) is built
once, vectorised; the claims are built one *day* at a time (a day with more than
:data:`PIECE_ROWS` rows in pieces), every column by numpy at once, never a Python loop per row;
days are gathered into chunks of about ``chunk_rows`` rows, each written as one row group and
dropped. Each day (and piece) draws from its own random generator, seeded by the seed and the
day: the content does not depend on ``chunk_rows`` (only the row groups do), and the same seed
and arguments give byte-identical files.

Every proportion is a module constant below, with its public source; where none exists, the
comment says it is an assumption.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import residence
from .schema import NO_DATE, TABLES

# --- Population -----------------------------------------------------------------------------------

#: Age pyramid, France, 1 January 2024, by 5-year band (0-4, 5-9, ..., 95-99), in % (INSEE,
#: « Pyramide des âges », bilan démographique 2023, rounded): 17 % under 15, 22 % aged 65 or more.
AGE_PYRAMID = (
    5.2, 5.7, 6.2, 6.2, 5.8, 5.5, 6.0, 6.3, 6.3, 6.2,
    6.6, 6.6, 6.2, 5.8, 5.5, 4.4, 3.0, 2.0, 0.9, 0.3,
)  # fmt: skip
#: Share of women by age band (INSEE, same pyramid: 51.6 % overall, 2 in 3 at 85 and over):
#: (upper age excluded, share of women).
WOMEN_SHARE = ((60, 0.49), (75, 0.53), (85, 0.58), (200, 0.68))
#: Deaths per year, all ages: 639,000 for 68.4 million people in 2023 (INSEE), about 0.93 %.
DEATH_RATE = 0.0093
#: Mortality doubles about every 7.3 years of age (Gompertz law, slope 0.095 a year; an
#: approximation of INSEE's life tables after 30, which overstates it for children).
GOMPERTZ_SLOPE = 0.095
#: Share of BEN_NIR_PSA shared by several beneficiaries: a parent (rank 1) and the children
#: covered as dependants (ranks 2, 3...). Assumption, as the brief asks (about 10 %).
SHARED_NIR_SHARE = 0.10
#: Children per shared number: 1, 2 or 3 (assumption, close to families' sizes in France).
CHILDREN_PER_NIR = ((1, 0.50), (2, 0.35), (3, 0.15))
#: Among numbers with two children or more, the share of twins (same birth year, consecutive ranks):
#: about 1.7 % of births are twins (INSEE); raised to 5 % so that small samples show some.
TWINS_SHARE = 0.05
#: Residences that cannot be rebuilt into a commune (000, 099, 999, or a pair naming none):
#: assumption, « a small share » (SNDS documentation: these codes exist; their share is not public).
UNKNOWN_RESIDENCE_SHARE = 0.005
#: Default number of beneficiaries: the legal population of the communes, at most this.
DEFAULT_BENEFICIARIES = 200_000

# --- Long-term conditions (ALD) and médecin traitant ----------------------------------------------

#: People in ALD: 13.8 million of about 68 million covered people in 2022, about 20 % (Assurance
#: Maladie, « Effectifs de patients en ALD »); 18 % as the brief asks. Rising with age; the
#: relative figures by age are an assumption shaped on the same source (half of people over 75).
ALD_SHARE = 0.18
ALD_BY_AGE = ((15, 0.02), (40, 0.05), (60, 0.15), (75, 0.34), (200, 0.52))
#: Share of ALD patients with a second ALD (polypathology; assumption).
SECOND_ALD_SHARE = 0.25
#: IMB_ETM_NAT of an ALD row: 41 (listed ALD) most often, 43 (off-list), 45 (polypathology)
#: (assumption: Assurance Maladie counts about 9 in 10 in the list).
ALD_REASONS = ((41, 0.88), (43, 0.06), (45, 0.06))
#: The ALD (IMB_ALD_NUM, IR_ALD_V) and their share of patients, with a usual CIM-10 code
#: (Assurance Maladie, ALD prevalence 2022: cancers, diabetes, cardiovascular, psychiatric first).
ALD_NUMBERS = (
    (30, 0.23, "C50"), (8, 0.24, "E11"), (5, 0.09, "I50"), (13, 0.08, "I25"),
    (23, 0.10, "F32"), (3, 0.04, "I70"), (15, 0.03, "G30"), (9, 0.03, "G40"),
    (1, 0.03, "I63"), (14, 0.02, "J44"), (16, 0.02, "G20"), (22, 0.015, "M05"),
    (19, 0.015, "N18"), (25, 0.01, "G35"), (24, 0.01, "K50"), (6, 0.01, "K74"),
    (7, 0.01, "B20"), (12, 0.01, "I10"), (27, 0.005, "M45"), (21, 0.005, "M32"),
)  # fmt: skip
#: End of an ALD row (IMB_ALD_DTF): open (1600-01-01), open written 2099-12-31 (old rows), an end
#: after the period (granted for a duration), ended before the period, ended during it.
#: Assumption (the SNDS documentation names these cases, not their shares).
ALD_ENDS = (("open", 0.62), ("2099", 0.10), ("later", 0.13), ("before", 0.08), ("during", 0.07))
#: Share of ALD rows that start during the period (new ALD; assumption).
NEW_ALD_SHARE = 0.08
#: Other exemption reasons, not ALD (IR_ETM_V): 13 invalidity, 55 maternity, 47 ALD that does
#: not exempt (article L324), 62 other; on 3 % of people (assumption).
OTHER_EXEMPTIONS = ((13, 0.4), (55, 0.2), (47, 0.2), (62, 0.2))
OTHER_EXEMPTION_SHARE = 0.03
#: Adults (16 and over: the age of the médecin traitant's rule) with a declared médecin traitant:
#: 88 % (Assurance Maladie 2023: about 6 million adults without one, of 54 million).
MTT_SHARE = 0.88
MTT_AGE = 16
#: Of them, those with an earlier declaration, ended when they changed doctor (assumption),
MTT_PREVIOUS_SHARE = 0.10
#: those who change doctor during the period (assumption),
MTT_CHANGE_SHARE = 0.03
#: and adults whose only declaration ended before the period (doctor retired; assumption).
MTT_ENDED_ONLY_SHARE = 0.03
#: The médecin traitant declaration exists since 2005 (loi du 13 août 2004).
MTT_FIRST_DAY = dt.date(2005, 1, 1)

# --- Claims ---------------------------------------------------------------------------------------

#: ER_PRS_F rows per person and year, all ages (assumption: the DCIR holds about 1.2 billion rows of
#: ambulatory care a year for 67 million people, about 17 to 18).
MEAN_ACTS_PER_YEAR = 17.0
#: Relative number of acts by age (upper age excluded; assumption shaped on the Assurance
#: Maladie's consumption by age: small children and the old consume most).
ACTS_BY_AGE = (
    (5, 1.1),
    (15, 0.55),
    (30, 0.55),
    (50, 0.75),
    (65, 1.0),
    (75, 1.5),
    (85, 2.0),
    (200, 2.4),
)
#: People in ALD consume about twice as much at the same age (assumption).
ALD_ACTS_FACTOR = 1.8
#: Spread of consumption between people of the same age and ALD status (a gamma law of mean 1
#: and this shape: a few heavy consumers; assumption).
ACTS_GAMMA_SHAPE = 1.5
#: Relative number of acts by day of the week (Monday..Sunday) and month (January..December):
#: fewer at weekends, more in winter (assumption).
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.08)
MONTH_WEIGHTS = (1.15, 1.1, 1.05, 1.0, 0.95, 0.95, 0.85, 0.75, 0.95, 1.05, 1.1, 1.1)
#: Influenza vaccination: 54 % of people aged 65 and over, 25 % of people under 65 at risk (here:
#: in ALD), season 2023-2024 (Santé publique France, « Couverture vaccinale grippe »). The campaign
#: runs from mid-October to the end of January, most doses in its first weeks (mean 20 days after
#: its start, assumption). Each vaccination is the vaccine dispensed (3331) and, for 40 % of them,
#: the injection by the pharmacist (3360 VGP) the same day (assumption).
FLU_SHARE_65 = 0.54
FLU_SHARE_AT_RISK = 0.25
FLU_CAMPAIGN = ((10, 15), (1, 31))  # (month, day) of its first and last day
FLU_MEAN_DELAY_DAYS = 20
FLU_BY_PHARMACIST = 0.40
#: Colorectal cancer screening (1163 KIT), people aged 50 to 74: 34 % in two years (Santé publique
#: France, participation 2022-2023), so about 17 % a year.
SCREENING_AGES = (50, 74)
SCREENING_RATE_PER_YEAR = 0.17
#: Rows sent for information only (DPN_QLF = 71) and regularisation rows (an earlier act cancelled:
#: same act, negative quantity and amounts, a later FLX_DIS_DTD): assumptions (« a few percent »).
INFORMATION_SHARE = 0.02
INFORMATION_QUALIFIER = 71
REGULARISATION_SHARE = 0.01
#: Share of a beneficiary's reimbursement at 100 % when in ALD (care related to the ALD;
#: assumption).
ALD_FULL_RATE_SHARE = 0.6
#: Share of a person's general practitioner acts done by the médecin traitant (assumption).
MTT_ACTS_SHARE = 0.75
#: A claim reaches the SNDS in the month after the care, sometimes later (assumption):
#: months after the month of care, and their shares.
FLOW_DELAYS = ((1, 0.80), (2, 0.15), (3, 0.03), (4, 0.01), (6, 0.01))

#: Kinds of professional: (key, digit of the professional number, professionals per 100,000
#: people, specialties). DREES, démographie des professionnels de santé 2023, liberal practice,
#: rounded: 85 general practitioners, 60 specialists, 145 nurses, 110 physiotherapists per
#: 100,000 people; about 20,000 pharmacies (30) and 4,000 laboratory sites (6); radiologists
#: (imaging) about 5. The digit of the number (department, digit, order number) is an assumption
#: shaped on the Assurance Maladie number; non-physicians have specialty 0 (« non renseigné »).
PROFESSIONS = (
    ("gp", "1", 85, (1,)),
    ("specialist", "1", 60, (3, 5, 7, 8, 11, 13, 14, 15, 32, 33, 12)),
    ("nurse", "6", 145, (0,)),
    ("physio", "6", 110, (0,)),
    ("pharmacy", "2", 30, (0,)),
    ("laboratory", "9", 6, (0,)),
    ("imaging", "1", 5, (6,)),
)
_KIND = {kind: index for index, (kind, *_rest) in enumerate(PROFESSIONS)}

#: Natures of claims (PRS_NAT_REF, IR_NAT_V), by whom, their price in euros, their
#: reimbursement rate, whether the amount varies (pharmacy, biology, imaging: a lognormal spread),
#: relative weight among the rows of a weekday, factors by age band (0-14, 15-44, 45-64, 65-79, 80+)
#: and by day (weekday, Saturday, Sunday), and a factor for people in ALD. Prices: the tariffs of
#: 2024 (G 26.50 then 30 euros, C 30, CS 31.50, V 30 + travel...), rounded; weights and factors are
#: assumptions shaped on the Assurance Maladie's yearly expenditure by item.
#: Regulated-care majorations (1933-1938, 1941, 1942, 1945) come at night, on Saturdays afternoon
#: or on Sundays, and are rare.
_N = (1.0, 1.0, 1.0, 1.0, 1.0)
NATURES: tuple[tuple[int, str, float, float, bool, float, tuple[float, ...], tuple[float, float, float], float], ...] = (
    (1110, "gp", 30.00, 0.70, False, 20.0, (1.2, 1.0, 1.0, 1.0, 0.8), (1.0, 0.8, 0.02), 1.0),  # G
    (1109, "gp", 30.00, 0.70, False, 4.0, (0.8, 1.0, 1.0, 1.0, 0.8), (1.0, 0.8, 0.02), 1.0),  # GS
    (1192, "gp", 25.00, 0.70, False, 1.5, (0.7, 1.5, 1.0, 0.6, 0.3), (1.0, 0.5, 0.02), 1.0),  # TCG
    (1211, "gp", 40.00, 0.70, False, 0.6, (0.3, 0.2, 0.5, 1.5, 6.0), (1.0, 0.6, 0.02), 1.5),  # V
    (1214, "gp", 70.00, 0.70, False, 0.2, (0.0, 0.0, 0.3, 1.5, 6.0), (1.0, 0.3, 0.0), 2.0),  # VL
    (1111, "specialist", 30.00, 0.70, False, 2.0, _N, (1.0, 0.3, 0.0), 1.0),  # C
    (1112, "specialist", 31.50, 0.70, False, 6.0, (0.6, 0.9, 1.1, 1.3, 1.0), (1.0, 0.3, 0.0), 1.3),  # CS
    (3313, "pharmacy", 22.00, 0.65, True, 20.0, (0.5, 0.8, 1.1, 1.4, 1.5), (1.0, 1.0, 0.05), 1.0),  # PH7
    (3312, "pharmacy", 12.00, 0.30, True, 6.0, (0.7, 1.0, 1.0, 1.1, 1.1), (1.0, 1.0, 0.05), 1.0),  # PH4
    (3341, "pharmacy", 10.00, 0.15, True, 2.0, (0.3, 1.0, 1.1, 1.2, 1.2), (1.0, 1.0, 0.05), 1.0),  # PH2
    (3311, "pharmacy", 60.00, 1.00, True, 3.0, (0.3, 0.5, 1.0, 1.5, 1.5), (1.0, 1.0, 0.05), 6.0),  # PH1
    (3111, "nurse", 9.45, 0.60, False, 5.0, (0.2, 0.4, 0.8, 2.0, 5.0), (1.0, 0.9, 0.8), 2.0),  # AMI
    (3112, "nurse", 12.00, 0.60, False, 2.0, (0.0, 0.0, 0.3, 2.0, 6.0), (1.0, 0.9, 0.8), 2.0),  # AIS
    (3122, "physio", 17.00, 0.60, False, 5.0, (0.3, 1.0, 1.2, 1.3, 1.2), (1.0, 0.3, 0.0), 1.0),  # AMK
    (3211, "laboratory", 25.00, 0.60, True, 10.0, (0.3, 0.9, 1.2, 1.4, 1.4), (1.0, 0.6, 0.02), 1.5),  # B
    (1351, "imaging", 40.00, 0.70, True, 2.5, (0.3, 0.8, 1.2, 1.4, 1.2), (1.0, 0.3, 0.0), 1.2),  # ADI
    (1324, "imaging", 55.00, 0.70, True, 1.5, (0.3, 1.0, 1.2, 1.2, 1.0), (1.0, 0.3, 0.0), 1.0),  # ADE
    (1933, "gp", 42.50, 0.70, False, 0.05, _N, (1.0, 1.0, 1.0), 1.0),  # CRN, night
    (1934, "gp", 51.50, 0.70, False, 0.02, _N, (1.0, 1.0, 1.0), 1.0),  # CRM, middle of the night
    (1935, "gp", 26.50, 0.70, False, 1.0, _N, (0.0, 0.0, 0.25), 1.0),  # CRD, Sundays
    (1936, "gp", 46.00, 0.70, False, 0.02, (0.5, 0.5, 1.0, 2.0, 4.0), (1.0, 1.0, 1.0), 1.0),  # VRN
    (1937, "gp", 55.00, 0.70, False, 0.01, (0.5, 0.5, 1.0, 2.0, 4.0), (1.0, 1.0, 1.0), 1.0),  # VRM
    (1938, "gp", 30.00, 0.70, False, 1.0, (0.5, 0.5, 1.0, 2.0, 4.0), (0.0, 0.0, 0.05), 1.0),  # VRD
    (1941, "gp", 26.50, 0.70, False, 1.0, _N, (0.0, 0.15, 0.0), 1.0),  # CRS, Saturdays
    (1942, "gp", 30.00, 0.70, False, 1.0, (0.5, 0.5, 1.0, 2.0, 4.0), (0.0, 0.03, 0.0), 1.0),  # VRS
    (1945, "gp", 15.00, 0.70, False, 0.04, _N, (1.0, 1.0, 0.5), 1.0),  # MRT
)  # fmt: skip
#: Natures of the events drawn per person (not among the general rows).
FLU_VACCINE, FLU_BY_PHARMACIST_ACT, SCREENING_KIT = 3331, 3360, 1163
EVENT_NATURES = (
    (FLU_VACCINE, "pharmacy", 9.00, 1.00, False),
    (FLU_BY_PHARMACIST_ACT, "pharmacy", 7.50, 1.00, False),
    (SCREENING_KIT, "gp", 30.00, 1.00, False),
)
#: Pharmacy rows hold 1 to 4 boxes (PRS_ACT_QTE; assumption); other rows 1.
PHARMACY_QUANTITIES = ((1, 0.60), (2, 0.25), (3, 0.10), (4, 0.05))
#: Series of nursing and physiotherapy care last up to two weeks (EXE_SOI_DTF; assumption).
SERIES_DAYS = 14

# --- Output ---------------------------------------------------------------------------------------

#: Rows of a day drawn at once (a day with more is drawn in pieces); a fixed figure, so that the
#: content does not depend on the chunk size.
PIECE_ROWS = 250_000
#: Rows per write (one row group each): memory holds about this many rows at once.
CHUNK_ROWS = 1_000_000
#: Rows per ER_PRS_F file; a month with more gets a few files (2024-01-000, 2024-01-001...).
FILE_ROWS = 20_000_000

_EPOCH = dt.date(1970, 1, 1)
_NO_DATE = (dt.date.fromisoformat(NO_DATE) - _EPOCH).days
_FAR_END = (dt.date(2099, 12, 31) - _EPOCH).days
_BANDS = (15, 45, 65, 80)  # age bands of NATURES: 0-14, 15-44, 45-64, 65-79, 80+
_UNKNOWN_PAIRS = (("000", "000"), ("999", "999"), ("099", None), (None, "000"))


class GenerationError(ValueError):
    """The arguments cannot give claims; the message is for the user, in French."""


@dataclass(frozen=True)
class Summary:
    """What :func:`generate` wrote."""

    out: Path
    rows: dict[str, int]
    files: dict[str, int]
    beneficiaries: int
    numbers: int  # distinct BEN_NIR_PSA
    unknown_residences: int
    professionals: int
    deaths: int
    communes: int
    start: dt.date
    end: dt.date
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "rows": self.rows,
            "files": self.files,
            "beneficiaries": self.beneficiaries,
            "numbers": self.numbers,
            "unknown_residences": self.unknown_residences,
            "professionals": self.professionals,
            "deaths": self.deaths,
            "communes": self.communes,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "seed": self.seed,
            **self.extra,
        }


# --- Helpers --------------------------------------------------------------------------------------


def _day(day: dt.date) -> int:
    return (day - _EPOCH).days


def _by_age(table: Sequence[tuple[int, float]], ages: np.ndarray) -> np.ndarray:
    uppers = np.array([upper for upper, _ in table])
    values = np.array([value for _, value in table])
    return values[np.searchsorted(uppers, ages, side="right")]


def _choice(rng: np.random.Generator, table: Sequence[tuple[Any, float]], size: int) -> np.ndarray:
    values = np.array([value for value, _ in table])
    weights = np.array([weight for _, weight in table], dtype=float)
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def _uniform_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A day drawn in [low, high] (inclusive) for each pair; high below low gives low."""
    span = np.maximum(high - low, 0) + 1
    return np.asarray(low + np.floor(rng.random(len(low)) * span).astype(np.int64))


def _hamilton(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (largest remainders: each share within 1)."""
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    left = total - int(counts.sum())
    if left:
        counts[np.argsort(-(exact - counts), kind="stable")[:left]] += 1
    return np.asarray(counts)


def _strings(codes: np.ndarray) -> pa.Array:
    """An Arrow string array from a 2-D uint8 array of ASCII codes (one row per string)."""
    count, width = codes.shape
    offsets = np.arange(count + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(codes).tobytes())
    )


_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def _numbers(count: int, seed: int) -> pa.Array:
    """``count`` distinct pseudonymous numbers of 16 characters, looking random.

    Index ``i`` goes through the SplitMix64 finaliser, a bijection of 64-bit integers (xor-shifts
    and multiplications by odd numbers), so that the numbers are distinct by construction.
    """
    with np.errstate(over="ignore"):
        x = np.arange(count, dtype=np.uint64) + np.uint64(seed % (1 << 63)) * np.uint64(
            0x9E3779B97F4A7C15
        )
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    octets = x.astype(">u8").view(np.uint8).reshape(count, 8)
    nibbles = np.empty((count, 16), dtype=np.uint8)
    nibbles[:, 0::2] = octets >> 4
    nibbles[:, 1::2] = octets & 0xF
    return _strings(_HEX[nibbles])


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32())


# --- The population -------------------------------------------------------------------------------


@dataclass
class _Population:
    count: int
    birth_year: np.ndarray
    age: np.ndarray  # at the start of the period
    sex: np.ndarray  # 1 man, 2 woman
    death: np.ndarray  # day, or a day after the period
    anchor: np.ndarray  # the beneficiary whose number this one shares (itself if rank 1)
    rank: np.ndarray
    residence: np.ndarray  # index of the commune, or (from len(communes)) of an unknown pair
    unknown_pairs: list[tuple[str, str]]
    ald: np.ndarray  # bool
    rate: np.ndarray  # expected general rows a year
    group: np.ndarray  # row of the natures table: age band * 2 + ald
    mtt: np.ndarray  # professional index of the médecin traitant at the start, or -1


def _mortality(ages: np.ndarray) -> np.ndarray:
    """Yearly probability of death by age: a Gompertz law calibrated on DEATH_RATE."""
    pyramid = np.repeat(np.array(AGE_PYRAMID), 5) / sum(AGE_PYRAMID) / 5
    scale = DEATH_RATE / float((pyramid * np.exp(GOMPERTZ_SLOPE * np.arange(100))).sum())
    return np.minimum(scale * np.exp(GOMPERTZ_SLOPE * ages), 0.5)


def _ald_probability(ages: np.ndarray) -> np.ndarray:
    pyramid = np.repeat(np.array(AGE_PYRAMID), 5) / sum(AGE_PYRAMID) / 5
    mean = float((pyramid * _by_age(ALD_BY_AGE, np.arange(100))).sum())
    return np.minimum(_by_age(ALD_BY_AGE, ages) * ALD_SHARE / mean, 1.0)


def _acts_scale() -> float:
    """The factor that makes the mean of general rows MEAN_ACTS_PER_YEAR over the pyramid."""
    ages = np.arange(100)
    pyramid = np.repeat(np.array(AGE_PYRAMID), 5) / sum(AGE_PYRAMID) / 5
    ald = _ald_probability(ages)
    relative = _by_age(ACTS_BY_AGE, ages) * (1 + ald * (ALD_ACTS_FACTOR - 1))
    return MEAN_ACTS_PER_YEAR / float((pyramid * relative).sum())


def _people(
    rng: np.random.Generator, count: int, populations: np.ndarray, start: dt.date, end: dt.date
) -> _Population:
    first, last = _day(start), _day(end)
    years = (last - first + 1) / 365.25
    # Ages from the pyramid (uniform inside a 5-year band), sex by age.
    bands = rng.choice(len(AGE_PYRAMID), size=count, p=np.array(AGE_PYRAMID) / sum(AGE_PYRAMID))
    age = (bands * 5 + rng.integers(0, 5, size=count)).astype(np.int64)
    sex = np.where(rng.random(count) < _by_age(WOMEN_SHARE, age), 2, 1).astype(np.int64)
    birth_year = start.year - age
    # Deaths during the period.
    dies = rng.random(count) < 1 - (1 - _mortality(age)) ** years
    death = np.where(dies, rng.integers(first, last + 1, size=count), last + 1)

    # Shared numbers: children covered by a parent (rank 1) take ranks 2, 3...
    anchor = np.arange(count)
    rank = np.ones(count, dtype=np.int64)
    children = np.flatnonzero(age < 18)
    parents_pool = np.flatnonzero((age >= 25) & (age < 60) & ~dies)
    mean_children = sum(size * share for size, share in CHILDREN_PER_NIR)
    # G groups of about mean_children children among count - G * mean_children numbers:
    # G / (count - G * mean_children) = SHARED_NIR_SHARE.
    wanted = SHARED_NIR_SHARE * count / (1 + SHARED_NIR_SHARE * mean_children)
    groups = int(min(round(wanted), len(parents_pool), len(children) / mean_children))
    if groups > 0:
        sizes = _choice(rng, CHILDREN_PER_NIR, groups)
        attached = rng.permutation(children)[: int(sizes.sum())]
        sizes = sizes[: np.searchsorted(np.cumsum(sizes), len(attached)) + 1]
        sizes[-1] -= int(sizes.sum()) - len(attached)
        sizes = sizes[sizes > 0]
        group_of = np.repeat(np.arange(len(sizes)), sizes)
        # Oldest child first (rank 2); the parents matched by age: the oldest children with the
        # oldest parents.
        attached = attached[np.lexsort((-age[attached], group_of))]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        order_in_group = np.arange(len(attached)) - np.repeat(starts, sizes)
        parents = rng.choice(parents_pool, size=len(sizes), replace=False)
        parents = parents[np.argsort(age[parents], kind="stable")]
        by_oldest = np.argsort(age[attached[starts]], kind="stable")
        parent_of_group = np.empty(len(sizes), dtype=np.int64)
        parent_of_group[by_oldest] = parents
        anchor[attached] = parent_of_group[group_of]
        rank[attached] = order_in_group + 2
        # Twins: the second child born the same year as the first.
        twins = starts[(sizes >= 2) & (rng.random(len(sizes)) < TWINS_SHARE)]
        birth_year[attached[twins + 1]] = birth_year[attached[twins]]
        age[attached[twins + 1]] = age[attached[twins]]

    # Residences: legal populations split exactly (largest remainders), handed out in blocks along
    # households, so that a parent and children live together and each commune gets its share.
    unknown = round(count * UNKNOWN_RESIDENCE_SHARE)
    counts = np.concatenate(
        (_hamilton(count - unknown, populations.astype(float)), [unknown])
        if populations.sum() > 0
        else ([0] * len(populations), [count])
    )
    order = np.lexsort((rank, rng.permutation(count)[anchor]))
    slots = np.repeat(np.arange(len(counts)), counts)
    slots = slots[np.argsort(rng.permutation(len(counts))[slots], kind="stable")]
    home = np.empty(count, dtype=np.int64)
    home[order] = slots
    home = home[anchor]
    # An unknown residence is a pair of its own per household, after the communes' pairs.
    known = len(populations)
    unknown_households = (home == known) & (anchor == np.arange(count))
    pair = np.full(count, -1, dtype=np.int64)
    pair[unknown_households] = np.arange(int(unknown_households.sum()))
    home = np.where(home == known, known + pair[anchor], home)
    unknown_pairs: list[tuple[str, str]] = []
    for _ in range(int(unknown_households.sum())):
        departement, commune = _UNKNOWN_PAIRS[int(rng.integers(len(_UNKNOWN_PAIRS)))]
        unknown_pairs.append(
            (
                departement or "0" + f"{int(rng.integers(1, 96)):02d}",
                commune or f"{int(rng.integers(0, 1000)):03d}",
            )
        )

    ald = rng.random(count) < _ald_probability(age)
    rate = (
        _by_age(ACTS_BY_AGE, age)
        * np.where(ald, ALD_ACTS_FACTOR, 1.0)
        * _acts_scale()
        * rng.gamma(ACTS_GAMMA_SHAPE, 1 / ACTS_GAMMA_SHAPE, size=count)
    )
    group = np.searchsorted(np.array(_BANDS), age, side="right") * 2 + ald
    return _Population(
        count=count,
        birth_year=birth_year,
        age=age,
        sex=sex,
        death=death,
        anchor=anchor,
        rank=rank,
        residence=home,
        unknown_pairs=unknown_pairs,
        ald=ald,
        rate=rate,
        group=group,
        mtt=np.full(count, -1, dtype=np.int64),
    )


# --- Professionals --------------------------------------------------------------------------------


@dataclass
class _Professionals:
    numbers: pa.Array
    kind: np.ndarray
    specialty: np.ndarray
    commune: np.ndarray
    starts: np.ndarray  # first index of each kind (professionals are sorted by kind)
    counts: np.ndarray


def _professionals(
    rng: np.random.Generator, people: int, codes: Sequence[str], populations: np.ndarray
) -> _Professionals:
    counts = np.array([max(1, round(people * per / 100_000)) for _, _, per, _ in PROFESSIONS])
    kind = np.repeat(np.arange(len(PROFESSIONS)), counts)
    total = len(kind)
    specialty = np.concatenate(
        [
            rng.choice(np.array(spes), size=n)
            for (_, _, _, spes), n in zip(PROFESSIONS, counts, strict=True)
        ]
    )
    weights = populations.astype(float) + (1e-9 if populations.sum() == 0 else 0)
    commune = rng.choice(len(codes), size=total, p=weights / weights.sum())
    digits = np.array([digit for _, digit, _, _ in PROFESSIONS])[kind]
    order_numbers = rng.permutation(100_000)[:total] if total <= 100_000 else np.arange(total)
    numbers = [
        f"{codes[c][:2]}{d}{o % 100_000:05d}"
        for c, d, o in zip(commune.tolist(), digits.tolist(), order_numbers.tolist(), strict=True)
    ]
    return _Professionals(
        numbers=pa.array(numbers, pa.string()),
        kind=kind,
        specialty=specialty,
        commune=commune,
        starts=np.concatenate(([0], np.cumsum(counts)[:-1])),
        counts=counts,
    )


# --- Reference tables of the population -----------------------------------------------------------


def _exemptions(
    rng: np.random.Generator, population: _Population, start: dt.date, end: dt.date
) -> dict[str, pa.Array]:
    first, last = _day(start), _day(end)
    patients = np.flatnonzero(population.ald)
    second = patients[rng.random(len(patients)) < SECOND_ALD_SHARE]
    who = np.sort(np.concatenate((patients, second)))
    rows = len(who)
    reason = _choice(rng, ALD_REASONS, rows)
    numbers = _choice(rng, [(i, share) for i, (_, share, _) in enumerate(ALD_NUMBERS)], rows)
    ald_num = np.where(reason == 41, np.array([n for n, _, _ in ALD_NUMBERS])[numbers], 99)
    motive = np.array([code for _, _, code in ALD_NUMBERS], dtype=object)[numbers]
    motive = np.where(reason == 41, motive, None)
    # Beginnings: before the period (up to 20 years, never before birth), some during it.
    born = np.array(
        [_day(dt.date(int(y), 1, 1)) for y in range(1900, end.year + 1)], dtype=np.int64
    )[population.birth_year[who] - 1900]
    low = np.maximum(born, first - 20 * 365)
    begin = _uniform_days(rng, low, np.full(rows, first - 1))
    new = rng.random(rows) < NEW_ALD_SHARE
    begin = np.where(new, rng.integers(first, last + 1, size=rows), begin)
    kind = _choice(rng, [(i, share) for i, (_, share) in enumerate(ALD_ENDS)], rows)
    kind = np.where(new & (kind == 3), 4, kind)  # a new ALD has not ended before the period
    finish = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [
            _NO_DATE,
            _FAR_END,
            np.maximum(begin + 5 * 365, last + rng.integers(30, 1000, size=rows)),
            _uniform_days(rng, begin + 1, np.full(rows, first - 1)),
        ],
        _uniform_days(rng, np.maximum(begin + 1, first), np.full(rows, last)),
    )
    # Other exemptions, not ALD.
    others = np.sort(
        rng.choice(
            population.count, size=round(population.count * OTHER_EXEMPTION_SHARE), replace=False
        )
    )
    other_reason = _choice(rng, OTHER_EXEMPTIONS, len(others))
    other_num = np.where(
        other_reason == 47,
        np.array([n for n, _, _ in ALD_NUMBERS])[rng.integers(0, len(ALD_NUMBERS), len(others))],
        0,
    )
    other_begin = rng.integers(first - 5 * 365, first, size=len(others))
    other_end = np.where(
        rng.random(len(others)) < 0.5,
        _NO_DATE,
        other_begin + rng.integers(90, 3 * 365, len(others)),
    )
    person = np.concatenate((who, others))
    order = np.argsort(person, kind="stable")
    return {
        "person": person[order],
        "IMB_ALD_NUM": np.concatenate((ald_num, other_num))[order],
        "IMB_ETM_NAT": np.concatenate((reason, other_reason))[order],
        "IMB_ALD_DTD": np.concatenate((begin, other_begin))[order],
        "IMB_ALD_DTF": np.concatenate((finish, other_end))[order],
        "MED_MTF_COD": np.concatenate((motive, np.full(len(others), None, dtype=object)))[order],
    }


def _declarations(
    rng: np.random.Generator,
    population: _Population,
    professionals: _Professionals,
    start: dt.date,
    end: dt.date,
) -> dict[str, np.ndarray]:
    first, last = _day(start), _day(end)
    gp_start, gp_count = professionals.starts[_KIND["gp"]], professionals.counts[_KIND["gp"]]

    def doctor(size: int) -> np.ndarray:
        return np.asarray(gp_start + rng.integers(0, gp_count, size=size))

    adults = np.flatnonzero(population.age >= MTT_AGE)
    draw = rng.random(len(adults))
    current = adults[draw < MTT_SHARE]
    ended_only = adults[(draw >= MTT_SHARE) & (draw < MTT_SHARE + MTT_ENDED_ONLY_SHARE)]
    # The first day each could declare: 2005, or the year they turned 16.
    turned = np.array(
        [_day(dt.date(max(int(y) + MTT_AGE, 2005), 7, 1)) for y in range(1900, end.year + 1)]
    )

    def since(who: np.ndarray) -> np.ndarray:
        return np.asarray(np.minimum(turned[population.birth_year[who] - 1900], first - 30))

    begin = _uniform_days(rng, since(current), np.full(len(current), first - 1))
    mtt = doctor(len(current))
    population.mtt[current] = mtt
    finish = np.full(len(current), _NO_DATE)
    # A few change doctor during the period: the declaration ends, a new one starts that day.
    changes = rng.random(len(current)) < MTT_CHANGE_SHARE
    change_day = rng.integers(first, last + 1, size=int(changes.sum()))
    finish[changes] = change_day
    # Deaths end the declaration open then.
    dead = population.death[current] <= last
    # Earlier declarations, ended when they changed doctor.
    previous = rng.random(len(current)) < MTT_PREVIOUS_SHARE
    previous_begin = _uniform_days(
        rng, since(current[previous]), np.maximum(begin[previous] - 1, since(current[previous]))
    )
    # Adults whose only declaration ended before the period.
    old_begin = _uniform_days(rng, since(ended_only), np.full(len(ended_only), first - 2))
    old_end = _uniform_days(rng, old_begin + 1, np.full(len(ended_only), first - 1))
    new_person = current[changes]
    new_finish = np.where(dead[changes], population.death[new_person], _NO_DATE)
    finish = np.where(dead & ~changes, population.death[current], finish)

    person = np.concatenate((current, new_person, current[previous], ended_only))
    rows = {
        "person": person,
        "MTT_DEP_DTE": np.concatenate((begin, change_day, previous_begin, old_begin)),
        "MTT_FIN_DTE": np.concatenate((finish, new_finish, begin[previous], old_end)),
        "doctor": np.concatenate(
            (mtt, doctor(len(new_person)), doctor(int(previous.sum())), doctor(len(ended_only)))
        ),
    }
    order = np.lexsort((rows["MTT_DEP_DTE"], person))
    return {name: values[order] for name, values in rows.items()}


# --- Claims ---------------------------------------------------------------------------------------


@dataclass
class _Natures:
    codes: np.ndarray
    kind: np.ndarray
    price: np.ndarray
    rate: np.ndarray
    varies: np.ndarray
    cumulative: np.ndarray  # (group * 3 + day class, general nature): cumulative probabilities
    flat: np.ndarray  # its rows end to end, row r shifted by r (so increasing)
    general: int  # the first `general` natures are drawn among the general rows


def _natures() -> _Natures:
    general = [(code, kind, price, rate, varies) for code, kind, price, rate, varies, *_ in NATURES]
    every = general + list(EVENT_NATURES)
    table = np.zeros((5 * 2 * 3, len(NATURES)))
    for band in range(5):
        for ald in range(2):
            for day_class in range(3):
                table[(band * 2 + ald) * 3 + day_class] = [
                    weight * ages[band] * days[day_class] * (ald_factor if ald else 1.0)
                    for _, _, _, _, _, weight, ages, days, ald_factor in NATURES
                ]
    cumulative = np.cumsum(table, axis=1)
    cumulative /= cumulative[:, -1:]
    return _Natures(
        codes=np.array([row[0] for row in every]),
        kind=np.array([_KIND[row[1]] for row in every]),
        price=np.array([row[2] for row in every]),
        rate=np.array([row[3] for row in every]),
        varies=np.array([row[4] for row in every]),
        cumulative=cumulative,
        flat=(cumulative + np.arange(len(cumulative))[:, None]).ravel(),
        general=len(NATURES),
    )


def _weekday(days: np.ndarray | int) -> Any:
    """Monday 0 ... Sunday 6 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def _not_on_sunday(days: np.ndarray, first: int, last: int) -> np.ndarray:
    """Pharmacies and surgeries are closed on Sundays: the next day instead (or the day before, on
    the last day of the period)."""
    sunday = _weekday(days) == 6
    moved = np.where(days + 1 <= last, days + 1, days - 1)
    return np.where(sunday & (moved >= first), moved, days)


def _events(
    rng: np.random.Generator, population: _Population, start: dt.date, end: dt.date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flu vaccinations and screening kits: (day, person, nature index), sorted by day."""
    first, last = _day(start), _day(end)
    general = len(NATURES)
    days, people, natures = [], [], []
    (first_month, first_day), (last_month, last_day) = FLU_CAMPAIGN
    for year in range(start.year - 1, end.year + 1):
        opens, closes = (
            _day(dt.date(year, first_month, first_day)),
            _day(dt.date(year + 1, last_month, last_day)),
        )
        low, high = max(opens, first), min(closes, last)
        if low > high:
            continue
        age = year - population.birth_year
        share = np.where(age >= 65, FLU_SHARE_65, np.where(population.ald, FLU_SHARE_AT_RISK, 0.0))
        who = np.flatnonzero(rng.random(population.count) < share)
        day = opens + np.minimum(
            rng.exponential(FLU_MEAN_DELAY_DAYS, size=len(who)).astype(np.int64), closes - opens
        )
        day = _not_on_sunday(day, low, high)
        keep = (day >= low) & (day <= high) & (day < population.death[who])
        who, day = who[keep], day[keep]
        injected = rng.random(len(who)) < FLU_BY_PHARMACIST
        days += [day, day[injected]]
        people += [who, who[injected]]
        natures += [np.full(len(who), general), np.full(int(injected.sum()), general + 1)]
    years = (last - first + 1) / 365.25
    age = start.year - population.birth_year
    eligible = np.flatnonzero((age >= SCREENING_AGES[0]) & (age <= SCREENING_AGES[1]))
    kits = rng.poisson(SCREENING_RATE_PER_YEAR * years, size=len(eligible))
    who = np.repeat(eligible, kits)
    day = _not_on_sunday(rng.integers(first, last + 1, size=len(who)), first, last)
    keep = day < population.death[who]
    days.append(day[keep])
    people.append(who[keep])
    natures.append(np.full(int(keep.sum()), general + 2))
    day_all, person_all, nature_all = (np.concatenate(x) for x in (days, people, natures))
    order = np.lexsort((person_all, day_all))
    return day_all[order], person_all[order], nature_all[order]


def _day_weights(first: int, last: int) -> np.ndarray:
    days = np.arange(first, last + 1)
    dates = days.astype("datetime64[D]")
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    weekday = _weekday(days)
    return np.asarray(np.array(MONTH_WEIGHTS)[month] * np.array(WEEKDAY_WEIGHTS)[weekday])


@dataclass
class _Plan:
    """Rows per day: general rows, events (slices of the events arrays) and regularisations."""

    first: int
    general: np.ndarray
    event_bounds: np.ndarray  # len(days) + 1 offsets into the sorted events
    regularisations: np.ndarray

    @property
    def totals(self) -> np.ndarray:
        return np.asarray(self.general + np.diff(self.event_bounds) + self.regularisations)


def _plan(
    rng: np.random.Generator,
    population: _Population,
    event_days: np.ndarray,
    start: dt.date,
    end: dt.date,
    rows: int | None,
) -> tuple[_Plan, np.ndarray]:
    """How many rows each day has; with ``rows``, exactly that many in all (events cut if need be)."""
    first, last = _day(start), _day(end)
    exposure = (np.minimum(population.death, last + 1) - first) / 365.25
    if rows is None:
        events = len(event_days)
        general = round(float((population.rate * exposure).sum()))
        regularisations = round(
            (general + events) * REGULARISATION_SHARE / (1 - REGULARISATION_SHARE)
        )
        keep = np.ones(events, dtype=bool)
    else:
        regularisations = round(rows * REGULARISATION_SHARE)
        base = rows - regularisations
        keep = np.ones(len(event_days), dtype=bool)
        if len(event_days) > base:
            keep[:] = False
            keep[np.sort(rng.choice(len(event_days), size=base, replace=False))] = True
        general = base - int(keep.sum())
    weights = _day_weights(first, last)
    per_day = rng.multinomial(general, weights / weights.sum())
    bounds = np.searchsorted(event_days[keep], np.arange(first, last + 2))
    base_per_day = per_day + np.diff(bounds)
    regs = (
        rng.multivariate_hypergeometric(base_per_day, regularisations)
        if regularisations
        else np.zeros_like(base_per_day)
    )
    return _Plan(first, per_day, bounds, regs), keep


def _piece(
    seed: int,
    day: int,
    piece: int,
    general: int,
    event_people: np.ndarray,
    event_natures: np.ndarray,
    regularisations: int,
    population: _Population,
    cumulative_rate: np.ndarray,
    natures: _Natures,
    professionals: _Professionals,
) -> dict[str, np.ndarray]:
    """The rows of one day (or a piece of a busy day), drawn from their own generator."""
    rng = np.random.default_rng([seed, 1, day, piece])
    # Who: in proportion to each person's rate, never after a death.
    # Sorted draws give rows sorted by person: the lookups below read memory in order.
    draws = np.sort(rng.random(general))
    person = np.searchsorted(cumulative_rate, draws * cumulative_rate[-1], side="right")
    dead = np.flatnonzero(population.death[person] <= day)
    while len(dead):
        person[dead] = np.searchsorted(
            cumulative_rate, rng.random(len(dead)) * cumulative_rate[-1], side="right"
        )
        dead = dead[population.death[person[dead]] <= day]
    # What: a nature drawn by age band, ALD and day of the week.
    weekday = _weekday(day)
    day_class = 0 if weekday < 5 else weekday - 4
    # One search in the table's rows laid end to end: row r holds r + its cumulative
    # probabilities, so that r + u (u in [0, 1)) falls in row r.
    row = population.group[person] * 3 + day_class
    found = np.searchsorted(natures.flat, row + rng.random(general), side="right")
    nature = np.minimum(found - row * natures.general, natures.general - 1)
    person = np.concatenate((person, event_people))
    nature = np.concatenate((nature, event_natures))
    count = len(person)
    kind = natures.kind[nature]
    # By whom: a professional of the right kind; the médecin traitant for most GP acts.
    professional = professionals.starts[kind] + np.floor(
        rng.random(count) * professionals.counts[kind]
    ).astype(np.int64)
    mtt = population.mtt[person]
    by_mtt = (kind == _KIND["gp"]) & (mtt >= 0) & (rng.random(count) < MTT_ACTS_SHARE)
    professional = np.where(by_mtt, mtt, professional)
    # How many, how much.
    pharmacy = kind == _KIND["pharmacy"]
    quantity = np.where(
        pharmacy & (nature < natures.general),
        _choice(rng, PHARMACY_QUANTITIES, count),
        1,
    ).astype(np.float64)
    spread = np.where(natures.varies[nature], rng.lognormal(-0.18, 0.6, size=count), 1.0)
    paid = np.round(natures.price[nature] * spread * quantity, 2)
    rate = natures.rate[nature]
    full = (
        population.ald[person]
        & (kind <= _KIND["pharmacy"])
        & (rng.random(count) < ALD_FULL_RATE_SHARE)
    )
    rate = np.where(full, 1.0, rate)
    information = rng.random(count) < INFORMATION_SHARE
    reimbursed = np.where(information, 0.0, np.round(paid * rate, 2))
    series = (kind == _KIND["nurse"]) | (kind == _KIND["physio"])
    end_day = day + np.where(series, rng.integers(0, SERIES_DAYS + 1, size=count), 0)
    month = np.datetime64(int(day), "D").astype("datetime64[M]")
    delays = _choice(rng, FLOW_DELAYS, count)
    rows = {
        "person": person,
        "EXE_SOI_DTF": end_day,
        "PRS_NAT_REF": natures.codes[nature],
        "PRS_ACT_QTE": quantity,
        "DPN_QLF": np.where(information, INFORMATION_QUALIFIER, 0),
        "professional": professional,
        "PRS_PAI_MNT": paid,
        "BSE_REM_MNT": reimbursed,
        "delay": delays,
    }
    # Regularisations: an act of the day cancelled later, same act with negative figures.
    regularisations = min(regularisations, count)
    if regularisations:
        source = np.sort(rng.choice(count, size=regularisations, replace=False))
        later = rows["delay"][source] + rng.integers(1, 7, size=regularisations)
        for name, values in list(rows.items()):
            copy = values[source]
            if name in ("PRS_ACT_QTE", "PRS_PAI_MNT", "BSE_REM_MNT"):
                copy = -copy
            elif name == "delay":
                copy = later
            rows[name] = np.concatenate((values, copy))
    rows["FLX_DIS_DTD"] = (month + rows.pop("delay")).astype("datetime64[D]").astype(np.int64)
    rows["EXE_SOI_DTD"] = np.full(len(rows["person"]), day, dtype=np.int64)
    return rows


def _pieces(
    seed: int,
    plan: _Plan,
    event_people: np.ndarray,
    event_natures: np.ndarray,
    population: _Population,
    natures: _Natures,
    professionals: _Professionals,
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """(day, rows) for every day of the plan, in order, a busy day in several pieces."""
    cumulative_rate = np.cumsum(population.rate)
    for index, total in enumerate(plan.totals.tolist()):
        if not total:
            continue
        day = plan.first + index
        parts = math.ceil(total / PIECE_ROWS)
        general = np.array_split(np.arange(int(plan.general[index])), parts)
        low, high = plan.event_bounds[index], plan.event_bounds[index + 1]
        events = np.array_split(np.arange(low, high), parts)
        regs = np.array_split(np.arange(int(plan.regularisations[index])), parts)
        for piece in range(parts):
            yield (
                day,
                _piece(
                    seed,
                    day,
                    piece,
                    len(general[piece]),
                    event_people[events[piece]],
                    event_natures[events[piece]],
                    len(regs[piece]),
                    population,
                    cumulative_rate,
                    natures,
                    professionals,
                ),
            )


# --- Writing --------------------------------------------------------------------------------------


class _Writer:
    """Parquet files of one table, written chunk by chunk with the table's exact schema."""

    def __init__(self, folder: Path, table: str) -> None:
        self.folder = folder / table
        self.folder.mkdir(parents=True)
        self.schema = TABLES[table].arrow_schema
        self.writer: pq.ParquetWriter | None = None
        self.files = 0
        self.rows = 0
        self.file_rows = 0

    def open(self, name: str) -> None:
        self.close()
        self.writer = pq.ParquetWriter(
            self.folder / f"{name}.parquet", self.schema, compression="zstd"
        )
        self.files += 1
        self.file_rows = 0

    def write(self, columns: dict[str, pa.Array]) -> None:
        if self.writer is None:
            self.open("part-000")
        assert self.writer is not None
        table = pa.Table.from_arrays(
            [
                columns[name].cast(f.type)
                for name, f in zip(self.schema.names, self.schema, strict=True)
            ],
            schema=self.schema,
        )
        self.writer.write_table(table, row_group_size=max(len(table), 1))
        self.rows += len(table)
        self.file_rows += len(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _slices(count: int, size: int) -> Iterator[slice]:
    for low in range(0, count, size):
        yield slice(low, min(low + size, count))
    if count == 0:
        yield slice(0, 0)


def _write_reference_tables(
    folder: Path,
    population: _Population,
    numbers: pa.Array,
    codes: Sequence[str],
    professionals: _Professionals,
    exemptions: dict[str, Any],
    declarations: dict[str, np.ndarray],
    chunk_rows: int,
    last: int,
) -> dict[str, _Writer]:
    pairs = [residence.encode(code) for code in codes] + population.unknown_pairs
    home = population.residence
    departements = pa.array([d for d, _ in pairs], pa.string())
    communes = pa.array([c for _, c in pairs], pa.string())
    writers = {}

    beneficiaries = writers["IR_BEN_R"] = _Writer(folder, "IR_BEN_R")
    for part in _slices(population.count, chunk_rows):
        beneficiaries.write(
            {
                "BEN_NIR_PSA": numbers.take(pa.array(population.anchor[part])),
                "BEN_RNG_GEM": pa.array(population.rank[part]),
                "BEN_NAI_ANN": pa.array(population.birth_year[part]),
                "BEN_SEX_COD": pa.array(population.sex[part]),
                "BEN_DCD_DTE": _dates(
                    np.where(population.death[part] <= last, population.death[part], _NO_DATE)
                ),
                "BEN_RES_DPT": departements.take(pa.array(home[part])),
                "BEN_RES_COM": communes.take(pa.array(home[part])),
            }
        )
    imb = writers["IR_IMB_R"] = _Writer(folder, "IR_IMB_R")
    for part in _slices(len(exemptions["person"]), chunk_rows):
        person = exemptions["person"][part]
        imb.write(
            {
                "BEN_NIR_PSA": numbers.take(pa.array(population.anchor[person])),
                "BEN_RNG_GEM": pa.array(population.rank[person]),
                "IMB_ALD_NUM": pa.array(exemptions["IMB_ALD_NUM"][part]),
                "IMB_ETM_NAT": pa.array(exemptions["IMB_ETM_NAT"][part]),
                "IMB_ALD_DTD": _dates(exemptions["IMB_ALD_DTD"][part]),
                "IMB_ALD_DTF": _dates(exemptions["IMB_ALD_DTF"][part]),
                "MED_MTF_COD": pa.array(exemptions["MED_MTF_COD"][part].tolist(), pa.string()),
            }
        )
    mtt = writers["IR_MTT_R"] = _Writer(folder, "IR_MTT_R")
    for part in _slices(len(declarations["person"]), chunk_rows):
        person = declarations["person"][part]
        mtt.write(
            {
                "BEN_NIR_PSA": numbers.take(pa.array(population.anchor[person])),
                "BEN_RNG_GEM": pa.array(population.rank[person]),
                "MTT_DEP_DTE": _dates(declarations["MTT_DEP_DTE"][part]),
                "MTT_FIN_DTE": _dates(declarations["MTT_FIN_DTE"][part]),
                "MTT_PFS_NUM": professionals.numbers.take(pa.array(declarations["doctor"][part])),
            }
        )
    practitioners = writers["DA_PRA_R"] = _Writer(folder, "DA_PRA_R")
    practitioners.write(
        {
            "PFS_PFS_NUM": professionals.numbers,
            "PFS_PRA_SPE": pa.array([f"{s:02d}" for s in professionals.specialty.tolist()]),
            "PFS_EXC_COM": pa.array(
                [codes[c] for c in professionals.commune.tolist()], pa.string()
            ),
            "PFS_COD_POS": pa.nulls(len(professionals.kind), pa.string()),
        }
    )
    for writer in writers.values():
        writer.close()
    return writers


def _write_claims(
    folder: Path,
    pieces: Iterator[tuple[int, dict[str, np.ndarray]]],
    numbers: pa.Array,
    professionals: _Professionals,
    chunk_rows: int,
    file_rows: int,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> _Writer:
    """ER_PRS_F: chunks of whole days (or pieces), each one row group, in files per month."""
    writer = _Writer(folder, "ER_PRS_F")
    specialty = pa.array(professionals.specialty)
    buffered: list[dict[str, np.ndarray]] = []
    buffered_rows = 0
    month: str | None = None
    month_files = 0

    def flush() -> None:
        nonlocal buffered, buffered_rows, month_files
        if not buffered:
            return
        if writer.writer is None or writer.file_rows >= file_rows:
            writer.open(f"{month}-{month_files:03d}")
            month_files += 1
        rows = {name: np.concatenate([b[name] for b in buffered]) for name in buffered[0]}
        person = pa.array(rows["person"])
        professional = pa.array(rows["professional"])
        writer.write(
            {
                "BEN_NIR_PSA": numbers.take(person),
                "BEN_RNG_GEM": pa.array(rows["rank"]),
                "EXE_SOI_DTD": _dates(rows["EXE_SOI_DTD"]),
                "EXE_SOI_DTF": _dates(rows["EXE_SOI_DTF"]),
                "FLX_DIS_DTD": _dates(rows["FLX_DIS_DTD"]),
                "PRS_NAT_REF": pa.array(rows["PRS_NAT_REF"]),
                "PRS_ACT_QTE": pa.array(rows["PRS_ACT_QTE"]),
                "DPN_QLF": pa.array(rows["DPN_QLF"]),
                "PFS_EXE_NUM": professionals.numbers.take(professional),
                "PSE_SPE_COD": specialty.take(professional),
                "PRS_PAI_MNT": pa.array(rows["PRS_PAI_MNT"]),
                "BSE_REM_MNT": pa.array(rows["BSE_REM_MNT"]),
            }
        )
        buffered, buffered_rows = [], 0
        if progress is not None:
            progress(writer.rows, total)

    for day, rows in pieces:
        day_month = str(np.datetime64(day, "D").astype("datetime64[M]"))
        if day_month != month:
            flush()
            writer.close()
            month, month_files = day_month, 0
        buffered.append(rows)
        buffered_rows += len(rows["person"])
        if buffered_rows >= chunk_rows:
            flush()
    flush()
    writer.close()
    return writer


# --- The entry point ------------------------------------------------------------------------------


def _check(
    out: Path,
    communes: Sequence[tuple[str, int]],
    start: dt.date,
    end: dt.date,
    beneficiaries: int | None,
    rows: int | None,
    overwrite: bool,
) -> None:
    if not communes:
        raise GenerationError("aucune commune : le périmètre est vide.")
    for code, population in communes:
        if len(code) != 5:
            raise GenerationError(f"code INSEE invalide : « {code} ».")
        if population < 0:
            raise GenerationError(f"population négative pour la commune {code}.")
    if len({code for code, _ in communes}) != len(communes):
        raise GenerationError("une commune figure deux fois dans la liste.")
    if sum(population for _, population in communes) <= 0:
        raise GenerationError("les communes n'ont aucun habitant (populations légales nulles).")
    if start > end:
        raise GenerationError(f"la période commence après sa fin ({start} > {end}).")
    if start.year < 1950 or end.year > 2090:
        raise GenerationError("la période doit être comprise entre 1950 et 2090.")
    if beneficiaries is not None and rows is not None:
        raise GenerationError(
            "indiquez le nombre de bénéficiaires ou le nombre de lignes, pas les deux."
        )
    for name, value in (("bénéficiaires", beneficiaries), ("lignes", rows)):
        if value is not None and value <= 0:
            raise GenerationError(f"le nombre de {name} doit être positif (reçu : {value}).")
    if out.exists() and not out.is_dir():
        raise GenerationError(f"{out} existe et n'est pas un dossier.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise GenerationError(
            f"le dossier {out} n'est pas vide : choisissez un autre dossier, ou --force pour le remplacer."
        )


def generate(
    out: Path,
    communes: Sequence[tuple[str, int]],
    start: dt.date,
    end: dt.date,
    *,
    beneficiaries: int | None = None,
    rows: int | None = None,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    file_rows: int = FILE_ROWS,
    overwrite: bool = False,
) -> Summary:
    """Write synthetic SNDS tables for ``communes`` ((INSEE code, legal population) pairs) into
    ``out``, claims from ``start`` to ``end`` inclusive.

    ``beneficiaries`` fixes the population (default: the communes' legal population, at most
    :data:`DEFAULT_BENEFICIARIES`); ``rows`` fixes the number of ER_PRS_F rows instead (exactly),
    the population derived from it. The tables are written in a temporary folder beside ``out``,
    renamed at the end: a failure leaves nothing. ``progress(done, total)`` is called after each
    chunk of ER_PRS_F rows. Raises :class:`GenerationError` (a French message) on bad arguments.
    """
    out = Path(out)
    _check(out, communes, start, end, beneficiaries, rows, overwrite)
    codes = [code for code, _ in communes]
    populations = np.array([population for _, population in communes], dtype=np.int64)
    first, last = _day(start), _day(end)
    years = (last - first + 1) / 365.25
    if rows is not None:
        per_person = MEAN_ACTS_PER_YEAR * years / (1 - REGULARISATION_SHARE)
        count = max(1, round(rows / per_person))
    else:
        count = beneficiaries or int(min(populations.sum(), DEFAULT_BENEFICIARIES))

    rng = np.random.default_rng([seed, 0])
    population = _people(rng, count, populations, start, end)
    professionals = _professionals(rng, count, codes, populations)
    exemptions = _exemptions(rng, population, start, end)
    declarations = _declarations(rng, population, professionals, start, end)
    event_days, event_people, event_natures = _events(rng, population, start, end)
    plan, keep = _plan(rng, population, event_days, start, end, rows)
    total = int(plan.totals.sum())
    numbers = _numbers(count, seed)
    natures = _natures()

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    if partial.exists():
        shutil.rmtree(partial)
    try:
        partial.mkdir()
        writers = _write_reference_tables(
            partial, population, numbers, codes, professionals, exemptions, declarations,
            chunk_rows, last,
        )  # fmt: skip
        person_numbers = numbers.take(pa.array(population.anchor))
        pieces = (
            (day, {**piece, "rank": population.rank[piece["person"]]})
            for day, piece in _pieces(
                seed,
                plan,
                event_people[keep],
                event_natures[keep],
                population,
                natures,
                professionals,
            )
        )
        writers["ER_PRS_F"] = _write_claims(
            partial, pieces, person_numbers, professionals, chunk_rows, file_rows, total, progress
        )
        if out.exists():
            shutil.rmtree(out)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    names = ("ER_PRS_F", "IR_BEN_R", "IR_IMB_R", "IR_MTT_R", "DA_PRA_R")
    return Summary(
        out=out,
        rows={name: writers[name].rows for name in names},
        files={name: writers[name].files for name in names},
        beneficiaries=count,
        numbers=int((population.anchor == np.arange(count)).sum()),
        unknown_residences=int((population.residence >= len(codes)).sum()),
        professionals=len(professionals.kind),
        deaths=int((population.death <= last).sum()),
        communes=len(codes),
        start=start,
        end=end,
        seed=seed,
    )
