"""The SNDS tables that CPTS Pilote reads and writes, in the SNDS's own names and types.

A subset of the columns of each table (the SNDS's Table Schema files list them all): those the
indicators read are *required*, the others are written by the generator so that an extract looks
real, and ignored when missing. Types follow the SNDS schema: ``string``, ``integer``, ``number``
(quantities and amounts), ``date`` and ``year``. On disk each table is a folder of Parquet files,
``DIR/<TABLE>/*.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

#: SNDS type -> the Arrow type our generator writes.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int32(),
    "number": pa.float64(),
    "date": pa.date32(),
    "year": pa.int16(),
    "boolean": pa.bool_(),
}

#: The date the SNDS writes for "no date" (no death, no end of an ALD or a declaration).
NO_DATE = "1600-01-01"


@dataclass(frozen=True)
class Column:
    name: str
    snds_type: str
    required: bool
    label: str

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.snds_type]


@dataclass(frozen=True)
class Table:
    name: str
    label: str
    columns: tuple[Column, ...]

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(column.name, column.arrow_type) for column in self.columns])


def _table(name: str, label: str, *columns: tuple[str, str, bool, str]) -> Table:
    return Table(name, label, tuple(Column(*column) for column in columns))


ER_PRS_F = _table(
    "ER_PRS_F",
    "prestations du DCIR (une ligne par acte)",
    ("BEN_NIR_PSA", "string", True, "identifiant anonyme du patient"),
    ("BEN_RNG_GEM", "integer", True, "rang de naissance du bénéficiaire"),
    ("EXE_SOI_DTD", "date", True, "date de début d'exécution des soins"),
    ("EXE_SOI_DTF", "date", False, "date de fin d'exécution des soins"),
    ("FLX_DIS_DTD", "date", False, "date de mise à disposition des données"),
    ("PRS_NAT_REF", "integer", True, "code de la prestation de référence"),
    ("PRS_ACT_QTE", "number", True, "quantité de l'acte de base"),
    ("DPN_QLF", "integer", True, "qualificatif de la dépense"),
    ("PFS_EXE_NUM", "string", False, "numéro du professionnel de santé exécutant"),
    ("PSE_SPE_COD", "integer", False, "spécialité du professionnel de santé exécutant"),
    ("PRS_PAI_MNT", "number", False, "montant global de la dépense"),
    ("BSE_REM_MNT", "number", False, "montant remboursé pour l'acte de base"),
)

IR_BEN_R = _table(
    "IR_BEN_R",
    "référentiel des bénéficiaires",
    ("BEN_NIR_PSA", "string", True, "identifiant anonyme du patient"),
    ("BEN_RNG_GEM", "integer", True, "rang de naissance du bénéficiaire"),
    ("BEN_NAI_ANN", "year", True, "année de naissance du bénéficiaire"),
    ("BEN_SEX_COD", "integer", False, "code sexe du bénéficiaire"),
    ("BEN_DCD_DTE", "date", True, "date de décès du bénéficiaire"),
    ("BEN_RES_DPT", "string", True, "département de résidence du bénéficiaire"),
    ("BEN_RES_COM", "string", True, "commune de résidence du bénéficiaire"),
)

IR_IMB_R = _table(
    "IR_IMB_R",
    "bénéficiaires en affection de longue durée (ALD)",
    ("BEN_NIR_PSA", "string", True, "identifiant anonyme du patient"),
    ("BEN_RNG_GEM", "integer", True, "rang de naissance du bénéficiaire"),
    ("IMB_ALD_NUM", "integer", False, "numéro d'ALD"),
    ("IMB_ETM_NAT", "integer", True, "motif d'exonération du bénéficiaire"),
    ("IMB_ALD_DTD", "date", True, "date de début d'exonération"),
    ("IMB_ALD_DTF", "date", True, "date de fin d'exonération"),
    ("MED_MTF_COD", "string", False, "motif médical ou pathologie (code CIM10)"),
)

IR_MTT_R = _table(
    "IR_MTT_R",
    "déclarations de médecin traitant",
    ("BEN_NIR_PSA", "string", True, "identifiant anonyme du patient"),
    ("BEN_RNG_GEM", "integer", True, "rang de naissance du bénéficiaire"),
    ("MTT_DEP_DTE", "date", True, "date de début du contrat avec le médecin traitant"),
    ("MTT_FIN_DTE", "date", True, "date de fin du contrat avec le médecin traitant"),
    ("MTT_PFS_NUM", "string", False, "numéro du médecin traitant"),
)

DA_PRA_R = _table(
    "DA_PRA_R",
    "référentiel des professionnels de santé",
    ("PFS_PFS_NUM", "string", True, "numéro du professionnel de santé"),
    ("PFS_PRA_SPE", "string", False, "spécialité médicale du professionnel de santé"),
    ("PFS_EXC_COM", "string", False, "code commune de l'adresse professionnelle"),
    ("PFS_COD_POS", "string", False, "code postal de l'adresse professionnelle"),
)

TABLES: dict[str, Table] = {
    table.name: table for table in (ER_PRS_F, IR_BEN_R, IR_IMB_R, IR_MTT_R, DA_PRA_R)
}

#: The tables every indicator computation needs (DA_PRA_R is optional).
REQUIRED_TABLES = ("ER_PRS_F", "IR_BEN_R", "IR_IMB_R", "IR_MTT_R")
